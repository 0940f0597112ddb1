/**
 * Membership and quorum changes driven by the leader, one at a time, through the log
 * (`configuration.ts` for the rules and the safety argument):
 *
 * 1. `learners`: nodes that become voters and are not learners yet are added as learners (one
 *    configuration entry; learners do not vote, so no joint step is needed);
 * 2. `catch-up`: the leader waits until every new voter's committed index is within
 *    `learnerCatchUpSlotsMax` of its own (from heartbeat replies), so promoting it never stalls
 *    writes; a change still waiting after `learnerCatchUpTimeoutTicks` is abandoned;
 * 3. `drain` then `joint`: the leader stops proposing new slots until every slot it proposed is
 *    committed, then proposes the joint configuration (outgoing = current, incoming = target),
 *    when the quorum changes; a change of learners or preferred leader alone skips both. The
 *    drain leaves no slot below the joint entry that only the outgoing configuration could
 *    decide, so the incoming one can elect on its own as soon as it knows the joint entry
 *    committed (which the very next Accept tells it);
 * 4. `final`: the target alone. Done once that entry is committed.
 *
 * The leader proposes nothing above a configuration entry until it is committed (`Leader`), so
 * each step waits for one round trip of phase 2.
 */
import {
  configVoters,
  configurationsEqual,
  validateConfiguration,
  type ConfigState,
  type Configuration,
  type ConfigurationProblem,
} from './configuration.js';
import type { ReplicaContext } from './context.js';
import { LEARNER_CATCH_UP_SLOTS_DEFAULT, LEARNER_CATCH_UP_TIMEOUT_ELECTIONS } from './config.js';
import { quorumSpecsEqual } from '@flexpaxos/quorum';
import type { NodeId, Slot } from './types.js';

/** The step a membership change is at. */
export type ChangeStep = 'learners' | 'catch-up' | 'drain' | 'joint' | 'final';

/** A membership change in progress at the leader. */
export interface PendingChange {
  readonly target: Configuration;
  readonly step: ChangeStep;
  /** Why: `operator`, or the host's or the core's own reason. */
  readonly reason: string;
  /** Tick at which the change began. */
  readonly startedTick: number;
  /** Slot of the configuration entry of the current step, when proposed. */
  readonly slot: Slot | undefined;
}

/** How the last change ended. */
export interface ChangeOutcome {
  readonly target: Configuration;
  readonly reason: string;
  readonly result: 'done' | 'abandoned';
  /** For `abandoned`: why. */
  readonly detail: string | undefined;
  /** For `done`: the slot of the entry that put the target in force. */
  readonly index: Slot | undefined;
}

/** Outcome of `Replica.changeConfig`. */
export type ChangeConfigResult =
  | { readonly kind: 'started' }
  | { readonly kind: 'not-leader'; readonly leaderHint: NodeId | undefined }
  /** Another change is in progress (one at a time): `detail` says which. */
  | { readonly kind: 'busy'; readonly detail: string }
  /** The target breaks a rule (each problem names the field and the rule). */
  | { readonly kind: 'invalid'; readonly problems: readonly ConfigurationProblem[] }
  /** The target is the configuration in force already. */
  | { readonly kind: 'unchanged' };

/** What the change driver needs from its leader. */
export interface ChangeHost {
  /** The configuration governing the leader's next slot (the newest it proposed). */
  latestState(): ConfigState;
  /** Whether a configuration entry above the committed index is still uncommitted. */
  configPending(): boolean;
  /** Whether every slot the leader proposed is committed. */
  drained(): boolean;
  /** Proposes `state` at the next slot; returns the slot. */
  proposeConfig(state: ConfigState): Slot;
  /** The committed index a peer last reported (heartbeat replies), if any. */
  peerCommitted(id: NodeId): number | undefined;
}

/** Drives at most one membership change of one leader ballot. */
export class ConfigChanger {
  readonly #ctx: ReplicaContext;
  readonly #host: ChangeHost;
  #change: PendingChange | undefined;
  #outcome: ChangeOutcome | undefined;

  constructor(ctx: ReplicaContext, host: ChangeHost) {
    this.#ctx = ctx;
    this.#host = host;
  }

  /** The change in progress, if any. */
  get pending(): PendingChange | undefined {
    return this.#change;
  }

  /** How the last change of this ballot ended, if one did. */
  get outcome(): ChangeOutcome | undefined {
    return this.#outcome;
  }

  /** Starts changing to `target` (see the module comment). */
  start(target: Configuration, reason: string): ChangeConfigResult {
    const busy = this.#busy();
    if (busy !== undefined) {
      return { kind: 'busy', detail: busy };
    }
    const problems = validateConfiguration(target, 'target');
    if (problems.length > 0) {
      return { kind: 'invalid', problems };
    }
    const current = this.#host.latestState().incoming;
    if (configurationsEqual(current, target)) {
      return { kind: 'unchanged' };
    }
    this.#change = {
      target,
      reason,
      step: 'learners',
      startedTick: this.#ctx.ticks,
      slot: undefined,
    };
    const newVoters = this.#newVoters();
    const missing = newVoters.filter((v) => !current.learners.includes(v));
    if (missing.length > 0) {
      const learners = [...new Set([...current.learners, ...missing])].sort((a, b) => a - b);
      this.#propose('learners', { incoming: { ...current, learners } });
    } else if (newVoters.length > 0) {
      this.#set({ step: 'catch-up', slot: undefined });
      this.#checkCaughtUp();
    } else {
      this.#proposeJointOrFinal();
    }
    return { kind: 'started' };
  }

  /**
   * Completes a joint configuration an earlier leader left in force (its final entry was not
   * chosen or not proposed): a joint configuration never lingers.
   */
  finishJoint(): void {
    const latest = this.#host.latestState();
    if (this.#change !== undefined || latest.outgoing === undefined || this.#host.configPending()) {
      return;
    }
    this.#change = {
      target: latest.incoming,
      reason: 'completing a change begun by an earlier leader',
      step: 'final',
      startedTick: this.#ctx.ticks,
      slot: undefined,
    };
    this.#propose('final', { incoming: latest.incoming });
  }

  /** Whether the leader must hold new proposals back (a change waits for the pipeline to drain). */
  get holdsProposals(): boolean {
    return this.#change?.step === 'drain';
  }

  /** The committed index moved: a step whose entry is now committed moves on. */
  onCommitted(): void {
    if (this.#change?.step === 'drain') {
      this.#proposeJointOrFinal();
      return;
    }
    const change = this.#change;
    if (
      change === undefined ||
      change.slot === undefined ||
      change.slot > this.#ctx.log.committed
    ) {
      return;
    }
    switch (change.step) {
      case 'learners':
        this.#set({ step: 'catch-up', slot: undefined });
        this.#checkCaughtUp();
        return;
      case 'joint':
        this.#propose('final', { incoming: change.target });
        return;
      case 'final':
        this.#outcome = {
          target: change.target,
          reason: change.reason,
          result: 'done',
          detail: undefined,
          index: change.slot,
        };
        this.#change = undefined;
        return;
      case 'catch-up':
      case 'drain':
        return;
    }
  }

  /** A tick: a change waiting for learners checks them, and gives up after its timeout. */
  tick(): void {
    if (this.#change?.step === 'drain') {
      this.#proposeJointOrFinal();
      return;
    }
    if (this.#change?.step !== 'catch-up') {
      return;
    }
    this.#checkCaughtUp();
    const change = this.#change;
    if (change?.step !== 'catch-up') {
      return;
    }
    const config = this.#ctx.config;
    const timeout =
      config.learnerCatchUpTimeoutTicks ??
      LEARNER_CATCH_UP_TIMEOUT_ELECTIONS * config.electionTimeoutTicks;
    if (this.#ctx.ticks - change.startedTick >= timeout) {
      const behind = this.#behind();
      this.#outcome = {
        target: change.target,
        reason: change.reason,
        result: 'abandoned',
        detail: `learner${behind.length > 1 ? 's' : ''} ${behind.join(', ')} did not catch up within ${timeout} ticks (they stay learners)`,
        index: undefined,
      };
      this.#change = undefined;
    }
  }

  /** Why a new change cannot start now, or undefined. */
  #busy(): string | undefined {
    const change = this.#change;
    if (change !== undefined) {
      return `a configuration change is in progress (step ${change.step}, reason: ${change.reason}); one change at a time`;
    }
    if (this.#host.configPending()) {
      return 'a configuration entry is not committed yet; one change at a time';
    }
    if (this.#host.latestState().outgoing !== undefined) {
      return 'a joint configuration is being completed; one change at a time';
    }
    return undefined;
  }

  /** Voters of the target that do not vote now. */
  #newVoters(): NodeId[] {
    const change = this.#change;
    if (change === undefined) {
      return [];
    }
    const current = new Set<number>(configVoters(this.#host.latestState().incoming));
    return configVoters(change.target).filter((v) => !current.has(v));
  }

  /** New voters whose committed index is still too far behind the leader's. */
  #behind(): NodeId[] {
    const slack = this.#ctx.config.learnerCatchUpSlotsMax ?? LEARNER_CATCH_UP_SLOTS_DEFAULT;
    const committed = this.#ctx.log.committed;
    return this.#newVoters().filter((v) => {
      const theirs = this.#host.peerCommitted(v);
      return theirs === undefined || theirs < committed - slack;
    });
  }

  #checkCaughtUp(): void {
    if (this.#change?.step === 'catch-up' && this.#behind().length === 0) {
      this.#proposeJointOrFinal();
    }
  }

  #proposeJointOrFinal(): void {
    const change = this.#change;
    if (change === undefined) {
      return;
    }
    const current = this.#host.latestState().incoming;
    if (
      quorumSpecsEqual(current.quorum, change.target.quorum) ||
      this.#ctx.config.unsafeReconfig === true
    ) {
      this.#propose('final', { incoming: change.target });
    } else if (!this.#host.drained()) {
      this.#set({ step: 'drain', slot: undefined });
    } else {
      this.#propose('joint', { outgoing: current, incoming: change.target });
    }
  }

  #propose(step: ChangeStep, state: ConfigState): void {
    const slot = this.#host.proposeConfig(state);
    this.#set({ step, slot });
  }

  #set(update: { step: ChangeStep; slot: Slot | undefined }): void {
    const change = this.#change;
    if (change !== undefined) {
      this.#change = { ...change, ...update };
    }
  }
}

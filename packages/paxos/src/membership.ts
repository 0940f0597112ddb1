/**
 * What a leader knows about the cluster's members: the configurations in force (the committed
 * one and the newest it proposed: `configuration.ts`, "Leases across a change"), every other
 * member's progress (the committed index of its last heartbeat reply), the membership change
 * it drives (`reconfig.ts`), and whom leadership should move to: a preferred leader, or
 * anyone when this leader removed itself.
 */
import { specVoters, type QuorumSystem } from '@flexpaxos/quorum';
import { assert } from './assert.js';
import { LEARNER_CATCH_UP_SLOTS_DEFAULT } from './config.js';
import { configVoters, isVoterIn, type ConfigState } from './configuration.js';
import type { ReplicaContext } from './context.js';
import type { Inflight } from './inflight.js';
import { ConfigChanger } from './reconfig.js';
import type { NodeId, Slot } from './types.js';

/** Leader-side progress of one peer, for status pages and the operator's `members`. */
export interface PeerProgress {
  readonly id: NodeId;
  /** The committed index it last reported (heartbeat replies), if any. */
  readonly committed: number | undefined;
  /** Heard from in the current check-quorum period. */
  readonly recent: boolean;
}

/** What the membership view needs from its leader. */
export interface MembershipHost {
  /** The leader's next slot (the configuration governing it is the newest). */
  nextSlot(): number;
  /** Proposes a configuration entry at the next slot; returns the slot. */
  proposeConfig(state: ConfigState): Slot;
  /** The quorum systems in force changed (the lease must follow). */
  onQuorumsChanged(quorums: readonly QuorumSystem[]): void;
}

/** The membership view of one leader ballot. */
export class LeaderMembership {
  readonly changer: ConfigChanger;
  readonly #ctx: ReplicaContext;
  readonly #host: MembershipHost;
  readonly #inflight: Inflight;
  /** Per peer, the committed index of its last heartbeat reply. */
  readonly #peerCommitted = new Map<number, number>();
  /** The configurations in force when `refresh` last ran (identity). */
  #force: readonly ConfigState[] = [];
  /** Ticks since the preferred leader was last considered. */
  #preferredElapsed = 0;

  constructor(ctx: ReplicaContext, inflight: Inflight, host: MembershipHost) {
    this.#ctx = ctx;
    this.#inflight = inflight;
    this.#host = host;
    this.changer = new ConfigChanger(ctx, {
      latestState: () => this.latest,
      configPending: () => this.configPending(),
      drained: () => this.#ctx.log.committed >= this.#host.nextSlot() - 1,
      proposeConfig: (state) => host.proposeConfig(state),
      peerCommitted: (id) => this.#peerCommitted.get(id),
    });
  }

  /** The configuration governing the next slot (the newest this leader proposed or knows). */
  get latest(): ConfigState {
    const state = this.#ctx.log.configFor(this.#host.nextSlot());
    assert(state !== undefined, 'a leader without a configuration');
    return state;
  }

  /**
   * The configurations in force: the committed one and the newest proposed (one when they are
   * the same). A new ballot must win phase 1 in one of them (`configuration.ts`).
   */
  inForce(): ConfigState[] {
    const log = this.#ctx.log;
    const committed = log.configFor(log.committed + 1);
    const latest = this.latest;
    return committed === undefined || committed === latest ? [latest] : [committed, latest];
  }

  /** The quorum systems of every configuration in force, joint ones split into their halves. */
  quorums(): QuorumSystem[] {
    return this.inForce().flatMap((s) => this.#ctx.componentsOf(s));
  }

  /**
   * Every other voter and learner of the configurations in force, and the voters a subset
   * configuration was cut from (`Configuration.restore`: they get heartbeats, so they catch up
   * and can be added back), ascending.
   */
  peerIds(): NodeId[] {
    const ids = new Set<number>();
    for (const state of this.inForce()) {
      for (const p of this.#ctx.peersOf(state)) ids.add(p);
    }
    const restore = this.latest.incoming.restore;
    if (restore !== undefined) {
      for (const v of specVoters(restore)) if (v !== this.#ctx.id) ids.add(v);
    }
    return [...ids].sort((a, b) => a - b) as NodeId[];
  }

  /** Whether a configuration entry above the committed index is not committed yet. */
  configPending(): boolean {
    const last = this.#ctx.log.lastConfigSlot;
    return last !== undefined && last > this.#ctx.log.committed;
  }

  /** Re-reads the configurations in force; tells the host when their quorums changed. */
  refresh(): void {
    const force = this.inForce();
    if (force.length === this.#force.length && force.every((s, i) => s === this.#force[i])) {
      return;
    }
    this.#force = force;
    this.#host.onQuorumsChanged(this.quorums());
  }

  /** A heartbeat reply said `peer` knows every slot up to `committed` chosen. */
  notePeerCommitted(peer: NodeId, committed: number): void {
    this.#peerCommitted.set(peer, committed);
  }

  /** Progress of every other member of the configurations in force. */
  peers(): PeerProgress[] {
    return this.peerIds().map((id) => ({
      id,
      committed: this.#peerCommitted.get(id),
      recent: this.#inflight.heardFromNow(id),
    }));
  }

  /**
   * Why `to` cannot take over now, or undefined: it must be another voter of the newest
   * configuration and caught up (its committed index within `learnerCatchUpSlotsMax` of this
   * leader's, as its last heartbeat reply said).
   */
  transferProblem(to: NodeId): 'invalid-target' | 'not-caught-up' | undefined {
    if (to === this.#ctx.id || !isVoterIn(this.latest, to)) {
      return 'invalid-target';
    }
    const slack = this.#ctx.config.learnerCatchUpSlotsMax ?? LEARNER_CATCH_UP_SLOTS_DEFAULT;
    const theirs = this.#peerCommitted.get(to);
    if (theirs === undefined || theirs < this.#ctx.log.committed - slack) {
      return 'not-caught-up';
    }
    return undefined;
  }

  /**
   * A configuration with a preferred leader: once per election timeout, when this leader is
   * not it, no change is under way and the preferred voter is heard from and fully caught up,
   * the voter to transfer leadership to (one election, no lost write); else undefined.
   */
  preferredTarget(transferring: boolean): NodeId | undefined {
    const preferred = this.latest.incoming.preferredLeader;
    const ctx = this.#ctx;
    if (preferred === undefined || preferred === ctx.id) {
      return undefined;
    }
    this.#preferredElapsed++;
    if (this.#preferredElapsed < ctx.config.electionTimeoutTicks) {
      return undefined;
    }
    this.#preferredElapsed = 0;
    const quiet =
      ctx.ticks - this.#inflight.lastAckTick(preferred) > ctx.config.heartbeatIntervalTicks * 2;
    if (
      this.changer.pending !== undefined ||
      transferring ||
      quiet ||
      (this.#peerCommitted.get(preferred) ?? -1) < ctx.log.committed ||
      this.transferProblem(preferred) !== undefined
    ) {
      return undefined;
    }
    return preferred;
  }

  /**
   * Whether this leader removed itself: no voter of the configuration in force (and no change
   * of it pending).
   */
  get removedSelf(): boolean {
    return !this.configPending() && !isVoterIn(this.latest, this.#ctx.id);
  }

  /** The most caught-up voter this leader heard from, to hand leadership to when it leaves. */
  successor(): NodeId | undefined {
    const voters = configVoters(this.latest.incoming).filter(
      (v) => v !== this.#ctx.id && this.#inflight.lastAckTick(v) >= 0,
    );
    voters.sort((a, b) => (this.#peerCommitted.get(b) ?? -1) - (this.#peerCommitted.get(a) ?? -1));
    return voters[0];
  }
}

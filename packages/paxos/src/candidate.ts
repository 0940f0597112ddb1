/**
 * The candidate role: phase 1 as an election. A candidate has promised its own ballot (counted
 * once durable), sent Prepare for every slot from its first one not known chosen, and tallies
 * the promises (`PromiseTally`, `phase1.ts`) until it won or can no longer win.
 *
 * ## The chain rule (which quorums phase 1 needs)
 *
 * Let K be the highest slot some promise (or the candidate) knows every slot up to chosen, and
 * C_K the configuration in force above K (as that promise reports it). The candidate recovers
 * every slot above K, so for each of them it must hear from every phase-2 quorum that could
 * have chosen a value there: C_K governs the slots above K up to the next configuration entry,
 * that entry's configuration the slots above it, and so on; the entries are the values the
 * recovery plan re-proposes (the highest-ballot reports). The candidate wins once, for every
 * configuration of that chain, its promises contain a phase-1 quorum; for a joint
 * configuration a phase-1 quorum of either half suffices (every joint phase-2 quorum contains a
 * phase-2 quorum of each half). Prepares go to the voters of every configuration of the chain,
 * as promises reveal them. See `configuration.ts` for why this is safe.
 */
import type { VoteResult } from '@flexpaxos/quorum';
import { stateVoters, type ConfigState } from './configuration.js';
import type { ReplicaContext } from './context.js';
import type { PromiseMessage } from './messages.js';
import { PromiseTally } from './phase1.js';
import type { Ballot, NodeId, Slot } from './types.js';

/** Outcome of the election so far. */
export type ElectionResult = VoteResult;

/** Phase-1 state of one campaign (one ballot). */
export class Candidate {
  readonly ballot: Ballot;
  /** The first slot the Prepare covers (every slot from here on). */
  readonly fromSlot: Slot;
  readonly tally: PromiseTally;
  readonly #ctx: ReplicaContext;
  /** Nodes a Prepare of this ballot went to. */
  readonly #prepared = new Set<number>();

  /** Starts phase 1 for `ballot`: sends Prepare to every voter of the chain it knows. */
  constructor(ctx: ReplicaContext, ballot: Ballot) {
    this.#ctx = ctx;
    this.ballot = ballot;
    this.fromSlot = (ctx.log.committed + 1) as Slot;
    this.tally = new PromiseTally(ctx.log.committed, ctx.committedConfig);
    this.#prepared.add(ctx.id);
    this.#sendPrepares();
  }

  /** Absorbs a promise for this ballot. Returns false when it is not new (or not for it). */
  onPromise(m: PromiseMessage): boolean {
    if (!this.tally.absorb(m.from, m.accepted, m.committed, m.snapshotIndex, m.config)) {
      return false;
    }
    this.#sendPrepares();
    return true;
  }

  /** Counts the candidate's own promise, now durable, with everything it accepted. */
  recordSelfPromise(): void {
    const log = this.#ctx.log;
    this.tally.absorb(
      this.#ctx.id,
      log.entriesFrom(this.fromSlot),
      log.committed,
      log.snapshotIndex,
      this.#ctx.committedConfig,
    );
  }

  /**
   * The configurations whose quorums this ballot needs, in slot order (the chain rule above).
   * Empty while neither this node nor a promiser knows the configuration above the slots known
   * chosen.
   */
  chain(): ConfigState[] {
    if (this.#ctx.config.unsafeReconfig === true) {
      // Fault injection: the newest configuration in the own log only, no chain.
      const log = this.#ctx.log;
      const newest = log.configFor(log.lastSlot + 1);
      return newest === undefined ? [] : [newest];
    }
    const tally = this.tally;
    const start = tally.knownChosenConfig;
    if (start === undefined) {
      return [];
    }
    const chain: ConfigState[] = [start];
    const above = [...tally.reported.keys()]
      .filter((s) => s > tally.knownChosenUpTo)
      .sort((a, b) => a - b);
    for (const s of above) {
      const value = tally.reported.get(s)?.value;
      if (value?.kind === 'config') {
        chain.push(value.config);
      }
    }
    return chain;
  }

  /**
   * The election's outcome: won when every configuration of the chain has a phase-1 quorum
   * among the promises and the own promise is durable; lost when some configuration can no
   * longer get one. Lead only once the own promise of this ballot is durable. Failure scenario
   * otherwise:
   *   1. candidate C sends Prepare(b), peers promise, C leads and sends Accept(b, v) at slot s
   *      while its promise of b is still unsynced;
   *   2. C crashes, restarts with a lower promise and campaigns again with the same round,
   *      i.e. the same ballot b;
   *   3. this incarnation may propose v' != v at slot s in ballot b, and a follower holding
   *      (b, v) would take the commit announced for (b, v') as choosing v. Two values chosen.
   * With the promise durable first, a restarted C always picks a ballot above b.
   */
  result(): ElectionResult {
    const chain = this.chain();
    if (chain.length === 0) {
      // No configuration known below the slots to recover yet (a node that joined and has
      // not learned its log's start): a promise will tell.
      return 'pending';
    }
    let all: VoteResult = 'won';
    for (const state of chain) {
      const r = this.#stateResult(state);
      if (r === 'lost') {
        return 'lost';
      }
      if (r === 'pending') {
        all = 'pending';
      }
    }
    if (all === 'won' && this.tally.votes.get(this.#ctx.id) !== true) {
      return 'pending';
    }
    return all;
  }

  /** Phase-1 result of one configuration: for a joint one, either half winning suffices. */
  #stateResult(state: ConfigState): VoteResult {
    const votes = this.tally.votes;
    const results = this.#ctx.componentsOf(state).map((q) => q.phase1Result(votes));
    if (results.includes('won')) {
      return 'won';
    }
    return results.every((r) => r === 'lost') ? 'lost' : 'pending';
  }

  /** Sends Prepare to every voter of the chain (and of the own log's configurations) not asked yet. */
  #sendPrepares(): void {
    const ctx = this.#ctx;
    const targets = new Set<number>();
    for (const state of this.chain()) {
      for (const v of stateVoters(state)) targets.add(v);
    }
    for (const slot of ctx.log.configSlotsAbove(ctx.log.committed)) {
      const value = ctx.log.entry(slot)?.value;
      if (value?.kind === 'config') {
        for (const v of stateVoters(value.config)) targets.add(v);
      }
    }
    for (const peer of [...targets].sort((a, b) => a - b)) {
      if (!this.#prepared.has(peer)) {
        this.#prepared.add(peer);
        ctx.send({
          type: 'prepare',
          from: ctx.id,
          to: peer as NodeId,
          ballot: this.ballot,
          fromSlot: this.fromSlot,
        });
      }
    }
  }
}

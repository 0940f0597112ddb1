/**
 * The candidate role: phase 1 as an election. A candidate has promised its own ballot (counted
 * once durable), sent Prepare for every slot from its first one not known chosen, and tallies
 * the promises (`PromiseTally`, `phase1.ts`) until a phase-1 quorum won or can no longer win.
 */
import type { ReplicaContext } from './context.js';
import type { PromiseMessage } from './messages.js';
import { PromiseTally } from './phase1.js';
import type { Ballot, NodeId, Slot } from './types.js';

/** Outcome of the election so far. */
export type ElectionResult = 'won' | 'lost' | 'pending';

/** Phase-1 state of one campaign (one ballot). */
export class Candidate {
  readonly ballot: Ballot;
  /** The first slot the Prepare covers (every slot from here on). */
  readonly fromSlot: Slot;
  readonly tally: PromiseTally;
  readonly #ctx: ReplicaContext;

  /** Starts phase 1 for `ballot`: sends Prepare to every other voter. */
  constructor(ctx: ReplicaContext, ballot: Ballot) {
    this.#ctx = ctx;
    this.ballot = ballot;
    this.fromSlot = (ctx.log.committed + 1) as Slot;
    this.tally = new PromiseTally(ctx.log.committed);
    for (const peer of ctx.quorum.voters) {
      if (peer !== ctx.id) {
        ctx.send({
          type: 'prepare',
          from: ctx.id,
          to: peer as NodeId,
          ballot,
          fromSlot: this.fromSlot,
        });
      }
    }
  }

  /** Absorbs a promise for this ballot. Returns false when it is not new (or not for it). */
  onPromise(m: PromiseMessage): boolean {
    return this.tally.absorb(m.from, m.accepted, m.committed, m.snapshotIndex);
  }

  /** Counts the candidate's own promise, now durable, with everything it accepted. */
  recordSelfPromise(): void {
    const log = this.#ctx.log;
    this.tally.absorb(
      this.#ctx.id,
      log.entriesFrom(this.fromSlot),
      log.committed,
      log.snapshotIndex,
    );
  }

  /**
   * The election's outcome. Lead only once the own promise of this ballot is durable. Failure
   * scenario otherwise:
   *   1. candidate C sends Prepare(b), peers promise, C leads and sends Accept(b, v) at slot s
   *      while its promise of b is still unsynced;
   *   2. C crashes, restarts with a lower promise and campaigns again with the same round,
   *      i.e. the same ballot b;
   *   3. this incarnation may propose v' != v at slot s in ballot b, and a follower holding
   *      (b, v) would take the commit announced for (b, v') as choosing v. Two values chosen.
   * With the promise durable first, a restarted C always picks a ballot above b.
   */
  result(): ElectionResult {
    const result = this.#ctx.quorum.phase1Result(this.tally.votes);
    if (result === 'won') {
      return this.tally.votes.get(this.#ctx.id) === true ? 'won' : 'pending';
    }
    return result;
  }
}

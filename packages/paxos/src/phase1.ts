/**
 * Phase 1 of Multi-Paxos as an election: tallying promises and turning them into the new
 * leader's recovery plan. Pure data in, pure data out, so the safety-critical choice of values
 * is testable on its own.
 */
import { compareBallots } from './ballot.js';
import { NOOP } from './slot-value.js';
import type { ConfigState } from './configuration.js';
import type { AcceptedEntry, NodeId, SlotValue } from './types.js';

/**
 * The promises a candidate collected for one ballot.
 *
 * Invariant: `reported` holds, per slot, the entry with the highest ballot among the promises
 * absorbed so far; `chosenReported` holds values that a promiser had committed (so chosen).
 */
export class PromiseTally {
  /** Votes per voter: `true` promised, `false` refused. */
  readonly votes = new Map<number, boolean>();
  /** Highest-ballot accepted entry reported per slot. */
  readonly reported = new Map<number, AcceptedEntry>();
  /** Values known chosen because a promiser had committed their slot. */
  readonly chosenReported = new Map<number, AcceptedEntry>();
  /** Highest committed / snapshot index among the promises (every slot up to it is chosen). */
  knownChosenUpTo: number;
  /** A promiser that knows every slot up to `knownChosenUpTo` (to fetch from). */
  knownChosenFrom: NodeId | undefined;
  /** The configuration in force just above `knownChosenUpTo`, as that promiser knows it. */
  knownChosenConfig: ConfigState | undefined;

  /**
   * Starts a tally for a candidate that knows every slot up to `committed` chosen, with
   * `config` in force above it.
   */
  constructor(committed: number, config?: ConfigState) {
    this.knownChosenUpTo = committed;
    this.knownChosenConfig = config;
  }

  /**
   * Records `from`'s promise: the entries it accepted from the candidate's `fromSlot` on, its
   * committed index and snapshot index, and the configuration in force above its committed
   * index. Returns false for a repeated promise.
   */
  absorb(
    from: NodeId,
    accepted: readonly AcceptedEntry[],
    committed: number,
    snapshotIndex: number,
    config?: ConfigState,
  ): boolean {
    if (this.votes.has(from)) {
      return false;
    }
    this.votes.set(from, true);
    for (const e of accepted) {
      if (e.slot <= committed && !this.chosenReported.has(e.slot)) {
        this.chosenReported.set(e.slot, e);
      }
      const prev = this.reported.get(e.slot);
      if (prev === undefined || compareBallots(e.ballot, prev.ballot) > 0) {
        this.reported.set(e.slot, e);
      }
    }
    const known = Math.max(committed, snapshotIndex);
    if (known > this.knownChosenUpTo) {
      this.knownChosenUpTo = known;
      this.knownChosenFrom = from;
      this.knownChosenConfig = config;
    }
    return true;
  }
}

/** What a new leader proposes in its ballot, and what it must fetch first. */
export interface RecoveryPlan {
  /** (slot, value) pairs to re-propose in the new ballot, ascending. */
  readonly proposals: readonly { readonly slot: number; readonly value: SlotValue }[];
  /** The first slot for new commands. */
  readonly nextSlot: number;
  /** Slots in (committed, fetchUpTo] the leader skipped: chosen, value unknown, fetch them. */
  readonly fetchUpTo: number;
}

/**
 * The recovery plan of a leader that won phase 1 with `tally` ("Paxos Made Simple", §3; Flexible
 * Paxos, arXiv 1608.06696, §3: the phase-1 quorum meets every phase-2 quorum, so any value that
 * may have been chosen is among the reports, with the highest ballot).
 *
 * For each slot above the leader's `committed` index up to the highest one anybody knows:
 * 1. a value the leader knows chosen (`localChosen`) is re-proposed as is;
 * 2. a slot some promiser committed but whose value nobody reported (compacted) is skipped and
 *    fetched: filling it would overwrite a chosen value;
 * 3. otherwise the value with the highest accepted ballot is re-proposed, or a no-op in a hole.
 */
export function planRecovery(
  tally: PromiseTally,
  committed: number,
  lastLocalSlot: number,
  localChosen: (slot: number) => SlotValue | undefined,
): RecoveryPlan {
  let end = Math.max(lastLocalSlot, committed, tally.knownChosenUpTo);
  for (const slot of tally.reported.keys()) {
    end = Math.max(end, slot);
  }
  const proposals: { slot: number; value: SlotValue }[] = [];
  for (let s = committed + 1; s <= end; s++) {
    const chosen = localChosen(s) ?? tally.chosenReported.get(s)?.value;
    if (chosen !== undefined) {
      proposals.push({ slot: s, value: chosen });
    } else if (s > tally.knownChosenUpTo) {
      proposals.push({ slot: s, value: tally.reported.get(s)?.value ?? NOOP });
    }
  }
  return { proposals, nextSlot: end + 1, fetchUpTo: Math.max(committed, tally.knownChosenUpTo) };
}

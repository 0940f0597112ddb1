/**
 * The acceptor role: the promised ballot, Prepare / Accept / heartbeat handling and lease
 * grants (Lamport, "Paxos Made Simple", §2.2-2.3; Flexible Paxos, arXiv 1608.06696, §3).
 *
 * Invariants:
 * - `promised` never decreases (it is persisted before any reply that depends on it leaves:
 *   Promise, Accepted and heartbeat replies go out only after the ready's persist).
 * - Every log entry's ballot is <= `promised`.
 *
 * Role transitions (following a new leader, stepping down) are the replica's business: the
 * methods here report what happened and the replica routes.
 */
import { AcceptorLease, type LeaseConfig } from '@flexpaxos/lease';
import { assert } from './assert.js';
import { ballotEquals, compareBallots } from './ballot.js';
import type { ReplicaContext } from './context.js';
import type { AcceptMessage, HeartbeatMessage, PrepareMessage } from './messages.js';
import type { PromiseState } from './ready.js';
import { stateMembers } from './configuration.js';
import { slotValuesEqual } from './slot-value.js';
import type { Ballot, NodeId, Round, Slot } from './types.js';

/** Outcome of `Acceptor.onPrepare`. */
export type PrepareOutcome =
  /** Below the promise: a Reject went back. */
  | 'rejected'
  /** A lease grant (or the restart wait) runs: dropped without a reply. */
  | 'refused'
  /**
   * The candidate is no member of the newest configuration this acceptor knows (it was
   * removed, or never added) and knows no more chosen slots than this acceptor: dropped, and
   * the replica sends it the chosen log so a removed node learns it was removed.
   */
  | 'not-a-member'
  /** Promised a ballot above the previous promise (the replica follows nobody now). */
  | 'promised-higher'
  /** Promised again the ballot already promised. */
  | 'promised-again';

/** The acceptor side of one replica. */
export class Acceptor {
  readonly #ctx: ReplicaContext;
  #promised: Ballot;
  #promisedDirty = false;
  #maxRoundSeen: number;
  /** Highest committed index announced by the leader of `promised`. */
  #leaderCommit = 0;
  /** Lease grants; a new object per `Replica` (start or restart), hence the restart wait. */
  readonly #lease: AcceptorLease | undefined;
  #preparesRefused = 0;

  constructor(ctx: ReplicaContext, promised: Ballot, leaseConfig: LeaseConfig | undefined) {
    this.#ctx = ctx;
    this.#promised = promised;
    this.#maxRoundSeen = promised.round;
    // A new object has forgotten every grant of an earlier run: it refuses promises for one
    // full lease duration from now (the restart wait; packages/lease/README.md, rule 3).
    this.#lease =
      leaseConfig === undefined ? undefined : new AcceptorLease(leaseConfig, ctx.nowMs());
  }

  /** The highest ballot promised. */
  get promised(): Ballot {
    return this.#promised;
  }

  /** The highest round seen in any message (a new ballot goes above it). */
  get maxRoundSeen(): number {
    return this.#maxRoundSeen;
  }

  /** Prepares (own campaigns included) dropped because of a running grant or restart wait. */
  get preparesRefused(): number {
    return this.#preparesRefused;
  }

  /** The lease grants (undefined without leases). */
  get lease(): AcceptorLease | undefined {
    return this.#lease;
  }

  /** The promise as the next ready persists it; clears the "rose" flag. */
  takePromiseState(): PromiseState {
    const state = { promised: this.#promised, promisedDirty: this.#promisedDirty };
    this.#promisedDirty = false;
    return state;
  }

  /** Whether the promise rose since the last ready. */
  get promisedDirty(): boolean {
    return this.#promisedDirty;
  }

  /** Notes a ballot's round (a new ballot of this node goes above every round seen). */
  observeRound(b: Ballot): void {
    this.#maxRoundSeen = Math.max(this.#maxRoundSeen, b.round);
  }

  /** Reserves `round` for a new own ballot. */
  reserveRound(round: number): void {
    this.#maxRoundSeen = Math.max(this.#maxRoundSeen, round);
  }

  /** Promises `ballot` (>= the current promise). Returns whether the promise rose. */
  promise(ballot: Ballot): boolean {
    assert(compareBallots(ballot, this.#promised) >= 0, 'promised ballot must never decrease');
    if (ballotEquals(ballot, this.#promised)) {
      return false;
    }
    this.#promised = ballot;
    this.#leaderCommit = 0;
    this.#promisedDirty = true;
    return true;
  }

  /**
   * Whether this acceptor may promise `ballot` now: with leases, not while it grants a lease
   * to another ballot or its restart wait runs.
   */
  mayPromise(ballot: Ballot): boolean {
    return this.#lease === undefined || this.#lease.mayPromise(ballot, this.#ctx.nowMs()).ok;
  }

  /**
   * Admits a message of `ballot` from `from` (Accept or heartbeat): notes its round and, when
   * it is below the promise, answers with a Reject and returns false.
   */
  admit(ballot: Ballot, from: NodeId): boolean {
    this.observeRound(ballot);
    if (compareBallots(ballot, this.#promised) < 0) {
      this.#reject(ballot, from);
      return false;
    }
    return true;
  }

  /**
   * Phase 1b. Promises every slot from `m.fromSlot` and reports what was accepted there
   * (entries at or below the snapshot are summarized by `snapshotIndex`, all chosen).
   */
  onPrepare(m: PrepareMessage): PrepareOutcome {
    this.observeRound(m.ballot);
    // A candidate that knows more chosen slots than this acceptor may be a member this
    // acceptor has not learned of yet: only a candidate that is not ahead is refused.
    if (m.fromSlot <= this.#ctx.log.committed + 1 && !this.knowsMember(m.from)) {
      return 'not-a-member';
    }
    if (compareBallots(m.ballot, this.#promised) < 0) {
      this.#reject(m.ballot, m.from);
      return 'rejected';
    }
    if (!this.mayPromise(m.ballot)) {
      // A lease grant to another ballot (or the restart wait) runs: drop the Prepare without a
      // reply. This refusal is what makes the granted leader's lease exclusive
      // (packages/lease/README.md, "Safety argument"); the candidate retries after its timeout.
      this.#preparesRefused++;
      return 'refused';
    }
    const raised = this.promise(m.ballot);
    const log = this.#ctx.log;
    const config = this.#ctx.committedConfig;
    this.#ctx.sendAfterPersist({
      type: 'promise',
      from: this.#ctx.id,
      to: m.from,
      ballot: m.ballot,
      fromSlot: m.fromSlot,
      accepted: log.acceptedFrom(m.fromSlot),
      committed: log.committed as Slot,
      snapshotIndex: log.snapshotIndex as Slot,
      ...(config === undefined ? {} : { config }),
    });
    return raised ? 'promised-higher' : 'promised-again';
  }

  /**
   * Whether `id` is a voter or learner of the newest configuration in this acceptor's log
   * (committed or not: a change that removes a node is on its way once its entry is there). A
   * node that has not joined a cluster knows everyone. Refusing a Prepare is always safe; this
   * only keeps a removed node from disrupting the cluster.
   */
  knowsMember(id: number): boolean {
    const log = this.#ctx.log;
    const newest = log.configFor(log.lastSlot + 1);
    return newest === undefined || stateMembers(newest).includes(id as NodeId);
  }

  /**
   * Phase 2b, for an admitted Accept whose ballot is now the promise: accepts its entries
   * (persisted with the next ready) and acknowledges them after the persist, granting the
   * ballot a lease (or releasing it during a transfer).
   */
  onAccept(m: AcceptMessage): void {
    const log = this.#ctx.log;
    const acked: Slot[] = [];
    for (const entry of m.entries) {
      const s = entry.slot;
      if (s <= log.snapshotIndex) {
        continue; // compacted: chosen long ago
      }
      const existing = log.entry(s);
      if (existing?.chosen === true) {
        // Already known chosen: a proposal in a ballot at or above the chosen one carries the
        // same value; acknowledge only then (a stale leader's different value is ignored).
        if (!slotValuesEqual(existing.value, entry.value)) {
          continue;
        }
        log.raiseBallot(s, m.ballot);
        acked.push(s);
        continue;
      }
      log.accept(s, m.ballot, entry.value);
      acked.push(s);
    }
    if (acked.length > 0) {
      this.grantOrRelease(m.ballot, m.leaseRelease);
      this.#ctx.sendAfterPersist({
        type: 'accepted',
        from: this.#ctx.id,
        to: m.from,
        ballot: m.ballot,
        slots: acked,
        ...(m.leaseRound === undefined ? {} : { leaseRound: m.leaseRound }),
      });
    } else if (m.leaseRelease === true) {
      this.grantOrRelease(m.ballot, true);
    }
  }

  /** Answers an admitted heartbeat (after the persist), granting or releasing the lease. */
  onHeartbeat(m: HeartbeatMessage): void {
    this.grantOrRelease(m.ballot, m.leaseRelease);
    this.#ctx.sendAfterPersist({
      type: 'heartbeat-reply',
      from: this.#ctx.id,
      to: m.from,
      ballot: m.ballot,
      committed: this.#ctx.log.committed as Slot,
      ...(m.leaseRound === undefined ? {} : { leaseRound: m.leaseRound }),
      ...(m.readRound === undefined ? {} : { readRound: m.readRound }),
    });
  }

  /**
   * The leader of `ballot` announced `committed`. Returns how far this acceptor may now treat
   * entries of that very ballot as chosen (the highest announcement of the promised ballot's
   * leader), or `undefined` when `ballot` is not the promised one.
   */
  noteLeaderCommit(ballot: Ballot, committed: number): number | undefined {
    if (!ballotEquals(ballot, this.#promised)) {
      return undefined;
    }
    this.#leaderCommit = Math.max(this.#leaderCommit, committed);
    return this.#leaderCommit;
  }

  /**
   * This node acknowledges a leader message of `ballot` (an Accept it accepted or a
   * heartbeat): it grants (renews) that ballot's lease, or, when the message says the leader is
   * transferring leadership, releases its grant. Called before the acknowledgement leaves.
   */
  grantOrRelease(ballot: Ballot, release: boolean | undefined): void {
    const al = this.#lease;
    if (al === undefined) {
      return;
    }
    if (release === true) {
      al.release(ballot, this.#ctx.nowMs());
    } else {
      al.onAcknowledged(ballot, this.#ctx.nowMs());
    }
  }

  /** The ballot this acceptor grants a lease to now (the latest-ending grant), if any. */
  grantedTo(nowMs: number): Ballot | undefined {
    const al = this.#lease;
    if (al === undefined) {
      return undefined;
    }
    let grantedTo: Ballot | undefined;
    let grantEnd = -Infinity;
    for (const g of al.runningGrants(nowMs)) {
      if (g.untilMs > grantEnd) {
        grantEnd = g.untilMs;
        // The grants hold the core's own ballots (structural copies of them).
        grantedTo = { round: g.ballot.round as Round, nodeId: g.ballot.nodeId as NodeId };
      }
    }
    return grantedTo;
  }

  #reject(ballot: Ballot, to: NodeId): void {
    this.#ctx.send({
      type: 'reject',
      from: this.#ctx.id,
      to,
      ballot,
      promised: this.#promised,
    });
  }
}

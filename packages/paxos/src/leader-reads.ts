/**
 * The leader's read path (design brief, "Reads"): lease reads answered from the lease
 * (`LeaseHolder`), quorum reads confirmed by read-index rounds (`ReadIndex`) that ride on
 * heartbeats. Both need the read barrier: an entry of the leader's own ballot committed, and
 * with it everything chosen before the election.
 */
import type { LeaseReadRefusal } from '@flexpaxos/lease';
import type { QuorumSystem } from '@flexpaxos/quorum';
import { assertNever } from './assert.js';
import type { ReplicaContext } from './context.js';
import type { LeaseHolder } from './lease-holder.js';
import { ReadIndex } from './read-index.js';
import type { ReadMode, ReadResult, ReadUnavailableReason } from './replica-status.js';
import type { NodeId, Slot } from './types.js';

/** What the read path needs from its leader. */
export interface ReadHost {
  /** The leader's lease, if leases are configured. */
  lease(): LeaseHolder | undefined;
  /** Whether the read barrier is committed. */
  ownBallotCommitted(): boolean;
  /** The quorum systems in force (a read round needs a phase-2 quorum of each). */
  quorums(): readonly QuorumSystem[];
  /** Broadcasts a heartbeat carrying read round `readRound`. */
  heartbeat(readRound: number): void;
}

/** Lease and quorum reads of one leader ballot. */
export class LeaderReads {
  readonly #ctx: ReplicaContext;
  readonly #host: ReadHost;
  readonly #index = new ReadIndex();

  constructor(ctx: ReplicaContext, host: ReadHost) {
    this.#ctx = ctx;
    this.#host = host;
  }

  /** A linearizable read (see `Replica.read`). */
  read(request: { readonly id: number; readonly mode: ReadMode }): ReadResult {
    const log = this.#ctx.log;
    const mode = request.mode;
    switch (mode) {
      case 'lease': {
        const lease = this.#host.lease();
        if (lease === undefined) {
          return { kind: 'unavailable', reason: 'no-lease' };
        }
        const decision = lease.canServeRead(this.#ctx.nowMs(), this.#host.ownBallotCommitted());
        if (decision.ok) {
          return { kind: 'ready', index: log.committed as Slot };
        }
        return { kind: 'unavailable', reason: leaseRefusalReason(decision.reason) };
      }
      case 'quorum': {
        if (!this.#host.ownBallotCommitted()) {
          return { kind: 'unavailable', reason: 'own-ballot-not-committed' };
        }
        const inFlight = this.#index.roundInFlight;
        this.#index.add(request.id, log.committed as Slot);
        if (!inFlight) {
          this.#startRound();
        }
        return { kind: 'pending' };
      }
      default:
        return assertNever(mode, 'read mode');
    }
  }

  /** A voter echoed read round `round`. */
  onAck(voter: NodeId, round: number): void {
    this.#index.onAck(voter, round);
    this.#confirm();
  }

  /**
   * A heartbeat is due: waiting quorum reads ride on it as a new round (a lost round retries).
   * Returns false when no read waits (the caller sends a plain heartbeat).
   */
  onHeartbeatDue(): boolean {
    if (this.#index.waiting === 0) {
      return false;
    }
    this.#startRound();
    return true;
  }

  /** Leaving the leader role: every pending quorum read fails. */
  failAll(leaderHint: NodeId | undefined): void {
    const hint = leaderHint === this.#ctx.id ? undefined : leaderHint;
    this.#index.failAll(hint, this.#ctx.out.failedReads);
  }

  /** Starts a read-confirmation round now (a heartbeat carrying it). */
  #startRound(): void {
    this.#host.heartbeat(this.#index.startRound());
    this.#confirm();
  }

  /**
   * Hands out every pending quorum read whose round a phase-2 quorum (the leader included)
   * acknowledged; starts the next round at once when reads remain.
   */
  #confirm(): void {
    const ctx = this.#ctx;
    if (!this.#index.confirm(this.#host.quorums(), ctx.id, ctx.out.reads)) {
      return;
    }
    if (this.#index.needsRound) {
      this.#startRound();
    }
  }
}

/** Maps the lease package's refusal to the core's `ReadResult` reason. */
function leaseRefusalReason(reason: LeaseReadRefusal): ReadUnavailableReason {
  switch (reason) {
    case 'transferring':
      return 'transferring';
    case 'own-ballot-entry-not-committed':
      return 'own-ballot-not-committed';
    case 'not-applied':
      return 'not-applied';
    case 'no-lease':
      return 'lease-not-held';
    default:
      return assertNever(reason, 'lease read refusal');
  }
}

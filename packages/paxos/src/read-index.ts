/**
 * Quorum reads (ReadIndex; Ongaro's thesis §6.4) at the leader: a read takes the committed
 * index at its arrival and waits until a phase-2 quorum (the leader included) echoed a
 * heartbeat round that began after it; then it is confirmed and the host answers it once its
 * state machine applied through the index.
 *
 * During a membership change the acknowledgements must form a phase-2 quorum of every
 * configuration in force (`configuration.ts`, "Leases across a change").
 *
 * Why it is linearizable: every phase-1 quorum of a higher ballot meets that phase-2 quorum,
 * whose members acknowledged this ballot after the read began, so no higher ballot had
 * completed phase 1 (nor chosen anything) when the read began; every write completed before
 * the read is therefore at or below the read index.
 */
import type { QuorumSystem } from '@flexpaxos/quorum';
import type { CompletedRead, FailedRead } from './ready.js';
import type { NodeId, Slot } from './types.js';

/** A quorum read waiting for its confirmation round. */
interface PendingRead {
  readonly id: number;
  readonly index: Slot;
  readonly round: number;
}

/** Read-confirmation rounds of one leader ballot. */
export class ReadIndex {
  /** The last read-confirmation round started and the last one confirmed. */
  #started = 0;
  #confirmed = 0;
  /** Per voter, the highest read round it echoed in this ballot. */
  readonly #acks = new Map<number, number>();
  /** Reads waiting for a round >= `round` to be acknowledged by a phase-2 quorum. */
  readonly #pending: PendingRead[] = [];

  /** Reads waiting for confirmation. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Whether a round was started and not confirmed yet. */
  get roundInFlight(): boolean {
    return this.#started > this.#confirmed;
  }

  /** Queues a read at `index`; it needs the round after the last one started. */
  add(id: number, index: Slot): void {
    this.#pending.push({ id, index, round: this.#started + 1 });
  }

  /** Starts the next round; returns its number (to carry in the heartbeats). */
  startRound(): number {
    this.#started++;
    return this.#started;
  }

  /** Whether a new round should start now (reads wait and no round after them is in flight). */
  get needsRound(): boolean {
    return this.#pending.length > 0 && this.#started <= this.#confirmed;
  }

  /** Records that `voter` echoed read round `round`. */
  onAck(voter: number, round: number): void {
    this.#acks.set(voter, Math.max(this.#acks.get(voter) ?? 0, round));
  }

  /**
   * Confirms every pending read whose round a phase-2 quorum of every system in `quorums`
   * (the leader, `self`, included where it votes) acknowledged, appending them to `out`.
   * Returns whether any was confirmed.
   */
  confirm(quorums: readonly QuorumSystem[], self: number, out: CompletedRead[]): boolean {
    if (this.#pending.length === 0) {
      return false;
    }
    const acked = new Map(this.#acks);
    acked.set(self, this.#started);
    let confirmed = this.#started;
    for (const q of quorums) {
      confirmed = Math.min(confirmed, q.phase2CommittedIndex(acked));
    }
    if (confirmed <= this.#confirmed) {
      return false;
    }
    this.#confirmed = confirmed;
    let n = 0;
    while (n < this.#pending.length && this.#pending[n]!.round <= confirmed) {
      const r = this.#pending[n]!;
      out.push({ id: r.id, index: r.index });
      n++;
    }
    this.#pending.splice(0, n);
    return true;
  }

  /** Fails every pending read (the leader steps down), appending them to `out`. */
  failAll(leaderHint: NodeId | undefined, out: FailedRead[]): void {
    for (const r of this.#pending) {
      out.push({ id: r.id, leaderHint });
    }
    this.#pending.length = 0;
  }
}

/**
 * The simulated disk of one node. A write becomes durable only when its simulated fsync
 * completes (after a random latency, in submission order); a crash loses every write still in
 * flight. Durable state: hard state, accepted log entries, the latest snapshot. (The state
 * machine is durable on apply and lives in `SimStateMachine`.)
 */
import type {
  SimAcceptedEntry,
  SimConfigState,
  SimHardState,
  SimPersistRequest,
  SimSnapshot,
} from './core-types.js';

/** A write waiting for its fsync. */
interface PendingWrite {
  readonly doneAt: number;
  readonly request: SimPersistRequest;
  readonly onDurable: () => void;
}

/** What the disk holds durably. */
export interface DurableState {
  hardState: SimHardState | undefined;
  readonly entries: Map<number, SimAcceptedEntry>;
  snapshot: SimSnapshot | undefined;
  baseConfig: SimConfigState | undefined;
}

/** One node's simulated disk. */
export class SimDisk {
  readonly durable: DurableState = {
    hardState: undefined,
    entries: new Map(),
    snapshot: undefined,
    baseConfig: undefined,
  };
  private pending: PendingWrite[] = [];
  private lastDoneAt = 0;
  /** When true (trace tests) writes stay in flight until `flush()`. */
  held = false;
  writes = 0;

  /** Submits a write at tick `now` that takes `latencyTicks`; `onDurable` runs once it is synced. */
  write(request: SimPersistRequest, now: number, latencyTicks: number, onDurable: () => void): void {
    const doneAt = Math.max(this.lastDoneAt, now + latencyTicks);
    this.lastDoneAt = doneAt;
    this.pending.push({ doneAt, request, onDurable });
  }

  /** Whether a write is in flight. */
  get busy(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Completes writes due by `now` (all of them with `force`), applying each to durable state
   * and then calling `apply` hook and its callback. Returns how many completed.
   */
  complete(now: number, force: boolean, onWrite: (r: SimPersistRequest) => void): number {
    if (this.held && !force) return 0;
    let n = 0;
    while (this.pending.length > 0) {
      const w = this.pending[0] as PendingWrite;
      if (!force && w.doneAt > now) break;
      this.pending.shift();
      this.applyWrite(w.request);
      this.writes++;
      onWrite(w.request);
      w.onDurable();
      n++;
    }
    return n;
  }

  /** Loses every write still in flight (a crash). */
  crash(): void {
    this.pending = [];
  }

  private applyWrite(r: SimPersistRequest): void {
    const d = this.durable;
    if (r.snapshot !== undefined) {
      d.snapshot = r.snapshot;
      for (const slot of [...d.entries.keys()]) if (slot <= r.snapshot.meta.index) d.entries.delete(slot);
    }
    if (r.truncateBelow !== undefined) {
      const below = r.truncateBelow;
      for (const slot of [...d.entries.keys()]) if (slot < below) d.entries.delete(slot);
    }
    for (const e of r.entries) d.entries.set(e.slot, e);
    if (r.hardState !== undefined) d.hardState = r.hardState;
    if (r.baseConfig !== undefined) d.baseConfig = r.baseConfig;
  }
}

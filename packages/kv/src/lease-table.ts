/**
 * The replicated lease table: each live lease's TTL, grant revision and attached keys. It holds
 * no deadlines: expiry is decided by the leader's lessor (see `lessor.ts`) and arrives here as
 * a `lease-revoke` command, so every replica removes the same keys at the same slot.
 */
import { assert } from './assert.js';
import type { LeaseRecord } from './records.js';

/** One live lease. */
export interface LeaseState extends LeaseRecord {
  /** Attached keys (binary strings). */
  readonly keys: Set<string>;
}

/** Leases by id. */
export class LeaseTable {
  private readonly leases = new Map<number, LeaseState>();

  /** Number of live leases. */
  get size(): number {
    return this.leases.size;
  }

  /** The lease `id`, if live. */
  get(id: number): LeaseState | undefined {
    return this.leases.get(id);
  }

  /** Adds a lease with no keys. */
  grant(id: number, record: LeaseRecord): void {
    assert(!this.leases.has(id), `lease ${id} is granted once`);
    this.leases.set(id, { ...record, keys: new Set() });
  }

  /** Removes lease `id`; returns its keys in byte order (the caller deletes them). */
  revoke(id: number): string[] {
    const l = this.leases.get(id);
    assert(l !== undefined, `revoked lease ${id} is live`);
    this.leases.delete(id);
    return [...l.keys].sort();
  }

  /** Attaches key `k` to lease `id`, which must be live. */
  attach(id: number, k: string): void {
    const l = this.leases.get(id);
    assert(l !== undefined, `lease ${id} of key is live`);
    l.keys.add(k);
  }

  /** Detaches key `k` from lease `id` (a no-op when the lease is gone). */
  detach(id: number, k: string): void {
    this.leases.get(id)?.keys.delete(k);
  }

  /** Every lease id, ascending. */
  ids(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }
}

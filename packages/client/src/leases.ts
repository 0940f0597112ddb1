/**
 * Key leases as the client offers them (etcd v3's lease API): what the calls return, and the
 * checks of their arguments. A key lease is a TTL keys can be attached to (`put(k, v, { lease
 * })`); when it is revoked or expires, its keys are deleted. Not the leader lease.
 */
import { leaseId } from '@flexpaxos/kv';
import type { LeaseId } from '@flexpaxos/kv';
import { InvalidArgumentError } from './errors.js';

/** Result of `leaseGrant`. */
export interface LeaseGrantOutcome {
  /** The id the cluster assigned (ids are never reused). */
  readonly lease: number;
  readonly ttlMs: number;
  /** The log slot of the grant. */
  readonly revision: number;
}

/** Result of `leaseKeepalive`: the lease runs `ttlMs` again, counted from when it was sent. */
export interface LeaseKeepaliveOutcome {
  readonly lease: number;
  readonly ttlMs: number;
}

/** Result of `leaseRevoke`. */
export interface LeaseRevokeOutcome {
  /** Keys deleted with the lease. */
  readonly deleted: number;
  /** The log slot of the revocation. */
  readonly revision: number;
}

/** Result of `leaseTtl`. */
export interface LeaseTtlOutcome {
  readonly lease: number;
  /** The TTL it was granted with (every keep-alive renews it to this). */
  readonly ttlMs: number;
  /** The log slot of the grant. */
  readonly grantedRevision: number;
  /**
   * Milliseconds left before it expires, from the leader's lessor; undefined when the answer
   * did not come from a running lessor (a `stale` read, a leader whose lessor is starting).
   */
  readonly remainingMs: number | undefined;
  /** Attached keys in byte order (only when asked for with `keys: true`; else empty). */
  readonly keys: readonly string[];
}

/** One lease of `leaseList`. */
export interface LeaseListEntry {
  readonly lease: number;
  readonly ttlMs: number;
}

/** Result of `leaseList`: every live lease, by id. */
export interface LeaseListOutcome {
  readonly leases: readonly LeaseListEntry[];
}

/** `lease` as a lease id, or `InvalidArgumentError` naming `field`. */
export function checkLeaseId(lease: number, field = 'lease'): LeaseId {
  if (typeof lease !== 'number' || !Number.isSafeInteger(lease) || lease < 1) {
    throw new InvalidArgumentError(
      `${field}: must be a positive safe integer (got ${String(lease)})`,
    );
  }
  return leaseId(lease);
}

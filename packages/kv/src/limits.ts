/**
 * Every static limit of the key-value state machine, in one place. A command over one of these
 * gets an `invalid` error naming the constant and changes nothing; the README lists them all,
 * with the capacity limits of `KvConfig` (sessions, leases, keys per lease) beside them.
 */

/** Longest key, in bytes. Keys must also be non-empty. */
export const KEY_BYTES_MAX = 4096;
/** Largest value, in bytes. */
export const VALUE_BYTES_MAX = 1024 * 1024;
/** Longest client id (client-chosen session), in bytes. Client ids must be non-empty. */
export const CLIENT_ID_BYTES_MAX = 128;
/** Most key/value pairs one range may return. */
export const RANGE_LIMIT_MAX = 10_000;

/**
 * Most entries in each list of a transaction: at most this many compares, this many operations
 * on success and this many on failure (etcd's default `--max-txn-ops`).
 */
export const TXN_OPS_MAX = 128;
/**
 * Most payload bytes in one transaction: the sum of every key, prefix and value (compares and
 * both branches). 1.5 MiB, etcd's default request size limit; one maximal put fits.
 */
export const TXN_BYTES_MAX = 1536 * 1024;
/**
 * Most key/value pairs the reads of one transaction (its gets and the limits of its ranges,
 * over both branches) may return, so that a recorded transaction reply stays bounded.
 */
export const TXN_READ_KEYS_MAX = RANGE_LIMIT_MAX;

/**
 * Shortest lease TTL, in milliseconds. A lease must outlive a keep-alive round trip; failover
 * is covered separately (a new leader restarts every lease's full TTL).
 */
export const LEASE_TTL_MS_MIN = 1000;
/** Longest lease TTL, in milliseconds: 30 days. */
export const LEASE_TTL_MS_MAX = 30 * 24 * 60 * 60 * 1000;
/** Longest lessor holder tag (the opaque name of a leader's lessor epoch), in bytes. */
export const LESSOR_HOLDER_BYTES_MAX = 128;

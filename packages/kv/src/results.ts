/**
 * Results of the FlexPaxos key-value state machine. `KvResult` covers the basic key-value
 * operations (what `decodeResult` returns); `KvReply` is every result (`decodeReply`).
 */
import type { LeaseId, SessionId } from './ids.js';

/** A key with its value and metadata, as results and watch events carry it. */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Writes since creation; >= 1 for a present key (0 in a delete event). */
  readonly version: number;
  /** Slot of the last change (etcd's mod revision). */
  readonly revision: number;
  /** Slot of the put that created the key (0 in a delete event). */
  readonly createRevision: number;
  /** The lease the key is attached to; 0 for none. */
  readonly lease: LeaseId | 0;
}

/** Result of `get`: the entry, or `undefined` when absent. */
export interface GetResult {
  readonly type: 'get';
  readonly kv: KeyValue | undefined;
}
/** Result of `range`: up to `limit` entries in byte order; `more` when some were left out. */
export interface RangeResult {
  readonly type: 'range';
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
}
/** Result of `put`: the key's new version and revision. */
export interface PutResult {
  readonly type: 'put';
  readonly version: number;
  readonly revision: number;
}
/**
 * Result of `delete`. `deleted` is false when the key was absent (nothing changed);
 * `prevVersion` is the version it had (0 when absent); `revision` is the slot of the delete
 * (0 when nothing changed).
 */
export interface DeleteResult {
  readonly type: 'delete';
  readonly deleted: boolean;
  readonly prevVersion: number;
  readonly revision: number;
}
/**
 * Result of `cas`. On success the new version and revision; on failure the key's current
 * version and revision (both 0 when absent), so the caller can retry.
 */
export interface CasResult {
  readonly type: 'cas';
  readonly succeeded: boolean;
  readonly version: number;
  readonly revision: number;
}

/**
 * Why a command was refused. The command had no effect.
 * - `bad-command`: its bytes did not decode;
 * - `invalid`: a field is out of range or a static limit is exceeded (the message names the
 *   field and the limit constant); retrying the same command cannot succeed;
 * - `stale-sequence`: a command older than the session's last applied one;
 * - `session-expired`: the command's session is unknown (expired, evicted, closed or never
 *   opened): open a new session and report the command to its caller as indeterminate;
 * - `lease-not-found`: the lease does not exist (never granted, revoked or expired);
 * - `limit-exceeded`: a capacity limit of the replicated state is reached (leases, keys per
 *   lease); the same command may succeed once there is room.
 */
export type KvErrorCode =
  | 'bad-command'
  | 'invalid'
  | 'stale-sequence'
  | 'session-expired'
  | 'lease-not-found'
  | 'limit-exceeded';

/** A refused command. */
export interface ErrorResult {
  readonly type: 'error';
  readonly code: KvErrorCode;
  readonly message: string;
}

/** Results of the basic key-value operations, and errors. */
export type KvResult = GetResult | RangeResult | PutResult | DeleteResult | CasResult | ErrorResult;

/** Result of one operation inside a transaction. */
export type TxnOpResult = GetResult | RangeResult | PutResult | DeleteResult;

/**
 * Result of `txn`: which branch ran (`succeeded`: the compares held and `success` ran), the
 * result of each of its operations in order, and the revision (slot) it applied at.
 */
export interface TxnResult {
  readonly type: 'txn';
  readonly succeeded: boolean;
  readonly revision: number;
  readonly results: readonly TxnOpResult[];
}
/** Result of `lease-grant`: the new lease's id and TTL. */
export interface LeaseGrantResult {
  readonly type: 'lease-grant';
  readonly lease: LeaseId;
  readonly ttlMs: number;
  readonly revision: number;
}
/**
 * Result of `lease-revoke`: `revoked` is false when nothing happened (an expiry revocation of a
 * lease already gone, or from a stale lessor epoch); `deleted` counts the keys removed.
 */
export interface LeaseRevokeResult {
  readonly type: 'lease-revoke';
  readonly revoked: boolean;
  readonly deleted: number;
  readonly revision: number;
}
/** Result of `lease-keepalive` (from the leader's lessor): the lease runs `ttlMs` from now. */
export interface LeaseKeepaliveResult {
  readonly type: 'lease-keepalive';
  readonly lease: LeaseId;
  readonly ttlMs: number;
}
/**
 * Result of `lease-ttl`. `remainingMs` is known only to the leader's lessor (undefined from the
 * state machine alone); `keys` are the attached keys in byte order when asked for.
 */
export interface LeaseTtlResult {
  readonly type: 'lease-ttl';
  readonly lease: LeaseId;
  readonly ttlMs: number;
  readonly grantedRevision: number;
  readonly remainingMs: number | undefined;
  readonly keys: readonly Uint8Array[];
}
/** One lease in a `lease-list` result. */
export interface LeaseSummary {
  readonly lease: LeaseId;
  readonly ttlMs: number;
}
/** Result of `lease-list`: every live lease, by id. */
export interface LeaseListResult {
  readonly type: 'lease-list';
  readonly leases: readonly LeaseSummary[];
}
/** Result of `open-session`: the new session's id (never handed out before or again). */
export interface OpenSessionResult {
  readonly type: 'open-session';
  readonly sessionId: SessionId;
  readonly revision: number;
}
/** Result of `close-session`. */
export interface CloseSessionResult {
  readonly type: 'close-session';
  readonly revision: number;
}
/** Result of `session-keepalive`. */
export interface SessionKeepaliveResult {
  readonly type: 'session-keepalive';
  readonly revision: number;
}
/** Result of `lessor-epoch`: the number of the epoch it started. */
export interface LessorEpochResult {
  readonly type: 'lessor-epoch';
  readonly epoch: number;
  readonly revision: number;
}

/** Every result a command or query may produce. */
export type KvReply =
  | KvResult
  | TxnResult
  | LeaseGrantResult
  | LeaseRevokeResult
  | LeaseKeepaliveResult
  | LeaseTtlResult
  | LeaseListResult
  | OpenSessionResult
  | CloseSessionResult
  | SessionKeepaliveResult
  | LessorEpochResult;

/**
 * Operations and commands of the FlexPaxos key-value state machine.
 *
 * Keys and values are byte strings. Every present key carries a `version` (writes since the
 * key was created: 1 after the first put, reset by a delete, so version 0 means "absent"), a
 * `revision` (the log slot of its last change), a `createRevision` (the slot of the put that
 * created it) and the lease it is attached to (0: none).
 */
import type { LeaseId, SessionId } from './ids.js';

/**
 * Exactly-once identity of a command under a *client-chosen* id (the earlier session scheme,
 * kept so existing clients keep working): the client's id and its sequence number; sequence 1
 * opens the session. It has a known hole (a retry of `seq` 1 after the session was evicted is
 * applied again) that registered sessions ({@link SessionRef}) close; `KvConfig.legacySessions`
 * turns it off.
 */
export interface ClientSession {
  readonly clientId: Uint8Array;
  /** Positive safe integer. */
  readonly seq: number;
}

/**
 * Exactly-once identity of a command under a *registered* session: the id that `open-session`
 * returned and the command's sequence number (1, 2, 3, ...; gaps allowed, never decreasing, at
 * most one command outstanding). Ongaro's thesis §6.3.
 */
export interface SessionRef {
  readonly sessionId: SessionId;
  /** Positive safe integer. */
  readonly seq: number;
}

/** Read one key. */
export interface GetOp {
  readonly type: 'get';
  readonly key: Uint8Array;
}
/** Read up to `limit` keys starting with `prefix`, in byte order (empty prefix: all keys). */
export interface RangeOp {
  readonly type: 'range';
  readonly prefix: Uint8Array;
  /** 1 ..= RANGE_LIMIT_MAX. */
  readonly limit: number;
}
/**
 * Write a key unconditionally. With `lease`, the key is attached to that lease (and deleted
 * when it is revoked or expires); without, it is detached from any lease it had.
 */
export interface PutOp {
  readonly type: 'put';
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: LeaseId;
}
/** Remove a key (no effect when absent). */
export interface DeleteOp {
  readonly type: 'delete';
  readonly key: Uint8Array;
}
/**
 * Write a key only if its version is `expectedVersion` (0: only if absent), like etcd's
 * `Compare(Version(key), "=", v)` transaction. The key is detached from any lease it had.
 */
export interface CasOp {
  readonly type: 'cas';
  readonly key: Uint8Array;
  readonly expectedVersion: number;
  readonly value: Uint8Array;
}

/** Operations that read only key-value data; `KvStateMachine.read` answers them. */
export type KvReadOp = GetOp | RangeOp;
/** The basic operations that may change key-value data. */
export type KvWriteOp = PutOp | DeleteOp | CasOp;
/** The basic key-value operations. */
export type KvOp = KvReadOp | KvWriteOp;

/** How a transaction compare relates the key's field to the operand (etcd's `Compare.result`). */
export type CompareOp = '=' | '!=' | '<' | '>';

/**
 * One condition of a transaction, on one key (etcd's `Compare`). An absent key has version,
 * create revision, mod revision and lease 0; a `value` compare on an absent key is false
 * whatever the operator (as in etcd). Values compare in byte order.
 */
export type TxnCompare =
  | {
      readonly target: 'version' | 'create-revision' | 'mod-revision' | 'lease';
      readonly key: Uint8Array;
      readonly op: CompareOp;
      /** A non-negative safe integer. */
      readonly operand: number;
    }
  | {
      readonly target: 'value';
      readonly key: Uint8Array;
      readonly op: CompareOp;
      readonly value: Uint8Array;
    };

/** What a transaction branch may do. */
export type TxnOp = GetOp | RangeOp | PutOp | DeleteOp;

/**
 * An atomic transaction (etcd's `Txn`): if every compare holds, run `success`, else `failure`,
 * in order, in one command at one revision. Later operations see the effects of earlier ones of
 * the same branch. If any operation of the chosen branch cannot run (a put to an unknown lease,
 * a lease over its key limit) the whole transaction fails and changes nothing.
 */
export interface TxnRequest {
  readonly type: 'txn';
  readonly compare: readonly TxnCompare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

/** Grant a lease of `ttlMs`; the result names the lease id the machine assigned. */
export interface LeaseGrantOp {
  readonly type: 'lease-grant';
  /** LEASE_TTL_MS_MIN ..= LEASE_TTL_MS_MAX. */
  readonly ttlMs: number;
}
/**
 * Revoke a lease and delete every key attached to it. `reason: 'client'` is a client's revoke;
 * `reason: 'expired'` is proposed by the leader's lessor when the lease ran out, and takes
 * effect only if `epoch` is still the current lessor epoch (so a deposed leader's late
 * revocation cannot remove a lease the next leader has been keeping alive).
 */
export type LeaseRevokeOp =
  | { readonly type: 'lease-revoke'; readonly lease: LeaseId; readonly reason: 'client' }
  | {
      readonly type: 'lease-revoke';
      readonly lease: LeaseId;
      readonly reason: 'expired';
      readonly epoch: number;
    };
/**
 * Keep a lease alive: answered by the leader's lessor (`Lessor.keepalive`), never through the
 * log; a keep-alive that reaches the log gets `invalid`.
 */
export interface LeaseKeepaliveOp {
  readonly type: 'lease-keepalive';
  readonly lease: LeaseId;
}
/** A lease's TTL, grant revision and (with `keys`) attached keys. */
export interface LeaseTtlOp {
  readonly type: 'lease-ttl';
  readonly lease: LeaseId;
  readonly keys: boolean;
}
/** Every live lease with its TTL. */
export interface LeaseListOp {
  readonly type: 'lease-list';
}
/** Register a new client session; the result carries its id. Takes no session itself. */
export interface OpenSessionOp {
  readonly type: 'open-session';
}
/** Close the command's session, freeing its slot in the table. */
export interface CloseSessionOp {
  readonly type: 'close-session';
}
/** Mark the command's session used, so an idle client keeps it. */
export interface SessionKeepaliveOp {
  readonly type: 'session-keepalive';
}
/**
 * Start a new lessor epoch held by `holder` (host-only: a new leader proposes it with an opaque
 * tag naming itself, such as its node id and ballot, and starts expiring leases once it sees its
 * own epoch applied).
 */
export interface LessorEpochOp {
  readonly type: 'lessor-epoch';
  readonly holder: Uint8Array;
}

/** Lease operations. */
export type LeaseOp = LeaseGrantOp | LeaseRevokeOp | LeaseKeepaliveOp | LeaseTtlOp | LeaseListOp;
/** Session operations. */
export type SessionOp = OpenSessionOp | CloseSessionOp | SessionKeepaliveOp;
/** Queries `KvStateMachine.read` answers from applied state (they also work through the log). */
export type KvQueryOp = KvReadOp | LeaseTtlOp | LeaseListOp;
/** Every operation a command may carry. */
export type KvCommandOp = KvOp | TxnRequest | LeaseOp | SessionOp | LessorEpochOp;

/**
 * A command as it travels through the log: an operation, under at most one session. Writes
 * that must be exactly once carry a registered session (`sessionRef`) or a client-chosen one
 * (`session`); reads and queries through the log ignore sessions (re-running them is harmless).
 */
export type KvCommand =
  | {
      readonly session: ClientSession | undefined;
      readonly sessionRef?: undefined;
      readonly op: KvCommandOp;
    }
  | { readonly session?: undefined; readonly sessionRef: SessionRef; readonly op: KvCommandOp };

/** Decoding outcome: a value or an error message; decoders never throw. */
export type Decoded<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

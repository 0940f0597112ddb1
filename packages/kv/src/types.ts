/**
 * Commands, queries and results of the FlexPaxos key-value state machine.
 *
 * Keys and values are byte strings. Every present key carries a `version` (writes since the
 * key was created: 1 after the first put, reset to 0 by a delete, so version 0 means
 * "absent") and a `revision` (the log slot of its last change).
 */

/** Longest key, in bytes. Keys must also be non-empty. */
export const KEY_BYTES_MAX = 4096;
/** Largest value, in bytes. */
export const VALUE_BYTES_MAX = 1024 * 1024;
/** Longest client id, in bytes. Client ids must be non-empty. */
export const CLIENT_ID_BYTES_MAX = 128;
/** Most key/value pairs one range may return. */
export const RANGE_LIMIT_MAX = 10_000;

/**
 * Exactly-once identity of a command: the client's id and its sequence number. A client
 * numbers its commands 1, 2, 3, ... (gaps allowed, never decreasing) and has at most one
 * command outstanding; sequence 1 opens a session.
 */
export interface ClientSession {
  readonly clientId: Uint8Array;
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
/** Write a key unconditionally. */
export interface PutOp {
  readonly type: 'put';
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}
/** Remove a key (no effect when absent). */
export interface DeleteOp {
  readonly type: 'delete';
  readonly key: Uint8Array;
}
/**
 * Write a key only if its version is `expectedVersion` (0: only if absent), like etcd's
 * `Compare(Version(key), "=", v)` transaction.
 */
export interface CasOp {
  readonly type: 'cas';
  readonly key: Uint8Array;
  readonly expectedVersion: number;
  readonly value: Uint8Array;
}

/** Operations that read only; `KvStateMachine.read` answers them from applied state. */
export type KvReadOp = GetOp | RangeOp;
/** Operations that may change state. */
export type KvWriteOp = PutOp | DeleteOp | CasOp;
/** Every operation. */
export type KvOp = KvReadOp | KvWriteOp;

/**
 * A command as it travels through the log. `session` is required for writes that must be
 * exactly once; reads through the log ignore it (re-running a read is harmless).
 */
export interface KvCommand {
  readonly session: ClientSession | undefined;
  readonly op: KvOp;
}

/** A key with its value and metadata, as results carry it. */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Writes since creation; >= 1 for a present key. */
  readonly version: number;
  /** Slot of the last change. */
  readonly revision: number;
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
 * - `invalid`: a field is out of range (key/value size, limit, version);
 * - `stale-sequence`: a command older than the client's last applied one;
 * - `session-expired`: the client's session is gone (expired or evicted) and `seq` > 1; the
 *   client must start over with a new client id.
 */
export type KvErrorCode = 'bad-command' | 'invalid' | 'stale-sequence' | 'session-expired';

/** A refused command. */
export interface ErrorResult {
  readonly type: 'error';
  readonly code: KvErrorCode;
  readonly message: string;
}

/** Every result. */
export type KvResult = GetResult | RangeResult | PutResult | DeleteResult | CasResult | ErrorResult;

/** Decoding outcome: a value or an error message; decoders never throw. */
export type Decoded<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

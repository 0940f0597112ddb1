/**
 * Convenience builders: keys, values, client ids and holders given as UTF-8 strings or bytes.
 */
import { assert } from './assert.js';
import { toBytes } from './bytes.js';
import type { LeaseId, SessionId } from './ids.js';
import type {
  CasOp,
  ClientSession,
  CloseSessionOp,
  CompareOp,
  DeleteOp,
  GetOp,
  KvCommand,
  KvCommandOp,
  LeaseGrantOp,
  LeaseKeepaliveOp,
  LeaseListOp,
  LeaseRevokeOp,
  LeaseTtlOp,
  LessorEpochOp,
  OpenSessionOp,
  PutOp,
  RangeOp,
  SessionKeepaliveOp,
  TxnCompare,
  TxnOp,
  TxnRequest,
} from './types.js';

type Bytes = string | Uint8Array;

/** A `get` of `key`. */
export function kvGet(key: Bytes): GetOp {
  return { type: 'get', key: toBytes(key) };
}
/** A `range` over keys starting with `prefix`, at most `limit` of them. */
export function kvRange(prefix: Bytes, limit: number): RangeOp {
  return { type: 'range', prefix: toBytes(prefix), limit };
}
/** A `put` of `value` at `key`, attached to `lease` when given (detached otherwise). */
export function kvPut(key: Bytes, value: Bytes, lease?: LeaseId): PutOp {
  const op: PutOp = { type: 'put', key: toBytes(key), value: toBytes(value) };
  return lease === undefined ? op : { ...op, lease };
}
/** A `delete` of `key`. */
export function kvDelete(key: Bytes): DeleteOp {
  return { type: 'delete', key: toBytes(key) };
}
/** A `cas` writing `value` at `key` if its version is `expectedVersion` (0: absent). */
export function kvCas(key: Bytes, expectedVersion: number, value: Bytes): CasOp {
  return { type: 'cas', key: toBytes(key), expectedVersion, value: toBytes(value) };
}

/** A transaction compare: `target` of `key` `op` the operand (a value for `value`). */
export function kvCompare(target: 'value', key: Bytes, op: CompareOp, value: Bytes): TxnCompare;
/** A transaction compare on a number: version, create or mod revision, or lease id (0: none). */
export function kvCompare(
  target: 'version' | 'create-revision' | 'mod-revision' | 'lease',
  key: Bytes,
  op: CompareOp,
  operand: number,
): TxnCompare;
export function kvCompare(
  target: TxnCompare['target'],
  key: Bytes,
  op: CompareOp,
  operand: number | Bytes,
): TxnCompare {
  if (target === 'value') {
    assert(typeof operand !== 'number', 'a value compare takes bytes');
    return { target, key: toBytes(key), op, value: toBytes(operand) };
  }
  assert(typeof operand === 'number', `a ${target} compare takes a number`);
  return { target, key: toBytes(key), op, operand };
}

/** A transaction: `success` if every compare holds, else `failure`. */
export function kvTxn(
  compare: readonly TxnCompare[],
  success: readonly TxnOp[],
  failure: readonly TxnOp[] = [],
): TxnRequest {
  return { type: 'txn', compare, success, failure };
}

/** A `lease-grant` of `ttlMs`. */
export function kvLeaseGrant(ttlMs: number): LeaseGrantOp {
  return { type: 'lease-grant', ttlMs };
}
/** A client's `lease-revoke` of `lease`. */
export function kvLeaseRevoke(lease: LeaseId): LeaseRevokeOp {
  return { type: 'lease-revoke', lease, reason: 'client' };
}
/** The lessor's `lease-revoke` of an expired `lease`, decided under lessor epoch `epoch`. */
export function kvLeaseExpire(lease: LeaseId, epoch: number): LeaseRevokeOp {
  return { type: 'lease-revoke', lease, reason: 'expired', epoch };
}
/** A `lease-keepalive` of `lease` (answered by the leader's lessor). */
export function kvLeaseKeepalive(lease: LeaseId): LeaseKeepaliveOp {
  return { type: 'lease-keepalive', lease };
}
/** A `lease-ttl` query of `lease`, listing its keys when `keys`. */
export function kvLeaseTtl(lease: LeaseId, keys = false): LeaseTtlOp {
  return { type: 'lease-ttl', lease, keys };
}
/** A `lease-list` query. */
export function kvLeaseList(): LeaseListOp {
  return { type: 'lease-list' };
}
/** An `open-session`. */
export function kvOpenSession(): OpenSessionOp {
  return { type: 'open-session' };
}
/** A `close-session` (send it under the session to close). */
export function kvCloseSession(): CloseSessionOp {
  return { type: 'close-session' };
}
/** A `session-keepalive` (send it under the session to keep). */
export function kvSessionKeepalive(): SessionKeepaliveOp {
  return { type: 'session-keepalive' };
}
/** A `lessor-epoch` held by `holder` (host-only). */
export function kvLessorEpoch(holder: Bytes): LessorEpochOp {
  return { type: 'lessor-epoch', holder: toBytes(holder) };
}

/** A command, exactly once under a client-chosen id when `clientId`/`seq` are given. */
export function kvCommand(op: KvCommandOp, clientId?: Bytes, seq?: number): KvCommand {
  const session: ClientSession | undefined =
    clientId === undefined || seq === undefined ? undefined : { clientId: toBytes(clientId), seq };
  return { session, op };
}
/** A command exactly once under registered session `sessionId`, sequence number `seq`. */
export function kvSessionCommand(op: KvCommandOp, sessionId: SessionId, seq: number): KvCommand {
  return { sessionRef: { sessionId, seq }, op };
}

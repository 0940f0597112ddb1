/**
 * Convenience builders: keys, values and client ids given as UTF-8 strings or bytes.
 */
import { toBytes } from './bytes.js';
import type {
  ClientSession,
  CasOp,
  DeleteOp,
  GetOp,
  KvCommand,
  KvOp,
  PutOp,
  RangeOp,
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
/** A `put` of `value` at `key`. */
export function kvPut(key: Bytes, value: Bytes): PutOp {
  return { type: 'put', key: toBytes(key), value: toBytes(value) };
}
/** A `delete` of `key`. */
export function kvDelete(key: Bytes): DeleteOp {
  return { type: 'delete', key: toBytes(key) };
}
/** A `cas` writing `value` at `key` if its version is `expectedVersion` (0: absent). */
export function kvCas(key: Bytes, expectedVersion: number, value: Bytes): CasOp {
  return { type: 'cas', key: toBytes(key), expectedVersion, value: toBytes(value) };
}
/** A command, exactly once when `clientId`/`seq` are given. */
export function kvCommand(op: KvOp, clientId?: Bytes, seq?: number): KvCommand {
  const session: ClientSession | undefined =
    clientId === undefined || seq === undefined ? undefined : { clientId: toBytes(clientId), seq };
  return { session, op };
}

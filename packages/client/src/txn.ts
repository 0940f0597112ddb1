/**
 * Transactions as the client offers them (etcd v3's `Txn`): plain objects for the compares
 * and the operations of both branches, checked and turned into `@flexpaxos/kv`'s `kvTxn`, and
 * the state machine's result turned into entries and outcomes.
 */
import { RANGE_LIMIT_MAX, kvCompare, kvDelete, kvGet, kvPut, kvRange, kvTxn } from '@flexpaxos/kv';
import type {
  CompareOp,
  TxnCompare,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
} from '@flexpaxos/kv';
import { toEntry } from './entry.js';
import type { Entry } from './entry.js';
import { InvalidArgumentError } from './errors.js';
import { checkLeaseId } from './leases.js';

type Bytes = string | Uint8Array;

/** The numeric fields a compare can test. */
export type TxnNumericTarget = 'version' | 'create-revision' | 'mod-revision' | 'lease';

/**
 * One condition on one key. An absent key has version, revisions and lease 0; a `value`
 * compare on an absent key is false whatever the operator (as in etcd). Values compare in byte
 * order.
 */
export type TxnCompareSpec =
  | {
      readonly key: Bytes;
      readonly target: TxnNumericTarget;
      readonly op: CompareOp;
      /** A non-negative safe integer (a lease id, or 0 for "no lease"). */
      readonly value: number;
    }
  | {
      readonly key: Bytes;
      readonly target: 'value';
      readonly op: CompareOp;
      readonly value: Bytes;
    };

/** One operation of a branch; later ones see the effects of earlier ones. */
export type TxnOpSpec =
  | { readonly type: 'get'; readonly key: Bytes }
  /** Keys starting with `prefix`, at most `limit` (default 1 000). */
  | { readonly type: 'range'; readonly prefix: Bytes; readonly limit?: number }
  /** With `lease`, the key is attached to that lease; without, detached from any. */
  | { readonly type: 'put'; readonly key: Bytes; readonly value: Bytes; readonly lease?: number }
  | { readonly type: 'delete'; readonly key: Bytes };

/** A transaction: if every compare holds, `success` runs, else `failure`, atomically. */
export interface TxnSpec {
  readonly compare?: readonly TxnCompareSpec[];
  readonly success?: readonly TxnOpSpec[];
  readonly failure?: readonly TxnOpSpec[];
}

/** The outcome of one operation of the branch that ran, in order. */
export type TxnOpOutcome =
  | { readonly type: 'get'; readonly entry: Entry | undefined }
  | { readonly type: 'range'; readonly entries: readonly Entry[]; readonly more: boolean }
  | { readonly type: 'put'; readonly version: number; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly deleted: boolean;
      readonly prevVersion: number;
      readonly revision: number;
    };

/** Result of `txn`: which branch ran, at which revision, with each operation's outcome. */
export interface TxnOutcome {
  /** Every compare held and `success` ran (else `failure` ran). */
  readonly succeeded: boolean;
  /** The log slot the transaction applied at (all its writes carry it). */
  readonly revision: number;
  readonly results: readonly TxnOpOutcome[];
}

const TARGETS: readonly string[] = ['version', 'create-revision', 'mod-revision', 'lease', 'value'];
const OPS: readonly string[] = ['=', '!=', '<', '>'];

const isBytes = (v: unknown): v is Bytes => typeof v === 'string' || v instanceof Uint8Array;

function list<T>(value: readonly T[] | undefined, field: string): readonly T[] {
  if (value === undefined) return [];
  // Not `Array.isArray` in the condition: it would narrow `value` to `any[]`.
  const isArray: boolean = Array.isArray(value);
  if (!isArray) throw new InvalidArgumentError(`${field}: must be an array`);
  return value;
}

function compareOf(c: TxnCompareSpec, at: string): TxnCompare {
  if (typeof c !== 'object' || c === null)
    throw new InvalidArgumentError(`${at}: must be an object`);
  if (!isBytes(c.key)) throw new InvalidArgumentError(`${at}.key: must be a string or bytes`);
  if (!TARGETS.includes(c.target))
    throw new InvalidArgumentError(`${at}.target: must be one of ${TARGETS.join(', ')}`);
  if (!OPS.includes(c.op))
    throw new InvalidArgumentError(`${at}.op: must be one of ${OPS.join(' ')}`);
  if (c.target === 'value') {
    if (!isBytes(c.value))
      throw new InvalidArgumentError(`${at}.value: a value compare takes a string or bytes`);
    return kvCompare('value', c.key, c.op, c.value);
  }
  if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value) || c.value < 0)
    throw new InvalidArgumentError(
      `${at}.value: a ${c.target} compare takes a non-negative safe integer`,
    );
  return kvCompare(c.target, c.key, c.op, c.value);
}

function opOf(o: TxnOpSpec, at: string): TxnOp {
  if (typeof o !== 'object' || o === null)
    throw new InvalidArgumentError(`${at}: must be an object`);
  switch (o.type) {
    case 'get':
      if (!isBytes(o.key)) throw new InvalidArgumentError(`${at}.key: must be a string or bytes`);
      return kvGet(o.key);
    case 'range':
      if (!isBytes(o.prefix))
        throw new InvalidArgumentError(`${at}.prefix: must be a string or bytes`);
      return kvRange(o.prefix, o.limit ?? Math.min(1000, RANGE_LIMIT_MAX));
    case 'put':
      if (!isBytes(o.key)) throw new InvalidArgumentError(`${at}.key: must be a string or bytes`);
      if (!isBytes(o.value))
        throw new InvalidArgumentError(`${at}.value: must be a string or bytes`);
      return kvPut(
        o.key,
        o.value,
        o.lease === undefined ? undefined : checkLeaseId(o.lease, `${at}.lease`),
      );
    case 'delete':
      if (!isBytes(o.key)) throw new InvalidArgumentError(`${at}.key: must be a string or bytes`);
      return kvDelete(o.key);
    default:
      throw new InvalidArgumentError(
        `${at}.type: must be get, range, put or delete (got ${String((o as { type?: unknown }).type)})`,
      );
  }
}

/**
 * The `txn` operation for `spec`. Throws `InvalidArgumentError` naming the field of a malformed
 * compare or operation; the static limits (key and value sizes, `TXN_OPS_MAX`, ...) are checked
 * by the caller with the whole command.
 */
export function buildTxn(spec: TxnSpec): TxnRequest {
  if (typeof spec !== 'object' || spec === null)
    throw new InvalidArgumentError('txn: must be an object with compare, success and failure');
  return kvTxn(
    list(spec.compare, 'compare').map((c, i) => compareOf(c, `compare[${i}]`)),
    list(spec.success, 'success').map((o, i) => opOf(o, `success[${i}]`)),
    list(spec.failure, 'failure').map((o, i) => opOf(o, `failure[${i}]`)),
  );
}

function opOutcome(r: TxnOpResult): TxnOpOutcome {
  switch (r.type) {
    case 'get':
      return { type: 'get', entry: r.kv === undefined ? undefined : toEntry(r.kv) };
    case 'range':
      return { type: 'range', entries: r.kvs.map(toEntry), more: r.more };
    case 'put':
      return { type: 'put', version: r.version, revision: r.revision };
    case 'delete':
      return {
        type: 'delete',
        deleted: r.deleted,
        prevVersion: r.prevVersion,
        revision: r.revision,
      };
  }
}

/** The state machine's `txn` result as the client returns it. */
export function txnOutcome(r: TxnResult): TxnOutcome {
  return { succeeded: r.succeeded, revision: r.revision, results: r.results.map(opOutcome) };
}

/**
 * Converts the byte-level operations and results of `@flexpaxos/kv` into the checker's
 * string-level `FlexKvInput`/`FlexKvOutput` (UTF-8). Typed structurally, so the checker does
 * not depend on the KV package; `KvOp`, `TxnRequest`, `LeaseGrantOp`, `LeaseRevokeOp` and the
 * matching results fit these shapes.
 */
import type {
  FlexKvCompare,
  FlexKvEntry,
  FlexKvInput,
  FlexKvOutput,
  FlexKvTxnOpInput,
  FlexKvTxnOpOutput,
} from './flexpaxos-kv-types.js';

const decoder = new TextDecoder();
const s = (b: Uint8Array): string => decoder.decode(b);

/** The shape of the operations of `TxnOp` from `@flexpaxos/kv`. */
export type KvTxnOpLike =
  | { readonly type: 'get'; readonly key: Uint8Array }
  | {
      readonly type: 'put';
      readonly key: Uint8Array;
      readonly value: Uint8Array;
      readonly lease?: number;
    }
  | { readonly type: 'delete'; readonly key: Uint8Array }
  | { readonly type: 'range'; readonly prefix: Uint8Array; readonly limit: number };

/** The shape of `TxnCompare` from `@flexpaxos/kv`. */
export type KvCompareLike =
  | {
      readonly target: 'version' | 'create-revision' | 'mod-revision' | 'lease';
      readonly key: Uint8Array;
      readonly op: '=' | '!=' | '<' | '>';
      readonly operand: number;
    }
  | {
      readonly target: 'value';
      readonly key: Uint8Array;
      readonly op: '=' | '!=' | '<' | '>';
      readonly value: Uint8Array;
    };

/** The shape of the `@flexpaxos/kv` operations the model covers. */
export type KvOpLike =
  | KvTxnOpLike
  | {
      readonly type: 'cas';
      readonly key: Uint8Array;
      readonly expectedVersion: number;
      readonly value: Uint8Array;
    }
  | {
      readonly type: 'txn';
      readonly compare: readonly KvCompareLike[];
      readonly success: readonly KvTxnOpLike[];
      readonly failure: readonly KvTxnOpLike[];
    }
  | { readonly type: 'lease-grant'; readonly ttlMs: number }
  | {
      readonly type: 'lease-revoke';
      readonly lease: number;
      readonly reason: 'client' | 'expired';
    };

interface KvEntryLike {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly version: number;
  readonly revision: number;
  readonly createRevision?: number;
  readonly lease?: number;
}

type KvTxnOpResultLike =
  | { readonly type: 'get'; readonly kv: KvEntryLike | undefined }
  | { readonly type: 'put'; readonly version: number; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly deleted: boolean;
      readonly prevVersion: number;
      readonly revision: number;
    }
  | { readonly type: 'range'; readonly kvs: readonly KvEntryLike[]; readonly more: boolean };

/** The shape of the `@flexpaxos/kv` results the model covers (`KvResult` and more). */
export type KvResultLike =
  | KvTxnOpResultLike
  | {
      readonly type: 'cas';
      readonly succeeded: boolean;
      readonly version: number;
      readonly revision: number;
    }
  | {
      readonly type: 'txn';
      readonly succeeded: boolean;
      readonly revision: number;
      readonly results: readonly KvTxnOpResultLike[];
    }
  | {
      readonly type: 'lease-grant';
      readonly lease: number;
      readonly ttlMs: number;
      readonly revision: number;
    }
  | {
      readonly type: 'lease-revoke';
      readonly revoked: boolean;
      readonly deleted: number;
      readonly revision: number;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

const entry = (e: KvEntryLike): FlexKvEntry => ({
  key: s(e.key),
  value: s(e.value),
  version: e.version,
  revision: e.revision,
  ...(e.createRevision === undefined ? {} : { createRevision: e.createRevision }),
  ...(e.lease === undefined ? {} : { lease: e.lease }),
});

function txnOp(op: KvTxnOpLike): FlexKvTxnOpInput {
  switch (op.type) {
    case 'get':
      return { type: 'get', key: s(op.key) };
    case 'put':
      return op.lease === undefined
        ? { type: 'put', key: s(op.key), value: s(op.value) }
        : { type: 'put', key: s(op.key), value: s(op.value), lease: op.lease };
    case 'delete':
      return { type: 'delete', key: s(op.key) };
    case 'range':
      return { type: 'range', prefix: s(op.prefix), limit: op.limit };
  }
}

function compare(c: KvCompareLike): FlexKvCompare {
  return c.target === 'value'
    ? { target: c.target, key: s(c.key), op: c.op, value: s(c.value) }
    : { target: c.target, key: s(c.key), op: c.op, operand: c.operand };
}

/** A KV operation as checker input. */
export function fromKvOp(op: KvOpLike): FlexKvInput {
  switch (op.type) {
    case 'get':
    case 'put':
    case 'delete':
    case 'range':
      return txnOp(op);
    case 'cas':
      return {
        type: 'cas',
        key: s(op.key),
        expectedVersion: op.expectedVersion,
        value: s(op.value),
      };
    case 'txn':
      return {
        type: 'txn',
        compare: op.compare.map(compare),
        success: op.success.map(txnOp),
        failure: op.failure.map(txnOp),
      };
    case 'lease-grant':
      return { type: 'lease-grant', ttlMs: op.ttlMs };
    case 'lease-revoke':
      return { type: 'lease-revoke', lease: op.lease, reason: op.reason };
  }
}

function txnOpResult(r: KvTxnOpResultLike): FlexKvTxnOpOutput {
  switch (r.type) {
    case 'get':
      return { type: 'get', kv: r.kv === undefined ? undefined : entry(r.kv) };
    case 'range':
      return { type: 'range', kvs: r.kvs.map(entry), more: r.more };
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

/**
 * A KV result as checker output, or `undefined` for an error result: the command had no
 * effect, so record it with `HistoryRecorder.fail` (a definite failure), not `complete`.
 */
export function fromKvResult(result: KvResultLike): FlexKvOutput | undefined {
  switch (result.type) {
    case 'get':
    case 'range':
    case 'put':
    case 'delete':
      return txnOpResult(result);
    case 'cas':
      return {
        type: 'cas',
        succeeded: result.succeeded,
        version: result.version,
        revision: result.revision,
      };
    case 'txn':
      return {
        type: 'txn',
        succeeded: result.succeeded,
        revision: result.revision,
        results: result.results.map(txnOpResult),
      };
    case 'lease-grant':
      return {
        type: 'lease-grant',
        lease: result.lease,
        ttlMs: result.ttlMs,
        revision: result.revision,
      };
    case 'lease-revoke':
      return {
        type: 'lease-revoke',
        revoked: result.revoked,
        deleted: result.deleted,
        revision: result.revision,
      };
    case 'error':
      return undefined;
  }
}

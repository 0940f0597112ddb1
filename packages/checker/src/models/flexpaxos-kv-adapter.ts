/**
 * Converts the byte-level operations and results of `@flexpaxos/kv` into the checker's
 * string-level `FlexKvInput`/`FlexKvOutput` (UTF-8). Typed structurally, so the checker does
 * not depend on the KV package; `KvOp` and `KvResult` fit these shapes.
 */
import type { FlexKvEntry, FlexKvInput, FlexKvOutput } from './flexpaxos-kv.js';

const decoder = new TextDecoder();
const s = (b: Uint8Array): string => decoder.decode(b);

/** The shape of `KvOp` from `@flexpaxos/kv`. */
export type KvOpLike =
  | { readonly type: 'get'; readonly key: Uint8Array }
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array }
  | {
      readonly type: 'cas';
      readonly key: Uint8Array;
      readonly expectedVersion: number;
      readonly value: Uint8Array;
    }
  | { readonly type: 'range'; readonly prefix: Uint8Array; readonly limit: number };

interface KvEntryLike {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly version: number;
  readonly revision: number;
}

/** The shape of `KvResult` from `@flexpaxos/kv`. */
export type KvResultLike =
  | { readonly type: 'get'; readonly kv: KvEntryLike | undefined }
  | { readonly type: 'put'; readonly version: number; readonly revision: number }
  | {
      readonly type: 'delete';
      readonly deleted: boolean;
      readonly prevVersion: number;
      readonly revision: number;
    }
  | {
      readonly type: 'cas';
      readonly succeeded: boolean;
      readonly version: number;
      readonly revision: number;
    }
  | { readonly type: 'range'; readonly kvs: readonly KvEntryLike[]; readonly more: boolean }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

const entry = (e: KvEntryLike): FlexKvEntry => ({
  key: s(e.key),
  value: s(e.value),
  version: e.version,
  revision: e.revision,
});

/** A KV operation as checker input. */
export function fromKvOp(op: KvOpLike): FlexKvInput {
  switch (op.type) {
    case 'get':
      return { type: 'get', key: s(op.key) };
    case 'put':
      return { type: 'put', key: s(op.key), value: s(op.value) };
    case 'delete':
      return { type: 'delete', key: s(op.key) };
    case 'cas':
      return {
        type: 'cas',
        key: s(op.key),
        expectedVersion: op.expectedVersion,
        value: s(op.value),
      };
    case 'range':
      return { type: 'range', prefix: s(op.prefix), limit: op.limit };
  }
}

/**
 * A KV result as checker output, or `undefined` for an error result: the command had no
 * effect, so record it with `HistoryRecorder.fail` (a definite failure), not `complete`.
 */
export function fromKvResult(result: KvResultLike): FlexKvOutput | undefined {
  switch (result.type) {
    case 'get':
      return { type: 'get', kv: result.kv === undefined ? undefined : entry(result.kv) };
    case 'range':
      return { type: 'range', kvs: result.kvs.map(entry), more: result.more };
    case 'put':
    case 'delete':
    case 'cas':
      return result;
    case 'error':
      return undefined;
  }
}

/**
 * What a check reports, and the helpers the checks share: the effective writes of a key, and
 * operations formatted for humans.
 */
import type { FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';
import type { HistoryOp } from '../history.js';
import { keyOf } from '../history.js';

/** A check's verdict: `unknown` when it could not decide (the checker's time budget ran out). */
export type CheckStatus = 'pass' | 'fail' | 'unknown';

/** The result of one check. */
export interface CheckReport {
  /** Stable name, used in the summary line (`linearizability`, `durability`, ...). */
  readonly name: string;
  readonly status: CheckStatus;
  /** One line. */
  readonly summary: string;
  /** Evidence (violations, counterexample operations), a few lines each. */
  readonly details: readonly string[];
}

/** A write that changed its key, with the revision it reports. */
export interface EffectiveWrite {
  readonly op: HistoryOp;
  readonly kind: 'put' | 'cas' | 'delete';
  /** The value written (undefined for a delete). */
  readonly value: string | undefined;
  readonly version: number;
  readonly revision: number;
  /**
   * Its place among the changes of its key within one slot (several commands of a slot may
   * touch one key): a write's version, a delete's deleted version + 0.5.
   */
  readonly seq: number;
}

/** Orders two changes of one key: by revision, then within the slot. */
export function compareWrites(a: EffectiveWrite, b: EffectiveWrite): number {
  return a.revision - b.revision || a.seq - b.seq;
}

/** The write an acknowledged operation made, if it changed the key. */
export function effectiveWrite(op: HistoryOp): EffectiveWrite | undefined {
  const out = op.output;
  if (op.outcome !== 'ok' || out === undefined) return undefined;
  const input = op.input;
  if (input.type === 'put' && out.type === 'put') {
    return {
      op,
      kind: 'put',
      value: input.value,
      version: out.version,
      revision: out.revision,
      seq: out.version,
    };
  }
  if (input.type === 'cas' && out.type === 'cas' && out.succeeded) {
    return {
      op,
      kind: 'cas',
      value: input.value,
      version: out.version,
      revision: out.revision,
      seq: out.version,
    };
  }
  if (input.type === 'delete' && out.type === 'delete' && out.deleted) {
    return {
      op,
      kind: 'delete',
      value: undefined,
      version: 0,
      revision: out.revision,
      seq: out.prevVersion + 0.5,
    };
  }
  return undefined;
}

function inputText(i: FlexKvInput): string {
  switch (i.type) {
    case 'get':
      return `get ${i.key}`;
    case 'put':
      return `put ${i.key}=${i.value}`;
    case 'cas':
      return `cas ${i.key} v${i.expectedVersion}->${i.value}`;
    case 'delete':
      return `del ${i.key}`;
    case 'range':
      return `range ${i.prefix}*`;
    case 'txn':
    case 'lease-grant':
    case 'lease-revoke':
      return i.type; // the workload issues no transactions or lease operations
  }
}

function outputText(o: FlexKvOutput | undefined): string {
  if (o === undefined) return '?';
  switch (o.type) {
    case 'get':
      return o.kv === undefined ? 'absent' : `${o.kv.value}@v${o.kv.version} r${o.kv.revision}`;
    case 'put':
      return `v${o.version} r${o.revision}`;
    case 'cas':
      return `${o.succeeded ? 'ok' : 'mismatch'} v${o.version} r${o.revision}`;
    case 'delete':
      return `${o.deleted ? 'deleted' : 'absent'} prev v${o.prevVersion} r${o.revision}`;
    case 'range':
      return `${o.kvs.length} keys`;
    case 'txn':
    case 'lease-grant':
    case 'lease-revoke':
      return o.type;
  }
}

/** `#12 p3 c2@s1 get k0-1 (lease) -> v2.5@v3 r17 [1234.50..1236.70 ms]`. */
export function formatOp(op: HistoryOp): string {
  const mode = op.readMode === undefined ? '' : ` (${op.readMode})`;
  const result = op.outcome === 'ok' ? outputText(op.output) : (op.outcome ?? 'pending');
  const end = op.completeMs === undefined ? '...' : op.completeMs.toFixed(2);
  const who = op.final === true ? 'final' : `p${op.process} c${op.client}@s${op.server}`;
  return `#${op.index} ${who} ${inputText(op.input)}${mode} -> ${result} [${op.invokeMs.toFixed(2)}..${end} ms]`;
}

/** Groups operations by key. */
export function byKey(ops: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const out = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    const key = keyOf(op.input);
    let list = out.get(key);
    if (list === undefined) out.set(key, (list = []));
    list.push(op);
  }
  return out;
}

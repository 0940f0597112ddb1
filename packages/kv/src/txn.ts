/**
 * Transaction helpers of the state machine: evaluating compares (etcd's `applyCompare`) and
 * checking, before anything is written, that a branch's lease attachments can all be made, so
 * that a transaction either applies whole or not at all.
 */
import { assertNever } from './assert.js';
import { bytesToBinaryString, compareBytes } from './bytes.js';
import type { Entry } from './records.js';
import type { CompareOp, TxnCompare, TxnOp } from './types.js';

function holds(op: CompareOp, order: number): boolean {
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
    default:
      return assertNever(op, 'compare op');
  }
}

/** Whether compare `c` holds for the key's entry (`undefined`: absent). */
export function compareHolds(c: TxnCompare, e: Entry | undefined): boolean {
  switch (c.target) {
    case 'value':
      // As in etcd, a value compare on an absent key is false whatever the operator.
      return e !== undefined && holds(c.op, compareBytes(e.value, c.value));
    case 'version':
      return holds(c.op, (e?.version ?? 0) - c.operand);
    case 'create-revision':
      return holds(c.op, (e?.createRevision ?? 0) - c.operand);
    case 'mod-revision':
      return holds(c.op, (e?.revision ?? 0) - c.operand);
    case 'lease':
      return holds(c.op, (e?.lease ?? 0) - c.operand);
    default:
      return assertNever(c, 'compare');
  }
}

/** Why a branch cannot run, or undefined when it can. */
export type BranchProblem =
  | { readonly code: 'lease-not-found'; readonly lease: number }
  | { readonly code: 'limit-exceeded'; readonly lease: number; readonly keys: number };

/**
 * Checks that every lease a branch attaches keys to is live and stays within
 * `keysPerLeaseMax` once the whole branch has run. Only the final attachment of each key
 * matters (the branch is atomic), so counts are compared before and after, not in between.
 */
export function checkBranchLeases(
  ops: readonly TxnOp[],
  entryOf: (k: string) => Entry | undefined,
  leaseKeys: (lease: number) => number | undefined,
  keysPerLeaseMax: number,
): BranchProblem | undefined {
  // Only a branch that attaches some key can raise a count.
  if (!ops.some((op) => op.type === 'put' && op.lease !== undefined)) return undefined;
  const final = new Map<string, number>();
  for (const op of ops) {
    if (op.type !== 'put' && op.type !== 'delete') continue;
    const next = op.type === 'put' ? (op.lease ?? 0) : 0;
    if (next !== 0 && leaseKeys(next) === undefined)
      return { code: 'lease-not-found', lease: next };
    final.set(bytesToBinaryString(op.key), next);
  }
  const delta = new Map<number, number>();
  for (const [k, next] of final) {
    const prev = entryOf(k)?.lease ?? 0;
    if (prev === next) continue;
    if (prev !== 0) delta.set(prev, (delta.get(prev) ?? 0) - 1);
    if (next !== 0) delta.set(next, (delta.get(next) ?? 0) + 1);
  }
  for (const [lease, d] of delta) {
    if (d <= 0) continue;
    const keys = (leaseKeys(lease) ?? 0) + d;
    if (keys > keysPerLeaseMax) return { code: 'limit-exceeded', lease, keys };
  }
  return undefined;
}

/**
 * Stale reads: a read that returns a state older than a write acknowledged before the read
 * was invoked. Counted per read mode; lease reads invoked while a node's clock ran beyond the
 * drift bound (plus margins) are counted apart: the lease promises nothing then.
 *
 * A read R of key k is stale when some change W of k (an acknowledged put, successful cas or
 * delete) completed before R was invoked and
 * - R shows k at a revision below W's, or
 * - R shows k absent, W put a value, and no delete of k that could come after W exists (one
 *   of unknown outcome invoked before R completed, or acknowledged at W's revision or above).
 * (Within one slot the order of several changes of a key is not always known from the
 * results, so a read at W's own revision is never called stale.)
 */
import type { HistoryOp } from '../history.js';
import { inWindows } from './linearizability.js';
import type { ExcusedWindow } from './linearizability.js';
import { byKey, compareWrites, effectiveWrite, formatOp } from './report.js';
import type { CheckReport, EffectiveWrite } from './report.js';

/** Stale reads found. */
export interface StaleReads {
  /** Lease reads outside the excused windows. */
  readonly lease: readonly HistoryOp[];
  /** Lease reads inside them (skew beyond the bound). */
  readonly leaseExcused: readonly HistoryOp[];
  readonly quorum: readonly HistoryOp[];
  /** One line per stale read: the read and the write it missed. */
  readonly evidence: readonly string[];
}

/** Finds the stale reads of a history. */
export function findStaleReads(
  ops: readonly HistoryOp[],
  windows: readonly ExcusedWindow[],
): StaleReads {
  const lease: HistoryOp[] = [];
  const leaseExcused: HistoryOp[] = [];
  const quorum: HistoryOp[] = [];
  const evidence: string[] = [];
  for (const list of byKey(ops).values()) {
    const writes = list.map(effectiveWrite).filter((w): w is EffectiveWrite => w !== undefined);
    if (writes.length === 0) continue;
    const deletes = list.filter((op) => op.input.type === 'delete' && op.outcome !== 'fail');
    for (const r of list) {
      if (r.input.type !== 'get' || r.outcome !== 'ok' || r.output?.type !== 'get') continue;
      if (r.completeMs === undefined) continue;
      let newest: EffectiveWrite | undefined;
      for (const w of writes) {
        if ((w.op.completeMs ?? Infinity) >= r.invokeMs) continue;
        if (newest === undefined || compareWrites(w, newest) > 0) newest = w;
      }
      if (newest === undefined) continue;
      const kv = r.output.kv;
      let stale: boolean;
      if (kv === undefined) {
        const w = newest;
        const laterDelete = deletes.some((d) => {
          if (d.outcome !== 'ok') return d.invokeMs < (r.completeMs ?? Infinity);
          const e = effectiveWrite(d);
          return e !== undefined && e.revision >= w.revision;
        });
        stale = w.kind !== 'delete' && !laterDelete;
      } else {
        stale = kv.revision < newest.revision;
      }
      if (!stale) continue;
      if (r.readMode === 'quorum' || r.final === true) quorum.push(r);
      else if (inWindows(r, windows)) leaseExcused.push(r);
      else lease.push(r);
      if (evidence.length < 20) {
        evidence.push(
          `stale ${r.readMode ?? ''} read ${formatOp(r)}, after ${formatOp(newest.op)}`,
        );
      }
    }
  }
  return { lease, leaseExcused, quorum, evidence };
}

/** The check: no stale lease read outside skew beyond the bound, no stale quorum read. */
export function checkStaleReads(stale: StaleReads): CheckReport {
  const bad = stale.lease.length + stale.quorum.length;
  const excused =
    stale.leaseExcused.length > 0
      ? `; ${stale.leaseExcused.length} stale lease reads during clock skew beyond the drift bound (not a failure)`
      : '';
  return bad === 0
    ? {
        name: 'stale-reads',
        status: 'pass',
        summary: `no stale read within the drift bound${excused}`,
        details: stale.leaseExcused.length > 0 ? stale.evidence : [],
      }
    : {
        name: 'stale-reads',
        status: 'fail',
        summary: `${stale.lease.length} stale lease reads and ${stale.quorum.length} stale quorum reads${excused}`,
        details: stale.evidence,
      };
}

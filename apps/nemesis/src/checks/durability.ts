/**
 * Every acknowledged write survives: after the faults are healed and every node has been
 * killed and restarted, a quorum read of each key must show the key's last acknowledged write
 * (by revision) or something later.
 *
 * For a key whose last acknowledged change W has revision R, the final read F passes when
 * - F shows a revision above R (a later write, acknowledged or not), or
 * - F shows revision R and a value written at R (W's, or an unknown write's, or W is a
 *   delete followed in the same slot by a write), or
 * - F shows the key absent and W is a delete, or a delete that may have come later exists
 *   (acknowledged at revision R or above, or of unknown outcome).
 * Anything else means W was lost. Keys without a final read are reported too.
 */
import type { HistoryOp } from '../history.js';
import { byKey, compareWrites, effectiveWrite, formatOp } from './report.js';
import type { CheckReport, EffectiveWrite } from './report.js';

/** Runs the check over the whole history (the final reads are the ops marked `final`). */
export function checkDurability(ops: readonly HistoryOp[]): CheckReport {
  const problems: string[] = [];
  let keysChecked = 0;
  let writes = 0;
  for (const [key, list] of byKey(ops)) {
    const acked = list
      .filter((op) => op.final !== true)
      .map(effectiveWrite)
      .filter((w): w is EffectiveWrite => w !== undefined);
    writes += acked.length;
    if (acked.length === 0) continue;
    keysChecked++;
    const last = acked.reduce((a, b) => (compareWrites(b, a) > 0 ? b : a));
    const finals = list.filter((op) => op.final === true && op.outcome === 'ok');
    const final = finals[finals.length - 1];
    if (final?.output?.type !== 'get') {
      problems.push(`${key}: no final read answered; last acknowledged write ${formatOp(last.op)}`);
      continue;
    }
    const kv = final.output.kv;
    const laterDelete = list.some((op) => {
      if (op.input.type !== 'delete' || op.final === true || op.outcome === 'fail') return false;
      if (op.outcome !== 'ok') return true;
      const w = effectiveWrite(op);
      return w !== undefined && w.revision >= last.revision && w.op !== last.op;
    });
    const writtenAtR = (value: string): boolean =>
      acked.some((w) => w.revision === last.revision && w.value === value) ||
      list.some(
        (op) =>
          op.outcome === 'unknown' &&
          (op.input.type === 'put' || op.input.type === 'cas') &&
          op.input.value === value,
      );
    let ok: boolean;
    if (kv === undefined) ok = last.kind === 'delete' || laterDelete;
    else if (kv.revision > last.revision) ok = true;
    else if (kv.revision === last.revision) ok = kv.value === last.value || writtenAtR(kv.value);
    else ok = false;
    if (!ok) {
      problems.push(
        `${key}: acknowledged write lost: ${formatOp(last.op)}; after the restart: ${formatOp(final)}`,
      );
    }
  }
  return problems.length === 0
    ? {
        name: 'durability',
        status: 'pass',
        summary: `every acknowledged write survived the restart of every node (${writes} acknowledged writes, ${keysChecked} keys)`,
        details: [],
      }
    : {
        name: 'durability',
        status: 'fail',
        summary: `${problems.length} keys lost an acknowledged write (or were not read back)`,
        details: problems.slice(0, 20),
      };
}

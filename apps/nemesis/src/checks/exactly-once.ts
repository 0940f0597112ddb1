/**
 * Exactly once: every value the workload writes is unique, so in a key's version history each
 * value appears once and versions are contiguous.
 *
 * A key's observed states are every (value, version, revision) a client saw: acknowledged
 * puts and successful cas (their value with the version and revision they report) and reads.
 * The check fails when
 * 1. one value shows at two different (version, revision) states: it was applied twice;
 * 2. two different values show at the same (version, revision) with no delete of the key in
 *    that slot between them (a slot may hold a write, a delete and a write of one key): the
 *    replicas diverged;
 * 3. ordered by revision, the version goes down with no delete on the key that could explain
 *    it, or
 * 4. versions skip more numbers than the key has writes whose value nobody saw (a write
 *    applied twice without the second copy being seen makes a version nobody can account for).
 *    Deletes reset the version: the count restarts after each acknowledged delete, and keys
 *    with a delete of unknown outcome skip this rule (where the reset happened is unknown).
 */
import type { HistoryOp } from '../history.js';
import { byKey, effectiveWrite, formatOp } from './report.js';
import type { CheckReport } from './report.js';

interface State {
  readonly value: string;
  readonly version: number;
  readonly revision: number;
  readonly op: HistoryOp;
}

function statesOf(list: readonly HistoryOp[]): State[] {
  const out: State[] = [];
  for (const op of list) {
    const w = effectiveWrite(op);
    if (w !== undefined && w.value !== undefined) {
      out.push({ value: w.value, version: w.version, revision: w.revision, op });
    } else if (op.outcome === 'ok' && op.output?.type === 'get' && op.output.kv !== undefined) {
      const kv = op.output.kv;
      out.push({ value: kv.value, version: kv.version, revision: kv.revision, op });
    }
  }
  return out;
}

/** Runs the check. */
export function checkExactlyOnce(ops: readonly HistoryOp[]): CheckReport {
  const problems: string[] = [];
  let values = 0;
  for (const [key, list] of byKey(ops)) {
    const states = statesOf(list);
    const deletes = list.filter(
      (op) => op.input.type === 'delete' && op.outcome !== 'fail' && op.final !== true,
    );
    const deleteRevisions = deletes
      .map((op) => effectiveWrite(op)?.revision)
      .filter((r): r is number => r !== undefined)
      .sort((a, b) => a - b);
    const unknownDelete = deletes.some((op) => op.outcome !== 'ok');
    const byValue = new Map<string, State>();
    const byPosition = new Map<string, State>();
    for (const s of states) {
      const seen = byValue.get(s.value);
      if (seen === undefined) byValue.set(s.value, s);
      else if (seen.version !== s.version || seen.revision !== s.revision) {
        problems.push(
          `${key}: value ${s.value} applied twice: v${seen.version} r${seen.revision} (${formatOp(seen.op)}) and v${s.version} r${s.revision} (${formatOp(s.op)})`,
        );
      }
      const pos = `${s.revision}/${s.version}`;
      const there = byPosition.get(pos);
      if (there === undefined) byPosition.set(pos, s);
      else if (there.value !== s.value && !unknownDelete && !deleteRevisions.includes(s.revision)) {
        problems.push(
          `${key}: two values at v${s.version} r${s.revision}: ${there.value} (${formatOp(there.op)}) and ${s.value} (${formatOp(s.op)})`,
        );
      }
    }
    values += byValue.size;
    // Rules 3 and 4, along the revision order of the distinct states.
    // Writes that may have made a version nobody saw: unknown outcome, value never seen.
    const writesUnseen = list.filter(
      (op) =>
        (op.input.type === 'put' || op.input.type === 'cas') &&
        op.outcome === 'unknown' &&
        !byValue.has(op.input.value),
    ).length;
    const ordered = [...byPosition.values()].sort(
      (a, b) => a.revision - b.revision || a.version - b.version,
    );
    let unseen = 0;
    let prev: State | undefined;
    for (const s of ordered) {
      if (prev === undefined) unseen += s.version - 1;
      else {
        const p = prev;
        // A delete in the same slot as either state may come before or after it: skip.
        const ambiguous = deleteRevisions.some((r) => r === p.revision || r === s.revision);
        const reset = deleteRevisions.some((r) => r > p.revision && r < s.revision);
        if (ambiguous) {
          // no conclusion for this step
        } else if (reset) unseen += s.version - 1;
        else if (s.version <= p.version) {
          if (deletes.length === 0) {
            problems.push(
              `${key}: version went from v${p.version} (r${p.revision}) to v${s.version} (r${s.revision}) with no delete: ${formatOp(s.op)}`,
            );
          }
        } else unseen += s.version - p.version - 1;
      }
      prev = s;
    }
    if (!unknownDelete && unseen > writesUnseen) {
      problems.push(
        `${key}: ${unseen} versions nobody wrote visibly, but only ${writesUnseen} writes whose value was never seen (a write applied more than once?)`,
      );
    }
  }
  return problems.length === 0
    ? {
        name: 'exactly-once',
        status: 'pass',
        summary: `every value at one version, versions contiguous (${values} values seen)`,
        details: [],
      }
    : {
        name: 'exactly-once',
        status: 'fail',
        summary: `${problems.length} violations`,
        details: problems.slice(0, 20),
      };
}

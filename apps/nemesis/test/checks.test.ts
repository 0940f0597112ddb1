import { describe, expect, it } from 'vitest';
import type { FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';
import { checkDurability } from '../src/checks/durability.js';
import { checkExactlyOnce } from '../src/checks/exactly-once.js';
import { checkLinearizable } from '../src/checks/linearizability.js';
import { checkStaleReads, findStaleReads } from '../src/checks/stale-reads.js';
import type { HistoryOp } from '../src/history.js';

/** A tiny history builder: operations with explicit times. */
function history(): {
  ops: HistoryOp[];
  op: (
    input: FlexKvInput,
    t: readonly [number, number | undefined],
    output?: FlexKvOutput,
    extra?: Partial<HistoryOp>,
  ) => HistoryOp;
} {
  const ops: HistoryOp[] = [];
  return {
    ops,
    op(input, [call, ret], output, extra = {}) {
      const o: HistoryOp = {
        index: ops.length,
        process: ops.length,
        client: 0,
        server: 1,
        input,
        invokeMs: call,
        ...(ret === undefined
          ? { outcome: 'unknown', completeMs: call + 1000 }
          : { completeMs: ret }),
        ...(output === undefined ? {} : { outcome: 'ok', output }),
        ...extra,
      };
      ops.push(o);
      return o;
    },
  };
}

const put = (key: string, value: string): FlexKvInput => ({ type: 'put', key, value });
const get = (key: string): FlexKvInput => ({ type: 'get', key });
const del = (key: string): FlexKvInput => ({ type: 'delete', key });
const seen = (key: string, value: string, version: number, revision: number): FlexKvOutput => ({
  type: 'get',
  kv: { key, value, version, revision },
});
const absent: FlexKvOutput = { type: 'get', kv: undefined };
const wrote = (version: number, revision: number): FlexKvOutput => ({
  type: 'put',
  version,
  revision,
});

/** A clean history: two puts, reads that see them, a final read. */
function good(): ReturnType<typeof history> {
  const h = history();
  h.op(put('k', 'a'), [0, 10], wrote(1, 5));
  h.op(get('k'), [11, 12], seen('k', 'a', 1, 5), { readMode: 'lease' });
  h.op(put('k', 'b'), [13, 20], wrote(2, 7));
  h.op(get('k'), [21, 22], seen('k', 'b', 2, 7), { readMode: 'quorum' });
  h.op(get('k'), [100, 101], seen('k', 'b', 2, 7), { readMode: 'quorum', final: true });
  return h;
}

describe('checks on a correct history', () => {
  it('pass', () => {
    const { ops } = good();
    expect(checkLinearizable(ops, 10_000, []).status).toBe('pass');
    expect(checkDurability(ops).status).toBe('pass');
    expect(checkExactlyOnce(ops).status).toBe('pass');
    expect(checkStaleReads(findStaleReads(ops, [])).status).toBe('pass');
  });

  it('allow a write of unknown outcome to take effect late', () => {
    const h = good();
    h.ops.pop(); // a new final read: the unknown write took effect
    h.op(put('k', 'c'), [30, undefined]);
    h.op(get('k'), [100, 101], seen('k', 'c', 3, 9), { readMode: 'quorum', final: true });
    expect(checkLinearizable(h.ops, 10_000, []).status).toBe('pass');
    expect(checkDurability(h.ops).status).toBe('pass');
    expect(checkExactlyOnce(h.ops).status).toBe('pass');
  });
});

describe('checkStaleReads and checkLinearizable', () => {
  it('catch a lease read that misses an acknowledged write', () => {
    const h = good();
    h.op(get('k'), [30, 31], seen('k', 'a', 1, 5), { readMode: 'lease' });
    const stale = findStaleReads(h.ops, []);
    expect(stale.lease).toHaveLength(1);
    expect(checkStaleReads(stale).status).toBe('fail');
    const lin = checkLinearizable(h.ops, 10_000, []);
    expect(lin.status).toBe('fail');
    expect(lin.details.join('\n')).toContain('key k');
  });

  it('excuse stale lease reads while a clock ran beyond the drift bound, and say so', () => {
    const h = good();
    h.op(get('k'), [30, 31], seen('k', 'a', 1, 5), { readMode: 'lease' });
    const windows = [{ startMs: 25, endMs: 40 }];
    const stale = findStaleReads(h.ops, windows);
    expect(stale.lease).toHaveLength(0);
    expect(stale.leaseExcused).toHaveLength(1);
    const report = checkStaleReads(stale);
    expect(report.status).toBe('pass');
    expect(report.summary).toContain(
      '1 stale lease reads during clock skew beyond the drift bound',
    );
    const lin = checkLinearizable(h.ops, 10_000, windows);
    expect(lin.status).toBe('pass');
    expect(lin.summary).toContain('left out');
  });

  it('never excuse a stale quorum read', () => {
    const h = good();
    h.op(get('k'), [30, 31], seen('k', 'a', 1, 5), { readMode: 'quorum' });
    expect(checkStaleReads(findStaleReads(h.ops, [{ startMs: 0, endMs: 1000 }])).status).toBe(
      'fail',
    );
    expect(checkLinearizable(h.ops, 10_000, [{ startMs: 0, endMs: 1000 }]).status).toBe('fail');
  });

  it('read an absent key after a delete in the same slot as the write as fresh', () => {
    const h = history();
    h.op(put('k', 'a'), [0, 10], wrote(1, 5));
    h.op(del('k'), [1, 10], { type: 'delete', deleted: true, prevVersion: 1, revision: 5 });
    h.op(get('k'), [11, 12], absent, { readMode: 'lease' });
    expect(findStaleReads(h.ops, []).lease).toHaveLength(0);
    expect(checkLinearizable(h.ops, 10_000, []).status).toBe('pass');
  });
});

describe('checkDurability', () => {
  it('catches an acknowledged write missing after the restart', () => {
    const h = good();
    h.ops.pop();
    h.op(get('k'), [100, 101], seen('k', 'a', 1, 5), { readMode: 'quorum', final: true });
    const r = checkDurability(h.ops);
    expect(r.status).toBe('fail');
    expect(r.details[0]).toContain('acknowledged write lost');
  });

  it('catches a key that was not read back', () => {
    const h = good();
    h.ops.pop();
    expect(checkDurability(h.ops).details[0]).toContain('no final read');
  });

  it('accepts an absent key when a delete of unknown outcome may have come last', () => {
    const h = good();
    h.ops.pop();
    h.op(del('k'), [40, undefined]);
    h.op(get('k'), [100, 101], absent, { readMode: 'quorum', final: true });
    expect(checkDurability(h.ops).status).toBe('pass');
  });
});

describe('checkExactlyOnce', () => {
  it('catches a value applied twice', () => {
    const h = good();
    h.op(get('k'), [30, 31], seen('k', 'b', 3, 8), { readMode: 'quorum' });
    const r = checkExactlyOnce(h.ops);
    expect(r.status).toBe('fail');
    expect(r.details.join('\n')).toContain('value b applied twice');
  });

  it('catches two values at one version and revision', () => {
    const h = good();
    h.op(get('k'), [30, 31], seen('k', 'x', 2, 7), { readMode: 'quorum' });
    expect(checkExactlyOnce(h.ops).details.join('\n')).toContain('two values at v2 r7');
  });

  it('catches versions nobody can account for (a duplicate nobody saw)', () => {
    const h = history();
    h.op(put('k', 'a'), [0, 10], wrote(1, 5));
    h.op(put('k', 'b'), [11, 20], wrote(3, 7)); // version 2 was never written
    const r = checkExactlyOnce(h.ops);
    expect(r.status).toBe('fail');
    expect(r.details.join('\n')).toContain('1 versions nobody wrote visibly');
    // ...unless a write of unknown outcome can explain version 2:
    h.op(put('k', 'c'), [1, undefined]);
    expect(checkExactlyOnce(h.ops).status).toBe('pass');
  });

  it('catches a version going down without a delete', () => {
    const h = history();
    h.op(put('k', 'a'), [0, 10], wrote(1, 5));
    h.op(put('k', 'b'), [11, 20], wrote(2, 7));
    h.op(get('k'), [21, 22], seen('k', 'c', 1, 9));
    expect(checkExactlyOnce(h.ops).details.join('\n')).toContain('version went from v2');
  });
});

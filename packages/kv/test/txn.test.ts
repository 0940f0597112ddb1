import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  TXN_BYTES_MAX,
  TXN_OPS_MAX,
  TXN_READ_KEYS_MAX,
  VALUE_BYTES_MAX,
  bytesToUtf8,
  compareBytes,
  encodeCommand,
  kvCas,
  kvCommand,
  kvCompare,
  kvDelete,
  kvGet,
  kvLeaseGrant,
  kvPut,
  kvRange,
  kvTxn,
  leaseId,
  toBytes,
} from '../src/index.js';
import type { CompareOp, KvReply, TxnCompare, TxnOp } from '../src/index.js';
import { run } from './helpers.js';

function txnRun(
  m: KvStateMachine,
  slot: number,
  compare: TxnCompare[],
  success: TxnOp[],
  failure: TxnOp[] = [],
) {
  return run(m, slot, kvTxn(compare, success, failure));
}

describe('KvStateMachine txn', () => {
  it('runs success when every compare holds, with one result per operation at one revision', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', '1'));
    const r = txnRun(
      m,
      2,
      [kvCompare('version', 'a', '=', 1), kvCompare('value', 'a', '=', '1')],
      [kvPut('a', '2'), kvPut('b', 'x'), kvGet('a'), kvDelete('missing'), kvRange('', 10)],
      [kvPut('a', 'no')],
    );
    expect(r).toMatchObject({ type: 'txn', succeeded: true, revision: 2 });
    if (r.type !== 'txn') return;
    expect(r.results.map((x) => x.type)).toEqual(['put', 'put', 'get', 'delete', 'range']);
    expect(r.results[0]).toEqual({ type: 'put', version: 2, revision: 2 });
    expect(r.results[1]).toEqual({ type: 'put', version: 1, revision: 2 });
    // Later operations see earlier ones of the same branch.
    expect(r.results[2]).toMatchObject({ kv: { version: 2, revision: 2, createRevision: 1 } });
    expect(r.results[3]).toEqual({ type: 'delete', deleted: false, prevVersion: 0, revision: 0 });
    expect(r.results[4]).toMatchObject({ kvs: [{ version: 2 }, { version: 1 }], more: false });
  });

  it('runs failure when any compare fails', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', '1'));
    const r = txnRun(
      m,
      2,
      [kvCompare('version', 'a', '=', 1), kvCompare('version', 'b', '>', 0)],
      [kvPut('a', 'yes')],
      [kvPut('a', 'no')],
    );
    expect(r).toMatchObject({
      type: 'txn',
      succeeded: false,
      results: [{ type: 'put', version: 2 }],
    });
    const got = m.read(kvGet('a'));
    expect(got.type === 'get' && got.kv !== undefined && bytesToUtf8(got.kv.value)).toBe('no');
  });

  it('compares every target with every operator, an absent key counting 0 (and value false)', () => {
    const m = new KvStateMachine();
    run(m, 3, kvPut('k', 'm'));
    run(m, 5, kvPut('k', 'm')); // version 2, mod revision 5, create revision 3
    const holds = (c: TxnCompare): boolean => {
      const r = txnRun(m, m.applied + 1, [c], []);
      return r.type === 'txn' && r.succeeded;
    };
    // key field relation to operand -> the operators under which the compare holds
    const cases: [TxnCompare['target'], string, number | string, CompareOp[]][] = [
      ['version', 'k', 2, ['=']],
      ['version', 'k', 1, ['!=', '>']],
      ['version', 'k', 3, ['!=', '<']],
      ['create-revision', 'k', 3, ['=']],
      ['mod-revision', 'k', 6, ['!=', '<']],
      ['mod-revision', 'k', 4, ['!=', '>']],
      ['lease', 'k', 0, ['=']],
      ['value', 'k', 'm', ['=']],
      ['value', 'k', 'a', ['!=', '>']],
      ['value', 'k', 'mm', ['!=', '<']],
      // Absent key: numbers are 0; a value compare is false whatever the operator.
      ['version', 'absent', 0, ['=']],
      ['create-revision', 'absent', 1, ['!=', '<']],
      ['value', 'absent', '', []],
    ];
    const all: CompareOp[] = ['=', '!=', '<', '>'];
    for (const [target, key, operand, ops] of cases) {
      for (const op of all) {
        const c: TxnCompare =
          target === 'value'
            ? kvCompare('value', key, op, String(operand))
            : kvCompare(target, key, op, Number(operand));
        expect(holds(c), `${target}(${key}) ${op} ${operand}`).toBe(ops.includes(op));
      }
    }
  });

  it('applies nothing when the chosen branch cannot run whole (put to an unknown lease)', () => {
    const m = new KvStateMachine();
    run(m, 1, kvPut('a', '1'));
    const before = m.snapshot();
    const res = m.apply(
      2,
      encodeCommand(
        kvCommand(kvTxn([], [kvPut('a', '2'), kvDelete('a'), kvPut('b', 'x', leaseId(7))])),
      ),
    );
    expect(run(m, 3, kvGet('a'))).toMatchObject({ kv: { version: 1 } });
    expect(res.writes).toEqual([]);
    expect(res.events).toEqual([]);
    expect(KvStateMachine.restore(before).read(kvRange('', 10))).toEqual(m.read(kvRange('', 10)));
    const again = txnRun(m, 4, [], [kvPut('b', 'x', leaseId(7))]);
    expect(again).toMatchObject({ type: 'error', code: 'lease-not-found' });
  });

  it('checks keys per lease on the final state of the branch', () => {
    const m = new KvStateMachine({ keysPerLeaseMax: 2 });
    run(m, 1, kvLeaseGrant(5000));
    const l = leaseId(1);
    txnRun(m, 2, [], [kvPut('a', '1', l), kvPut('b', '1', l)]);
    // Full: moving a key on and another off in one branch is fine; a third key is not.
    expect(txnRun(m, 3, [], [kvPut('c', '1', l), kvDelete('a')])).toMatchObject({ type: 'txn' });
    expect(txnRun(m, 4, [], [kvPut('d', '1', l)])).toMatchObject({ code: 'limit-exceeded' });
    expect(run(m, 5, kvPut('d', '1', l))).toMatchObject({ code: 'limit-exceeded' });
    expect(txnRun(m, 6, [], [kvPut('b', 'rewritten', l)])).toMatchObject({ type: 'txn' });
  });

  it('refuses a txn over each limit with invalid, and takes one exactly at it', () => {
    const m = new KvStateMachine();
    const puts = (n: number) => Array.from({ length: n }, (_, i) => kvPut(`k${i}`, 'v'));
    const compares = (n: number) =>
      Array.from({ length: n }, (_, i) => kvCompare('version', `k${i}`, '=', 0));
    for (const r of [
      txnRun(m, 1, compares(TXN_OPS_MAX + 1), []),
      txnRun(m, 1, [], puts(TXN_OPS_MAX + 1)),
      txnRun(m, 1, [], [], puts(TXN_OPS_MAX + 1)),
    ])
      expect(r).toMatchObject({
        code: 'invalid',
        message: expect.stringMatching(/TXN_OPS_MAX/) as unknown,
      });
    expect(txnRun(m, 1, compares(TXN_OPS_MAX), puts(TXN_OPS_MAX), puts(TXN_OPS_MAX))).toMatchObject(
      { type: 'txn' },
    );
    const big = new Uint8Array(VALUE_BYTES_MAX);
    const half = TXN_BYTES_MAX - VALUE_BYTES_MAX - 2;
    expect(txnRun(m, 2, [], [kvPut('a', big), kvPut('b', new Uint8Array(half))])).toMatchObject({
      type: 'txn',
    });
    expect(txnRun(m, 3, [], [kvPut('a', big), kvPut('b', new Uint8Array(half + 1))])).toMatchObject(
      {
        code: 'invalid',
        message: expect.stringMatching(/TXN_BYTES_MAX/) as unknown,
      },
    );
    expect(txnRun(m, 4, [], [kvRange('', TXN_READ_KEYS_MAX), kvGet('a')])).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/TXN_READ_KEYS_MAX/) as unknown,
    });
    expect(txnRun(m, 5, [], [kvPut('', 'v')])).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/success\[0\]\.key/) as unknown,
    });
  });

  it('is exactly once under a session', () => {
    const m = new KvStateMachine();
    const cmd = encodeCommand(
      kvCommand(
        kvTxn([kvCompare('version', 'n', '=', 0)], [kvPut('n', '1')], [kvPut('n', 'again')]),
        'c',
        1,
      ),
    );
    const first = m.apply(1, cmd);
    expect(m.apply(2, cmd).reply).toEqual(first.reply);
    expect(run(m, 3, kvGet('n'))).toMatchObject({ kv: { version: 1 } });
  });

  it('keeps cas the txn special case it is: same state as Compare(version) = v then put', () => {
    const opArb = fc.tuple(
      fc.constantFrom('a', 'b'),
      fc.nat(3),
      fc.constantFrom('x', 'y'),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), (ops) => {
        const viaCas = new KvStateMachine();
        const viaTxn = new KvStateMachine();
        ops.forEach(([k, v, x, del], i) => {
          if (del) {
            run(viaCas, i + 1, kvDelete(k));
            run(viaTxn, i + 1, kvDelete(k));
            return;
          }
          const c = run(viaCas, i + 1, kvCas(k, v, x));
          const t = run(viaTxn, i + 1, kvTxn([kvCompare('version', k, '=', v)], [kvPut(k, x)]));
          expect(c.type === 'cas' && c.succeeded).toBe(t.type === 'txn' && t.succeeded);
        });
        expect(viaTxn.snapshot()).toEqual(viaCas.snapshot());
      }),
      { seed: 23, numRuns: 200 },
    );
  });
});

/** A naive reference: a sorted list of keys, compares and branches applied literally. */
interface RefEntry {
  value: string;
  version: number;
  mod: number;
  create: number;
}
function refTxn(
  store: Map<string, RefEntry>,
  slot: number,
  compare: TxnCompare[],
  success: TxnOp[],
  failure: TxnOp[],
): unknown {
  const ok = compare.every((c) => {
    const e = store.get(bytesToUtf8(c.key));
    const cmp = (x: number) => ({ '=': x === 0, '!=': x !== 0, '<': x < 0, '>': x > 0 })[c.op];
    if (c.target === 'value')
      return e !== undefined && cmp(compareBytes(toBytes(e.value), c.value));
    const field =
      e === undefined
        ? 0
        : c.target === 'version'
          ? e.version
          : c.target === 'mod-revision'
            ? e.mod
            : c.target === 'create-revision'
              ? e.create
              : 0;
    return cmp(field - c.operand);
  });
  const results: unknown[] = [];
  for (const o of ok ? success : failure) {
    if (o.type === 'put') {
      const k = bytesToUtf8(o.key);
      const e = store.get(k);
      const next = {
        value: bytesToUtf8(o.value),
        version: (e?.version ?? 0) + 1,
        mod: slot,
        create: e?.create ?? slot,
      };
      store.set(k, next);
      results.push({ type: 'put', version: next.version, revision: slot });
    } else if (o.type === 'delete') {
      const k = bytesToUtf8(o.key);
      const e = store.get(k);
      store.delete(k);
      results.push(
        e === undefined
          ? { type: 'delete', deleted: false, prevVersion: 0, revision: 0 }
          : { type: 'delete', deleted: true, prevVersion: e.version, revision: slot },
      );
    } else if (o.type === 'get') {
      const e = store.get(bytesToUtf8(o.key));
      results.push({
        type: 'get',
        kv: e && {
          key: bytesToUtf8(o.key),
          value: e.value,
          version: e.version,
          revision: e.mod,
          createRevision: e.create,
          lease: 0,
        },
      });
    } else {
      const p = bytesToUtf8(o.prefix);
      const keys = [...store.keys()].filter((k) => k.startsWith(p)).sort();
      results.push({
        type: 'range',
        kvs: keys.slice(0, o.limit).map((k) => {
          const e = store.get(k) as RefEntry;
          return {
            key: k,
            value: e.value,
            version: e.version,
            revision: e.mod,
            createRevision: e.create,
            lease: 0,
          };
        }),
        more: keys.length > o.limit,
      });
    }
  }
  return { type: 'txn', succeeded: ok, revision: slot, results };
}

/** The reply with byte strings as UTF-8 strings, to compare with the reference. */
function strings(r: KvReply): unknown {
  return JSON.parse(
    JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? bytesToUtf8(v) : v)),
  ) as unknown;
}

describe('KvStateMachine txn against a naive reference', () => {
  const key = fc.constantFrom('a', 'b', 'ab');
  const val = fc.constantFrom('', 'x', 'y');
  const op: fc.Arbitrary<CompareOp> = fc.constantFrom('=', '!=', '<', '>');
  const compareArb: fc.Arbitrary<TxnCompare> = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('version' as const, 'create-revision' as const, 'mod-revision' as const),
        key,
        op,
        fc.nat(4),
      )
      .map(([t, k, o, n]) => kvCompare(t, k, o, n)),
    fc.tuple(key, op, val).map(([k, o, v]) => kvCompare('value', k, o, v)),
  );
  const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(
    fc.tuple(key, val).map(([k, v]) => kvPut(k, v)),
    key.map(kvDelete),
    key.map(kvGet),
    fc
      .tuple(fc.constantFrom('', 'a'), fc.integer({ min: 1, max: 2 }))
      .map(([p, l]) => kvRange(p, l)),
  );
  const txnArb = fc.record({
    compare: fc.array(compareArb, { maxLength: 3 }),
    success: fc.array(txnOpArb, { maxLength: 4 }),
    failure: fc.array(txnOpArb, { maxLength: 4 }),
    slotGap: fc.integer({ min: 0, max: 2 }),
  });

  it('gives the same replies as the reference on random transaction sequences', () => {
    fc.assert(
      fc.property(fc.array(txnArb, { maxLength: 25 }), (txns) => {
        const m = new KvStateMachine();
        const ref = new Map<string, RefEntry>();
        let slot = 1;
        for (const t of txns) {
          slot += t.slotGap; // several commands may share a slot
          const got = run(m, slot, kvTxn(t.compare, t.success, t.failure));
          expect(strings(got)).toEqual(refTxn(ref, slot, t.compare, t.success, t.failure));
        }
      }),
      { seed: 29, numRuns: 300 },
    );
  });
});

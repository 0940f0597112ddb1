import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  HistoryRecorder,
  checkLinearizability,
  compareCodePoints,
  flexKvModel,
} from '../src/index.js';
import type { FlexKvInput, FlexKvOutput } from '../src/index.js';
import { naiveLinearizable } from './naive.js';

type Rec = HistoryRecorder<FlexKvInput, FlexKvOutput>;

/** Runs `input` to completion as one client with no overlap. */
function seq(h: Rec, client: string, input: FlexKvInput, output: FlexKvOutput): void {
  h.complete(h.invoke(client, input), output);
}

const check = (h: Rec) => checkLinearizability(flexKvModel, h.operations());

describe('flexKvModel', () => {
  it('accepts a sequential history with matching versions and revisions', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'k', value: 'x' }, { type: 'put', version: 1, revision: 3 });
    seq(
      h,
      'a',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 3 } },
    );
    seq(
      h,
      'b',
      { type: 'cas', key: 'k', expectedVersion: 1, value: 'y' },
      { type: 'cas', succeeded: true, version: 2, revision: 5 },
    );
    seq(
      h,
      'b',
      { type: 'cas', key: 'k', expectedVersion: 1, value: 'z' },
      { type: 'cas', succeeded: false, version: 2, revision: 5 },
    );
    seq(
      h,
      'a',
      { type: 'delete', key: 'k' },
      { type: 'delete', deleted: true, prevVersion: 2, revision: 6 },
    );
    seq(h, 'a', { type: 'get', key: 'k' }, { type: 'get', kv: undefined });
    seq(
      h,
      'a',
      { type: 'delete', key: 'k' },
      { type: 'delete', deleted: false, prevVersion: 0, revision: 0 },
    );
    seq(
      h,
      'b',
      { type: 'cas', key: 'k', expectedVersion: 0, value: 'w' },
      { type: 'cas', succeeded: true, version: 1, revision: 9 },
    );
    expect(check(h).verdict).toBe('linearizable');
  });

  it('rejects a wrong version', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'k', value: 'x' }, { type: 'put', version: 1, revision: 3 });
    seq(h, 'a', { type: 'put', key: 'k', value: 'y' }, { type: 'put', version: 3, revision: 4 });
    expect(check(h).verdict).toBe('not-linearizable');
  });

  it('rejects a read reporting another revision than the write it observes', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'k', value: 'x' }, { type: 'put', version: 1, revision: 3 });
    seq(
      h,
      'a',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 4 } },
    );
    expect(check(h).verdict).toBe('not-linearizable');
  });

  it('rejects revisions that go backwards in real time across keys of one range', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'p/1', value: 'x' }, { type: 'put', version: 1, revision: 8 });
    seq(h, 'b', { type: 'put', key: 'p/2', value: 'y' }, { type: 'put', version: 1, revision: 5 });
    seq(
      h,
      'c',
      { type: 'range', prefix: 'p/', limit: 10 },
      {
        type: 'range',
        kvs: [
          { key: 'p/1', value: 'x', version: 1, revision: 8 },
          { key: 'p/2', value: 'y', version: 1, revision: 5 },
        ],
        more: false,
      },
    );
    expect(check(h).verdict).toBe('not-linearizable');
  });

  it('rejects a stale read after a completed write', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'k', value: 'x' }, { type: 'put', version: 1, revision: 1 });
    seq(h, 'a', { type: 'put', key: 'k', value: 'y' }, { type: 'put', version: 2, revision: 2 });
    seq(
      h,
      'b',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 1 } },
    );
    expect(check(h).verdict).toBe('not-linearizable');
  });

  it('lets a timed-out put take effect later and learns its revision from a read', () => {
    const h: Rec = new HistoryRecorder();
    h.abandon(h.invoke('a', { type: 'put', key: 'k', value: 'x' }));
    seq(h, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: undefined });
    seq(
      h,
      'b',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 7 } },
    );
    seq(
      h,
      'b',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 7 } },
    );
    expect(check(h).verdict).toBe('linearizable');
    seq(
      h,
      'c',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { key: 'k', value: 'x', version: 1, revision: 9 } },
    );
    expect(check(h).verdict).toBe('not-linearizable');
  });

  it('checks ranges: order, limit and more', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'b', value: '2' }, { type: 'put', version: 1, revision: 1 });
    seq(h, 'a', { type: 'put', key: 'a', value: '1' }, { type: 'put', version: 1, revision: 2 });
    seq(h, 'a', { type: 'put', key: 'c', value: '3' }, { type: 'put', version: 1, revision: 3 });
    const ok: FlexKvOutput = {
      type: 'range',
      kvs: [
        { key: 'a', value: '1', version: 1, revision: 2 },
        { key: 'b', value: '2', version: 1, revision: 1 },
      ],
      more: true,
    };
    const good: Rec = new HistoryRecorder();
    for (const o of h.operations())
      seq(good, String(o.clientId), o.input, o.output as FlexKvOutput);
    seq(good, 'r', { type: 'range', prefix: '', limit: 2 }, ok);
    expect(check(good).verdict).toBe('linearizable');
    const bad: Rec = new HistoryRecorder();
    for (const o of h.operations()) seq(bad, String(o.clientId), o.input, o.output as FlexKvOutput);
    seq(bad, 'r', { type: 'range', prefix: '', limit: 2 }, { ...ok, more: false });
    expect(check(bad).verdict).toBe('not-linearizable');
  });

  it('partitions by key, joining keys a range covers', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'x/1', value: '1' }, { type: 'put', version: 1, revision: 1 });
    seq(h, 'a', { type: 'put', key: 'x/2', value: '1' }, { type: 'put', version: 1, revision: 2 });
    seq(h, 'a', { type: 'put', key: 'y', value: '1' }, { type: 'put', version: 1, revision: 3 });
    expect(check(h).partitions).toBe(3);
    seq(
      h,
      'a',
      { type: 'range', prefix: 'x/', limit: 1 },
      {
        type: 'range',
        kvs: [{ key: 'x/1', value: '1', version: 1, revision: 1 }],
        more: true,
      },
    );
    const r = check(h);
    expect(r.partitions).toBe(2);
    expect(r.verdict).toBe('linearizable');
  });
});

describe('compareCodePoints', () => {
  it('orders strings like their UTF-8 bytes', () => {
    const words = ['\u{1F600}', '\uFF61', 'a', 'ab', '', 'b'];
    const bytes = (s: string) => Array.from(new TextEncoder().encode(s));
    const byBytes = [...words].sort((x, y) => {
      const a = bytes(x);
      const b = bytes(y);
      for (let i = 0; i < Math.min(a.length, b.length); i++)
        if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
      return a.length - b.length;
    });
    expect([...words].sort(compareCodePoints)).toEqual(byBytes);
  });
});

describe('flexKvModel against a brute-force search', () => {
  const key = fc.constantFrom('a', 'b');
  const val = fc.constantFrom('x', 'y');
  const ver = fc.nat(2);
  const rev = fc.integer({ min: 1, max: 3 });
  const entry = fc.record({
    key,
    value: val,
    version: fc.integer({ min: 1, max: 2 }),
    revision: rev,
  });
  const pair = fc.oneof(
    fc.tuple(
      key.map((k): FlexKvInput => ({ type: 'get', key: k })),
      fc.option(entry, { nil: undefined }).map((kv): FlexKvOutput => ({ type: 'get', kv })),
    ),
    fc.tuple(
      fc.tuple(key, val).map(([k, v]): FlexKvInput => ({ type: 'put', key: k, value: v })),
      fc
        .tuple(ver, rev)
        .map(([version, revision]): FlexKvOutput => ({ type: 'put', version, revision })),
    ),
    fc.tuple(
      key.map((k): FlexKvInput => ({ type: 'delete', key: k })),
      fc.tuple(fc.boolean(), ver, rev).map(([deleted, prevVersion, revision]): FlexKvOutput => ({
        type: 'delete',
        deleted,
        prevVersion,
        revision,
      })),
    ),
    fc.tuple(
      fc
        .tuple(key, ver, val)
        .map(([k, e, v]): FlexKvInput => ({ type: 'cas', key: k, expectedVersion: e, value: v })),
      fc.tuple(fc.boolean(), ver, rev).map(([succeeded, version, revision]): FlexKvOutput => ({
        type: 'cas',
        succeeded,
        version,
        revision,
      })),
    ),
    fc.tuple(
      fc.constant<FlexKvInput>({ type: 'range', prefix: '', limit: 1 }),
      fc
        .tuple(fc.array(entry, { maxLength: 1 }), fc.boolean())
        .map(([kvs, more]): FlexKvOutput => ({ type: 'range', kvs, more })),
    ),
  );
  const historyArb = fc
    .array(fc.record({ pair, start: fc.nat(8), length: fc.nat(4), pending: fc.boolean() }), {
      maxLength: 5,
    })
    .map((specs) =>
      specs.map((s, i) => {
        const [input, output] = s.pair;
        const pending = s.pending && input.type !== 'get' && input.type !== 'range';
        return {
          clientId: i,
          input,
          call: s.start * 2,
          output: pending ? undefined : output,
          return: pending ? undefined : s.start * 2 + s.length * 2 + 1,
        };
      }),
    );

  it('agrees with the definition on small random histories', () => {
    const seen = { yes: 0, no: 0 };
    fc.assert(
      fc.property(historyArb, (ops) => {
        const expected = naiveLinearizable(flexKvModel, ops);
        if (expected) seen.yes++;
        else seen.no++;
        expect(checkLinearizability(flexKvModel, ops).verdict).toBe(
          expected ? 'linearizable' : 'not-linearizable',
        );
      }),
      { seed: 5, numRuns: 1500 },
    );
    expect(seen.yes).toBeGreaterThan(50);
    expect(seen.no).toBeGreaterThan(50);
  });
});

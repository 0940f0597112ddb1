import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HistoryRecorder, checkLinearizability, flexKvModel } from '../src/index.js';
import type { FlexKvInput, FlexKvOutput, Operation } from '../src/index.js';
import { naiveLinearizable } from './naive.js';

type Rec = HistoryRecorder<FlexKvInput, FlexKvOutput>;
const check = (h: Rec) => checkLinearizability(flexKvModel, h.operations()).verdict;
function seq(h: Rec, client: string, input: FlexKvInput, output: FlexKvOutput): void {
  h.complete(h.invoke(client, input), output);
}

const txnXY: FlexKvInput = {
  type: 'txn',
  compare: [{ target: 'version', key: 'x', op: '=', operand: 0 }],
  success: [
    { type: 'put', key: 'x', value: '1' },
    { type: 'put', key: 'y', value: '1' },
  ],
  failure: [{ type: 'get', key: 'x' }],
};
const txnXYok: FlexKvOutput = {
  type: 'txn',
  succeeded: true,
  revision: 5,
  results: [
    { type: 'put', version: 1, revision: 5 },
    { type: 'put', version: 1, revision: 5 },
  ],
};
const entry = (key: string, value: string, version: number, revision: number) => ({
  key,
  value,
  version,
  revision,
});

describe('flexKvModel transactions', () => {
  it('accepts a sequential history: branch by compares, results per operation', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', txnXY, txnXYok);
    seq(h, 'a', txnXY, {
      type: 'txn',
      succeeded: false,
      revision: 6,
      results: [{ type: 'get', kv: { ...entry('x', '1', 1, 5), createRevision: 5, lease: 0 } }],
    });
    seq(
      h,
      'b',
      { type: 'range', prefix: '', limit: 10 },
      { type: 'range', kvs: [entry('x', '1', 1, 5), entry('y', '1', 1, 5)], more: false },
    );
    expect(check(h)).toBe('linearizable');
  });

  it('rejects a transaction seen half done by a concurrent range (not atomic)', () => {
    const h: Rec = new HistoryRecorder();
    const t = h.invoke('a', txnXY);
    seq(
      h,
      'b',
      { type: 'range', prefix: '', limit: 10 },
      { type: 'range', kvs: [entry('x', '1', 1, 5)], more: false },
    );
    h.complete(t, txnXYok);
    expect(check(h)).toBe('not-linearizable');
  });

  it('rejects a transaction whose effects are seen half after it returned (not atomic)', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', txnXY, txnXYok);
    seq(h, 'b', { type: 'get', key: 'x' }, { type: 'get', kv: entry('x', '1', 1, 5) });
    seq(h, 'b', { type: 'get', key: 'y' }, { type: 'get', kv: undefined });
    expect(check(h)).toBe('not-linearizable');
  });

  it('rejects the wrong branch, and writes at another revision than the transaction', () => {
    const wrongBranch: Rec = new HistoryRecorder();
    seq(
      wrongBranch,
      'a',
      { type: 'put', key: 'x', value: '0' },
      { type: 'put', version: 1, revision: 2 },
    );
    seq(wrongBranch, 'a', txnXY, {
      ...txnXYok,
      results: [
        { type: 'put', version: 2, revision: 5 },
        { type: 'put', version: 1, revision: 5 },
      ],
    });
    expect(check(wrongBranch)).toBe('not-linearizable');
    const split: Rec = new HistoryRecorder();
    seq(split, 'a', txnXY, {
      ...txnXYok,
      results: [
        { type: 'put', version: 1, revision: 4 },
        { type: 'put', version: 1, revision: 5 },
      ],
    });
    expect(check(split)).toBe('not-linearizable');
  });

  it('lets a timed-out transaction take effect whole later, or not at all', () => {
    const h: Rec = new HistoryRecorder();
    h.abandon(h.invoke('a', txnXY));
    seq(h, 'b', { type: 'get', key: 'y' }, { type: 'get', kv: undefined });
    seq(h, 'b', { type: 'get', key: 'y' }, { type: 'get', kv: entry('y', '1', 1, 9) });
    seq(h, 'b', { type: 'get', key: 'x' }, { type: 'get', kv: entry('x', '1', 1, 9) });
    expect(check(h)).toBe('linearizable');
    seq(h, 'c', { type: 'get', key: 'x' }, { type: 'get', kv: undefined });
    expect(check(h)).toBe('not-linearizable');
  });

  it('joins every key of a transaction in one partition', () => {
    const h: Rec = new HistoryRecorder();
    seq(h, 'a', { type: 'put', key: 'x', value: '0' }, { type: 'put', version: 1, revision: 1 });
    seq(h, 'a', { type: 'put', key: 'y', value: '0' }, { type: 'put', version: 1, revision: 2 });
    seq(h, 'a', { type: 'put', key: 'z', value: '0' }, { type: 'put', version: 1, revision: 3 });
    expect(checkLinearizability(flexKvModel, h.operations()).partitions).toBe(3);
    seq(
      h,
      'a',
      {
        type: 'txn',
        compare: [{ target: 'value', key: 'x', op: '=', value: '0' }],
        success: [{ type: 'delete', key: 'y' }],
        failure: [],
      },
      {
        type: 'txn',
        succeeded: true,
        revision: 4,
        results: [{ type: 'delete', deleted: true, prevVersion: 1, revision: 4 }],
      },
    );
    expect(checkLinearizability(flexKvModel, h.operations()).partitions).toBe(2);
  });
});

describe('flexKvModel leases', () => {
  const grant = (h: Rec, lease: number, revision: number) =>
    seq(
      h,
      'a',
      { type: 'lease-grant', ttlMs: 5000 },
      { type: 'lease-grant', lease, ttlMs: 5000, revision },
    );
  const leasedPut = (h: Rec, key: string, lease: number, version: number, revision: number) =>
    seq(h, 'a', { type: 'put', key, value: 'v', lease }, { type: 'put', version, revision });

  it('deletes exactly the attached keys at a client revoke', () => {
    const h: Rec = new HistoryRecorder();
    grant(h, 1, 1);
    leasedPut(h, 'k1', 1, 1, 2);
    leasedPut(h, 'k2', 1, 1, 3);
    seq(
      h,
      'a',
      { type: 'put', key: 'k2', value: 'mine' },
      { type: 'put', version: 2, revision: 4 },
    ); // detached
    seq(
      h,
      'b',
      { type: 'lease-revoke', lease: 1, reason: 'client' },
      { type: 'lease-revoke', revoked: true, deleted: 1, revision: 5 },
    );
    seq(h, 'b', { type: 'get', key: 'k1' }, { type: 'get', kv: undefined });
    seq(
      h,
      'b',
      { type: 'get', key: 'k2' },
      { type: 'get', kv: { ...entry('k2', 'mine', 2, 4), lease: 0 } },
    );
    expect(check(h)).toBe('linearizable');
  });

  it('rejects a key that survives its revoke, a wrong count, and a put to a revoked lease', () => {
    const survives: Rec = new HistoryRecorder();
    grant(survives, 1, 1);
    leasedPut(survives, 'k', 1, 1, 2);
    seq(
      survives,
      'b',
      { type: 'lease-revoke', lease: 1, reason: 'client' },
      { type: 'lease-revoke', revoked: true, deleted: 1, revision: 3 },
    );
    seq(survives, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: entry('k', 'v', 1, 2) });
    expect(check(survives)).toBe('not-linearizable');

    const count: Rec = new HistoryRecorder();
    grant(count, 1, 1);
    leasedPut(count, 'k', 1, 1, 2);
    seq(
      count,
      'b',
      { type: 'lease-revoke', lease: 1, reason: 'client' },
      { type: 'lease-revoke', revoked: true, deleted: 2, revision: 3 },
    );
    expect(check(count)).toBe('not-linearizable');

    const late: Rec = new HistoryRecorder();
    grant(late, 1, 1);
    seq(
      late,
      'b',
      { type: 'lease-revoke', lease: 1, reason: 'client' },
      { type: 'lease-revoke', revoked: true, deleted: 0, revision: 2 },
    );
    leasedPut(late, 'k', 1, 1, 3);
    expect(check(late)).toBe('not-linearizable');
  });

  it('reads report the lease a key is attached to', () => {
    const h: Rec = new HistoryRecorder();
    grant(h, 1, 1);
    leasedPut(h, 'k', 1, 1, 2);
    seq(
      h,
      'b',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { ...entry('k', 'v', 1, 2), lease: 1, createRevision: 2 } },
    );
    expect(check(h)).toBe('linearizable');
    seq(
      h,
      'b',
      { type: 'get', key: 'k' },
      { type: 'get', kv: { ...entry('k', 'v', 1, 2), lease: 0 } },
    );
    expect(check(h)).toBe('not-linearizable');
  });

  it('lets a leased key disappear at a recorded expiry, and only there', () => {
    const base = (): Rec => {
      const h: Rec = new HistoryRecorder();
      grant(h, 1, 1);
      leasedPut(h, 'k', 1, 1, 2);
      return h;
    };
    const withExpiry = base();
    withExpiry.abandon(
      withExpiry.invoke('lessor', { type: 'lease-revoke', lease: 1, reason: 'expired' }),
    );
    seq(withExpiry, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: entry('k', 'v', 1, 2) });
    seq(withExpiry, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: undefined });
    expect(check(withExpiry)).toBe('linearizable');
    const without = base();
    seq(without, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: undefined });
    expect(check(without)).toBe('not-linearizable');
    // An expiry that did nothing (stale epoch) leaves the key.
    const stale = base();
    seq(
      stale,
      'lessor',
      { type: 'lease-revoke', lease: 1, reason: 'expired' },
      { type: 'lease-revoke', revoked: false, deleted: 0, revision: 0 },
    );
    seq(stale, 'b', { type: 'get', key: 'k' }, { type: 'get', kv: entry('k', 'v', 1, 2) });
    expect(check(stale)).toBe('linearizable');
  });

  it('rejects a lease granted twice', () => {
    const h: Rec = new HistoryRecorder();
    grant(h, 1, 1);
    grant(h, 1, 2);
    expect(check(h)).toBe('not-linearizable');
  });
});

describe('flexKvModel with transactions and leases against a brute-force search', () => {
  const key = fc.constantFrom('a', 'b');
  const val = fc.constantFrom('x', 'y');
  const ver = fc.nat(2);
  const rev = fc.integer({ min: 1, max: 4 });
  const entryArb = fc.record({
    key,
    value: val,
    version: fc.integer({ min: 1, max: 2 }),
    revision: rev,
  });
  const putIn = fc
    .tuple(key, val, fc.option(fc.constant(1), { nil: undefined }))
    .map(([k, v, l]): FlexKvInput =>
      l === undefined
        ? { type: 'put', key: k, value: v }
        : { type: 'put', key: k, value: v, lease: l },
    );
  const pair: fc.Arbitrary<[FlexKvInput, FlexKvOutput]> = fc.oneof(
    fc.tuple(
      key.map((k): FlexKvInput => ({ type: 'get', key: k })),
      fc.option(entryArb, { nil: undefined }).map((kv): FlexKvOutput => ({ type: 'get', kv })),
    ),
    fc.tuple(
      putIn,
      fc
        .tuple(ver, rev)
        .map(([version, revision]): FlexKvOutput => ({ type: 'put', version, revision })),
    ),
    fc.tuple(
      fc.tuple(key, ver, key, val).map(([k, n, k2, v]): FlexKvInput => ({
        type: 'txn',
        compare: [{ target: 'version', key: k, op: '=', operand: n }],
        success: [
          { type: 'put', key: k2, value: v },
          { type: 'get', key: k },
        ],
        failure: [{ type: 'delete', key: k2 }],
      })),
      fc
        .tuple(fc.boolean(), rev, ver, fc.option(entryArb, { nil: undefined }))
        .map(([succeeded, revision, version, kv]): FlexKvOutput => ({
          type: 'txn',
          succeeded,
          revision,
          results: succeeded
            ? [
                { type: 'put', version, revision },
                { type: 'get', kv },
              ]
            : [
                {
                  type: 'delete',
                  deleted: version > 0,
                  prevVersion: version,
                  revision: version > 0 ? revision : 0,
                },
              ],
        })),
    ),
    fc.tuple(
      fc.constant<FlexKvInput>({ type: 'lease-grant', ttlMs: 5000 }),
      rev.map((revision): FlexKvOutput => ({
        type: 'lease-grant',
        lease: 1,
        ttlMs: 5000,
        revision,
      })),
    ),
    fc.tuple(
      fc.constantFrom<FlexKvInput>(
        { type: 'lease-revoke', lease: 1, reason: 'client' },
        { type: 'lease-revoke', lease: 1, reason: 'expired' },
      ),
      fc.tuple(fc.boolean(), fc.nat(2), rev).map(([revoked, deleted, revision]): FlexKvOutput => ({
        type: 'lease-revoke',
        revoked,
        deleted,
        revision,
      })),
    ),
  );
  const historyArb = fc
    .array(fc.record({ pair, start: fc.nat(8), length: fc.nat(4), pending: fc.boolean() }), {
      maxLength: 5,
    })
    .map((specs) =>
      specs.map((s, i): Operation<FlexKvInput, FlexKvOutput> => {
        const [input, output] = s.pair;
        const pending = s.pending && input.type !== 'get';
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
      { seed: 55, numRuns: 1500 },
    );
    expect(seen.yes).toBeGreaterThan(100);
    expect(seen.no).toBeGreaterThan(100);
  });
});

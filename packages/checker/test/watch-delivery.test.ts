import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  KvStateMachine,
  WatchHub,
  bytesToUtf8,
  encodeCommand,
  kvCommand,
  kvDelete,
  kvPut,
  kvTxn,
  toBytes,
} from '@flexpaxos/kv';
import type { KvCommandOp, KvEvent } from '@flexpaxos/kv';
import { checkWatchDelivery } from '../src/index.js';
import type { WatchDelivery, WatchEventRecord, WatchedRange } from '../src/index.js';

const record = (e: KvEvent): WatchEventRecord => ({
  type: e.type,
  key: bytesToUtf8(e.kv.key),
  revision: e.kv.revision,
  version: e.kv.version,
  value: bytesToUtf8(e.kv.value),
});

/** The real state machine and watch hub; returns the change log and one watcher's deliveries. */
function run(slots: KvCommandOp[][], watched: WatchedRange, takeEvery: number) {
  const kv = new KvStateMachine();
  const hub = new WatchHub(0);
  const log: WatchEventRecord[] = [];
  const got: WatchDelivery[] = [];
  let id: number | undefined;
  const take = () => {
    if (id === undefined) return;
    for (const o of hub.take(id as never, 3)) {
      if (o.kind === 'events')
        for (const e of o.events) got.push({ kind: 'event', event: record(e) });
      else if (o.kind === 'progress') got.push({ kind: 'progress', revision: o.revision });
    }
  };
  slots.forEach((ops, i) => {
    const slot = i + 1;
    const r = kv.applySlot(slot, {
      kind: 'commands',
      commands: ops.map((op) => encodeCommand(kvCommand(op))),
    });
    log.push(...r.events.map(record));
    hub.publish(slot, r.events);
    if (slot === 3) {
      const w = hub.watch({
        key: toBytes(watched.key),
        prefix: watched.prefix,
        startRevision: watched.startRevision,
      });
      if (w.kind !== 'created') throw new Error(w.kind);
      id = w.watchId;
    }
    if (slot % takeEvery === 0) {
      if (slot % 4 === 0) hub.requestProgress(id as never);
      take();
    }
  });
  for (let i = 0; i < 50; i++) take();
  return { log, got };
}

const slotsArb = fc.array(
  fc.array(
    fc.oneof(
      fc
        .tuple(fc.constantFrom('a', 'b', 'p/1', 'p/2'), fc.nat(3))
        .map(([k, v]) => kvPut(k, `${v}`)),
      fc.constantFrom('a', 'p/1').map(kvDelete),
      fc.constant(kvTxn([], [kvPut('p/1', 'x'), kvPut('p/1', 'x'), kvDelete('b')])),
    ),
    { maxLength: 3 },
  ),
  { minLength: 6, maxLength: 30 },
);
const watchedArb = fc
  .record({
    key: fc.constantFrom('a', 'p/', ''),
    prefix: fc.boolean(),
    startRevision: fc.integer({ min: 1, max: 4 }),
  })
  .map((w) => (w.key === '' && !w.prefix ? { ...w, key: 'a' } : w));

const ev = (revision: number, key: string, version = 1): WatchEventRecord => ({
  type: 'put',
  key,
  revision,
  version,
  value: 'v',
});
const d = (e: WatchEventRecord): WatchDelivery => ({ kind: 'event', event: e });
const all: WatchedRange = { key: '', prefix: true, startRevision: 1 };

describe('checkWatchDelivery', () => {
  const log = [ev(1, 'a'), ev(2, 'b'), ev(2, 'c'), ev(3, 'a', 2), ev(4, 'b', 2)];

  it('accepts exactly the log from the start revision, or a gapless prefix of it', () => {
    expect(checkWatchDelivery(log, all, log.map(d))).toMatchObject({
      ok: true,
      expected: 5,
      delivered: 5,
    });
    expect(checkWatchDelivery(log, all, log.slice(0, 3).map(d)).ok).toBe(true);
    const fromThree = { key: '', prefix: true, startRevision: 3 };
    expect(checkWatchDelivery(log, fromThree, log.slice(3).map(d)).ok).toBe(true);
    expect(
      checkWatchDelivery(log, { key: 'a', prefix: false, startRevision: 1 }, [
        d(ev(1, 'a')),
        d(ev(3, 'a', 2)),
      ]).ok,
    ).toBe(true);
  });

  it('catches a dropped event', () => {
    const got = [log[0], log[1], log[3], log[4]].map((e) => d(e as WatchEventRecord));
    expect(checkWatchDelivery(log, all, got).problems).toEqual([
      { kind: 'gap', index: 2, missing: log[2] },
    ]);
  });

  it('catches a dropped last event once the watcher is known to have run past it', () => {
    const got = log.slice(0, 4).map(d);
    expect(checkWatchDelivery(log, all, got).ok).toBe(true);
    expect(checkWatchDelivery(log, all, got, { throughRevision: 4 }).problems).toEqual([
      { kind: 'gap', index: 4, missing: log[4] },
    ]);
    expect(
      checkWatchDelivery(log, all, [...got, { kind: 'progress', revision: 4 }]).problems,
    ).toEqual([{ kind: 'early-progress', index: 4, revision: 4, missing: log[4] }]);
  });

  it('catches a duplicated event', () => {
    const got = [log[0], log[1], log[1], log[2], log[3], log[4]].map((e) =>
      d(e as WatchEventRecord),
    );
    expect(checkWatchDelivery(log, all, got).problems).toEqual([
      { kind: 'duplicate', index: 2, event: log[1] },
    ]);
  });

  it('catches a reordered event', () => {
    const got = [log[0], log[2], log[1], log[3], log[4]].map((e) => d(e as WatchEventRecord));
    expect(checkWatchDelivery(log, all, got).problems).toEqual([
      { kind: 'reorder', index: 1, event: log[2], expected: log[1] },
    ]);
  });

  it('catches an event before the start, of another key, or never applied', () => {
    const watched = { key: 'a', prefix: false, startRevision: 2 };
    for (const e of [ev(1, 'a'), ev(2, 'b'), ev(9, 'a', 7)])
      expect(checkWatchDelivery(log, watched, [d(e)]).problems).toEqual([
        { kind: 'unexpected', index: 0, event: e },
      ]);
  });

  it('matches identical changes of one revision by occurrence', () => {
    const twice = [
      ev(5, 'k'),
      { ...ev(5, 'k'), type: 'delete' as const, version: 0, value: '' },
      ev(5, 'k'),
    ];
    expect(checkWatchDelivery(twice, all, twice.map(d)).ok).toBe(true);
    expect(
      checkWatchDelivery(
        twice,
        all,
        [twice[0], twice[1], twice[2], twice[2]].map((e) => d(e as WatchEventRecord)),
      ).problems,
    ).toMatchObject([{ kind: 'duplicate' }]);
  });

  it('finds the real watch hub correct, and catches each sabotage of its deliveries', () => {
    const caught = { gap: 0, duplicate: 0, reorder: 0 };
    fc.assert(
      fc.property(
        slotsArb,
        watchedArb,
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        (slots, watched, every, at) => {
          const { log: applied, got } = run(slots, watched, every);
          const last = applied.at(-1)?.revision ?? 0;
          const honest = checkWatchDelivery(applied, watched, got, { throughRevision: last });
          expect(honest.problems).toEqual([]);
          const events = got
            .map((x, i) => [x, i] as const)
            .filter(([x]) => x.kind === 'event')
            .map(([, i]) => i);
          if (events.length < 2) return;
          const i = events[at % (events.length - 1)] as number;
          const j = events[(at % (events.length - 1)) + 1] as number;
          const dropped = got.filter((_, k) => k !== i);
          const duplicated = [...got.slice(0, i + 1), got[i] as WatchDelivery, ...got.slice(i + 1)];
          const swapped = got.map((x, k) =>
            k === i ? (got[j] as WatchDelivery) : k === j ? (got[i] as WatchDelivery) : x,
          );
          const kinds = (r: ReturnType<typeof checkWatchDelivery>) => r.problems.map((p) => p.kind);
          const opts = { throughRevision: last };
          if (
            kinds(checkWatchDelivery(applied, watched, dropped, opts)).some(
              (k) => k === 'gap' || k === 'early-progress',
            )
          )
            caught.gap++;
          else throw new Error('a dropped event went unnoticed');
          if (kinds(checkWatchDelivery(applied, watched, duplicated, opts)).includes('duplicate'))
            caught.duplicate++;
          else throw new Error('a duplicated event went unnoticed');
          const sameEvent = JSON.stringify(got[i]) === JSON.stringify(got[j]);
          if (!sameEvent) {
            if (kinds(checkWatchDelivery(applied, watched, swapped, opts)).includes('reorder'))
              caught.reorder++;
            else throw new Error('a reordered event went unnoticed');
          }
        },
      ),
      { seed: 71, numRuns: 300 },
    );
    expect(caught.gap).toBeGreaterThan(100);
    expect(caught.duplicate).toBeGreaterThan(100);
    expect(caught.reorder).toBeGreaterThan(100);
  });
});

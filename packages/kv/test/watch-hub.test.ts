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
} from '../src/index.js';
import type { KvCommandOp, KvEvent, WatchHubConfig, WatchId, WatchOutput } from '../src/index.js';

/** A state machine and a hub fed from it, one slot at a time. */
class Fixture {
  readonly kv = new KvStateMachine();
  readonly hub: WatchHub;
  readonly log: KvEvent[] = [];
  constructor(config: Partial<WatchHubConfig> = {}) {
    this.hub = new WatchHub(0, config);
  }
  slot(...ops: KvCommandOp[]): number {
    const slot = this.kv.applied + 1;
    const r = this.kv.applySlot(slot, {
      kind: 'commands',
      commands: ops.map((op) => encodeCommand(kvCommand(op))),
    });
    this.log.push(...r.events);
    this.hub.publish(slot, r.events);
    return slot;
  }
  empty(): number {
    const slot = this.kv.applied + 1;
    this.kv.applyNoop(slot);
    this.hub.publish(slot, []);
    return slot;
  }
}

const show = (outs: readonly WatchOutput[]): string[] =>
  outs.map((o) =>
    o.kind === 'events'
      ? `@${o.revision} ${o.events.map((e) => `${e.type}:${bytesToUtf8(e.kv.key)}`).join(',')}`
      : o.kind === 'progress'
        ? `progress ${o.revision}`
        : `cancelled ${o.reason} resume ${o.resumeRevision}`,
  );

function created(hub: WatchHub, key: string, prefix: boolean, startRevision?: number): WatchId {
  const r = hub.watch({
    key: toBytes(key),
    prefix,
    ...(startRevision === undefined ? {} : { startRevision }),
  });
  if (r.kind !== 'created') throw new Error(JSON.stringify(r));
  return r.watchId;
}

describe('WatchHub', () => {
  it('delivers the matching events of each revision as one batch, from now on by default', () => {
    const f = new Fixture();
    f.slot(kvPut('a', '0'));
    const key = created(f.hub, 'a', false);
    const prefix = created(f.hub, 'p/', true);
    f.slot(kvPut('a', '1'), kvPut('p/1', 'x'), kvPut('b', 'no'));
    f.empty();
    f.slot(kvTxn([], [kvPut('p/2', 'y'), kvDelete('p/1'), kvPut('a', '2')]));
    expect(show(f.hub.take(key))).toEqual(['@2 put:a', '@4 put:a']);
    expect(show(f.hub.take(prefix))).toEqual(['@2 put:p/1', '@4 put:p/2,delete:p/1']);
    expect(f.hub.take(key)).toEqual([]);
  });

  it('replays the history from a start revision, then live events, each once, in order', () => {
    const f = new Fixture();
    for (let i = 0; i < 5; i++) f.slot(kvPut('k', `${i}`));
    const w = created(f.hub, 'k', false, 3);
    expect(f.hub.ready()).toEqual([w]);
    expect(show(f.hub.take(w, 2))).toEqual(['@3 put:k', '@4 put:k']);
    f.slot(kvPut('k', 'live'));
    expect(show(f.hub.take(w))).toEqual(['@5 put:k', '@6 put:k']);
    f.slot(kvPut('k', 'more'));
    expect(show(f.hub.take(w))).toEqual(['@7 put:k']);
  });

  it('never splits a revision, even over maxEvents', () => {
    const f = new Fixture();
    const w = created(f.hub, '', true);
    f.slot(kvPut('a', '1'), kvPut('b', '1'), kvPut('c', '1'));
    f.slot(kvPut('d', '1'));
    expect(show(f.hub.take(w, 2))).toEqual(['@1 put:a,put:b,put:c']);
    expect(show(f.hub.take(w, 2))).toEqual(['@2 put:d']);
  });

  it('answers compacted naming the oldest revision left when the start is below the history', () => {
    const f = new Fixture({ historyEventsMax: 3 });
    for (let i = 0; i < 6; i++) f.slot(kvPut('k', `${i}`));
    expect(f.hub.oldestRevision).toBe(4);
    expect(f.hub.watch({ key: toBytes('k'), prefix: false, startRevision: 3 })).toEqual({
      kind: 'compacted',
      compactRevision: 4,
    });
    const w = created(f.hub, 'k', false, 4);
    expect(show(f.hub.take(w))).toEqual(['@4 put:k', '@5 put:k', '@6 put:k']);
  });

  it('keeps a sliding window of the newest revisions over a long run', () => {
    const f = new Fixture({ historyEventsMax: 10 });
    const live = created(f.hub, 'k', false);
    for (let i = 0; i < 500; i++) {
      f.slot(kvPut('k', `${i}`));
      if (i % 7 === 0) f.hub.take(live);
    }
    expect(f.hub.oldestRevision).toBe(491);
    expect(f.hub.historyEventCount).toBe(10);
    const late = created(f.hub, 'k', false, 491);
    const got = show(f.hub.take(late));
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `@${491 + i} put:k`));
    expect(show(f.hub.take(live)).at(-1)).toBe('@500 put:k');
  });

  it('cancels a catching-up watcher whose next revision leaves the history', () => {
    const f = new Fixture({ historyEventsMax: 3 });
    for (let i = 0; i < 3; i++) f.slot(kvPut('k', `${i}`));
    const w = created(f.hub, 'k', false, 1);
    expect(show(f.hub.take(w, 1))).toEqual(['@1 put:k']);
    f.slot(kvPut('k', 'x'));
    f.slot(kvPut('k', 'y'));
    expect(show(f.hub.take(w))).toEqual(['cancelled compacted resume 2']);
    expect(f.hub.watcherCount).toBe(0);
  });

  it('cancels a caught-up watcher whose queue goes over its bound, and it resumes exactly', () => {
    const f = new Fixture({ watcherQueueEventsMax: 3 });
    const w = created(f.hub, 'k', false);
    f.slot(kvPut('k', '1'));
    expect(f.hub.isCancelled(w)).toBe(false);
    expect(show(f.hub.take(w))).toEqual(['@1 put:k']);
    f.slot(kvPut('k', '2'));
    f.slot(kvPut('k', '3'));
    f.slot(kvPut('k', '4'));
    f.slot(kvPut('k', '5')); // fourth undelivered event: over the bound
    expect(f.hub.ready()).toEqual([w]);
    expect(f.hub.isCancelled(w)).toBe(true);
    const [cancelled] = f.hub.take(w);
    expect(f.hub.isCancelled(w)).toBe(false); // taken: gone
    expect(cancelled).toMatchObject({ kind: 'cancelled', reason: 'slow', resumeRevision: 2 });
    if (cancelled?.kind !== 'cancelled') return;
    const again = created(f.hub, 'k', false, cancelled.resumeRevision);
    expect(show(f.hub.take(again))).toEqual(['@2 put:k', '@3 put:k', '@4 put:k', '@5 put:k']);
  });

  it('always accepts one revision into an empty queue, however large', () => {
    const f = new Fixture({ watcherQueueEventsMax: 2 });
    const w = created(f.hub, '', true);
    f.slot(...Array.from({ length: 10 }, (_, i) => kvPut(`k${i}`, 'v')));
    expect(f.hub.take(w)).toHaveLength(1);
    f.slot(kvPut('a', '1'));
    f.slot(kvPut('b', '1'));
    f.slot(kvPut('c', '1'));
    expect(show(f.hub.take(w))[0]).toMatch(/cancelled slow resume 2/);
  });

  it('bounds queued bytes too', () => {
    const f = new Fixture({ watcherQueueBytesMax: 1000 });
    const w = created(f.hub, 'k', false);
    f.slot(kvPut('k', new Uint8Array(600)));
    f.slot(kvPut('k', new Uint8Array(600)));
    expect(show(f.hub.take(w))).toEqual(['cancelled slow resume 1']);
  });

  it('sends a progress notification once caught up, naming the applied revision', () => {
    const f = new Fixture();
    const w = created(f.hub, 'k', false);
    const other = created(f.hub, 'other', false);
    f.slot(kvPut('k', '1'));
    f.slot(kvPut('k', '2'));
    f.empty();
    f.hub.requestProgress(w);
    expect(show(f.hub.take(w, 1))).toEqual(['@1 put:k']); // not caught up yet: no progress
    expect(show(f.hub.take(w, 1))).toEqual(['@2 put:k', 'progress 3']);
    expect(f.hub.take(w)).toEqual([]);
    f.hub.requestProgress();
    expect(f.hub.ready()).toEqual([w, other]);
    expect(show(f.hub.take(other))).toEqual(['progress 3']);
  });

  it('leaves out the previous key/value unless asked', () => {
    const f = new Fixture();
    f.slot(kvPut('k', 'old'));
    const plain = created(f.hub, 'k', false);
    const r = f.hub.watch({ key: toBytes('k'), prefix: false, prevKv: true });
    if (r.kind !== 'created') throw new Error('watch');
    f.slot(kvPut('k', 'new'));
    const [a] = f.hub.take(plain);
    const [b] = f.hub.take(r.watchId);
    expect(a?.kind === 'events' && a.events[0]?.prev).toBeUndefined();
    expect(b?.kind === 'events' && b.events[0]?.prev?.value).toEqual(toBytes('old'));
  });

  it('asserts that every revision is published once, in order', () => {
    const hub = new WatchHub(5);
    expect(() => hub.publish(7, [])).toThrow(/every revision is published once/);
    hub.publish(6, []);
    expect(() => hub.publish(6, [])).toThrow(/every revision/);
  });

  it('cancels every watcher on reset and restarts the history after the new revision', () => {
    const f = new Fixture();
    f.slot(kvPut('k', '1'));
    const w = created(f.hub, 'k', false, 1);
    f.hub.reset(40);
    expect(show(f.hub.take(w))).toEqual(['cancelled reset resume 1']);
    expect(f.hub.watch({ key: toBytes('k'), prefix: false, startRevision: 1 })).toEqual({
      kind: 'compacted',
      compactRevision: 41,
    });
    f.hub.publish(41, []);
  });

  it('refuses bad specs and more than watchersMax watchers', () => {
    const hub = new WatchHub(0, { watchersMax: 1 });
    expect(hub.watch({ key: new Uint8Array(0), prefix: false }).kind).toBe('invalid');
    expect(hub.watch({ key: toBytes('k'), prefix: false, startRevision: 0 }).kind).toBe('invalid');
    created(hub, 'k', false);
    expect(hub.watch({ key: toBytes('j'), prefix: false }).kind).toBe('limit-exceeded');
    expect(() => new WatchHub(0, { historyEventsMax: 0 })).toThrow(/historyEventsMax/);
  });

  it('delivers to every watcher exactly the change log from its start: random load, slow readers, resumption', () => {
    const keyArb = fc.constantFrom('a', 'b', 'p/1', 'p/2');
    const stepArb = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.array(fc.tuple(keyArb, fc.boolean()), { maxLength: 4 }).map((ops) => ({
          kind: 'slot' as const,
          ops: ops.map(([k, del]) => (del ? kvDelete(k) : kvPut(k, 'v'))),
        })),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('take' as const),
          watcher: fc.nat(3),
          max: fc.integer({ min: 1, max: 4 }),
        }),
      },
    );
    const tally = { resumed: 0, ended: 0, events: 0 };
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'p/', ''), prefix: fc.boolean(), back: fc.nat(6) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.array(stepArb, { maxLength: 60 }),
        (specs, steps) => {
          const f = new Fixture({ historyEventsMax: 12, watcherQueueEventsMax: 4 });
          for (let i = 0; i < 6; i++) f.slot(kvPut('a', `${i}`), kvPut('p/1', `${i}`));
          const watchers = specs.map((s) => {
            const key = s.key === '' && !s.prefix ? 'a' : s.key;
            const start = Math.max(f.hub.oldestRevision, f.kv.applied + 1 - s.back);
            return {
              key,
              prefix: s.prefix,
              start,
              id: created(f.hub, key, s.prefix, start),
              got: [] as KvEvent[],
              resumes: 0,
            };
          });
          const drain = (w: (typeof watchers)[number], max: number) => {
            for (const o of f.hub.take(w.id, max)) {
              if (o.kind === 'events') {
                for (const e of o.events) expect(e.kv.revision).toBe(o.revision);
                w.got.push(...o.events);
              } else if (o.kind === 'cancelled') {
                const r = f.hub.watch({
                  key: toBytes(w.key),
                  prefix: w.prefix,
                  startRevision: o.resumeRevision,
                });
                w.resumes++;
                if (r.kind === 'created') w.id = r.watchId;
                else {
                  // Fell out of the history: the watch ends here (checked as a prefix below).
                  expect(r.kind).toBe('compacted');
                  w.id = -1 as WatchId;
                }
              }
            }
          };
          for (const s of steps) {
            if (s.kind === 'slot') f.slot(...s.ops);
            else {
              const w = watchers[s.watcher % watchers.length];
              if (w !== undefined) drain(w, s.max);
            }
          }
          for (const w of watchers) for (let i = 0; i < 20; i++) drain(w, 1000);
          for (const w of watchers) {
            const expected = f.log.filter((e) => {
              const k = bytesToUtf8(e.kv.key);
              return e.kv.revision >= w.start && (w.prefix ? k.startsWith(w.key) : k === w.key);
            });
            const ended = (w.id as number) === -1;
            tally.resumed += w.resumes;
            tally.ended += ended ? 1 : 0;
            tally.events += w.got.length;
            const got = w.got.map(
              (e) => `${e.kv.revision}:${e.type}:${bytesToUtf8(e.kv.key)}:${e.kv.version}`,
            );
            const want = expected.map(
              (e) => `${e.kv.revision}:${e.type}:${bytesToUtf8(e.kv.key)}:${e.kv.version}`,
            );
            if (ended) expect(want.slice(0, got.length)).toEqual(got);
            else expect(got).toEqual(want);
          }
        },
      ),
      { seed: 43, numRuns: 300 },
    );
    // Slow readers were cancelled and resumed, some fell out of the history, much was delivered.
    expect(tally.resumed).toBeGreaterThan(50);
    expect(tally.ended).toBeGreaterThan(5);
    expect(tally.events).toBeGreaterThan(1000);
  });
});

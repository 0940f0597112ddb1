/**
 * Watch end to end on real processes: three `flexpaxos node` processes on a real nats-server
 * and RocksDB, clients over NATS. A follower serves a watch; a prefix watcher sees every put
 * and delete of a writer exactly once, in order; a consumer that stalls is cancelled as slow
 * and resumed from the history without losing or repeating an event; so are frames lost while
 * the watching client's NATS connection reconnects; a start below every
 * node's history throws `WatchCompactedError`; and a watcher at the leader keeps receiving
 * every event exactly once across a kill -9 of that leader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import {
  FlexPaxosClient,
  InvalidArgumentError,
  InvalidKeyError,
  WatchCompactedError,
  decodeResponse,
  encodeRequest,
  nodeClientSubject,
} from '@flexpaxos/client';
import type { Watch, WatchEvent } from '@flexpaxos/client';
import { startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

/** Small enough that a few thousand writes compact it; large enough for the failover. */
const HISTORY_EVENTS = 3000;
/** Makes the slow-consumer path reachable with a few hundred events. */
const QUEUE_EVENTS = 200;

let cluster: TestCluster;
let watcher: FlexPaxosClient;

/** Iterates `w` in the background, keeping every event. */
function collect(w: Watch): { events: WatchEvent[]; done: Promise<unknown> } {
  const events: WatchEvent[] = [];
  const done = (async () => {
    for await (const e of w) events.push(e);
  })();
  done.catch(() => undefined);
  return { events, done };
}

/** `type key@revision` of each event, the form the tests compare. */
const brief = (e: { type: string; key: string; revision: number }): string =>
  `${e.type} ${e.key}@${e.revision}`;

function expectRevisionOrder(events: readonly WatchEvent[]): void {
  for (let i = 1; i < events.length; i++) {
    expect(events[i]?.revision, `event ${i}`).toBeGreaterThanOrEqual(events[i - 1]?.revision ?? 0);
  }
}

async function leaderId(): Promise<number> {
  return waitFor('a leader', async () => {
    const s = await cluster.client.clusterStatus({ waitMs: 300 });
    return s.find((n) => n.role === 'leader')?.id;
  });
}

/** Runs `fn` on `n` concurrent workers over `count` items. */
async function parallel(count: number, n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

beforeAll(async () => {
  cluster = await startTestCluster({
    cluster: 'watch',
    members: [1, 2, 3],
    tmpPrefix: 'fp-watch-',
    extra: () => [
      '--watch-history-events-max',
      String(HISTORY_EVENTS),
      '--watch-queue-events-max',
      String(QUEUE_EVENTS),
    ],
  });
  watcher = await FlexPaxosClient.connect({
    servers: [cluster.nats.url],
    cluster: 'watch',
    timeoutMs: 10_000,
  });
  await leaderId();
  await cluster.client.put('warmup', 'x');
}, 60_000);

afterAll(async () => {
  await watcher?.close();
  await cluster?.stop();
});

describe('watch on a real cluster', () => {
  it('answers malformed watch requests with a typed error, counts them, and keeps serving', async () => {
    const nc = await connect({ servers: [cluster.nats.url] });
    try {
      const ask = async (frame: Uint8Array): Promise<unknown> => {
        const d = decodeResponse((await nc.request(nodeClientSubject('watch', 2), frame)).data);
        return d.ok ? d.value : d.error;
      };
      expect(await ask(Uint8Array.of(1, 5, 0))).toMatchObject({
        kind: 'error',
        code: 'bad-request',
      });
      const create = (inbox: string, key: string): Uint8Array =>
        encodeRequest({
          kind: 'watch-create',
          key: new TextEncoder().encode(key),
          prefix: false,
          prevKv: false,
          startRevision: undefined,
          inbox,
        });
      expect(await ask(create('flexpaxos.watch.peer.1', 'k'))).toMatchObject({
        kind: 'error',
        code: 'bad-request',
        message: 'inbox: must not be under flexpaxos. (node subjects)',
      });
      expect(await ask(create('_INBOX.x', ''))).toMatchObject({
        kind: 'error',
        code: 'bad-request',
      });
      const http = (await cluster.nodes[1]?.started)?.http;
      const text = await (await fetch(`${http}/metrics`)).text();
      expect(Number(/^flexpaxos_watch_refused_total (\d+)/m.exec(text)?.[1])).toBe(2);
      // The client refuses bad arguments before sending anything.
      expect(() => watcher.watch('')).toThrow(InvalidKeyError);
      expect(() => watcher.watch('k', { fromRevision: 0 })).toThrow(InvalidArgumentError);
      expect(() => watcher.watch('k', { node: -1 })).toThrow(InvalidArgumentError);
      // Node 2 still serves; an AbortSignal ends the iteration.
      const abort = new AbortController();
      const w = watcher.watch('m/', { node: 2, prefix: true, signal: abort.signal });
      expect(await w.ready).toBeGreaterThan(0);
      const got = collect(w);
      await cluster.client.put('m/1', 'v');
      await waitFor('the event', () => Promise.resolve(got.events.length === 1 ? true : undefined));
      abort.abort();
      await got.done;
      expect(got.events.map((e) => e.key)).toEqual(['m/1']);
    } finally {
      await nc.close();
    }
  });

  it('is served by a follower, with previous values when asked', async () => {
    const leader = await leaderId();
    const follower = [1, 2, 3].find((id) => id !== leader) ?? 0;
    const w = watcher.watch('f/', { prefix: true, prevKv: true, node: follower });
    const start = await w.ready;
    expect(w.node).toBe(follower);
    const got = collect(w);
    const a = await cluster.client.put('f/a', '1');
    await cluster.client.put('f/a', '2');
    await cluster.client.put('g/outside', 'x');
    const d = await cluster.client.delete('f/a');
    await waitFor('the delete', () => Promise.resolve(w.revision >= d.revision ? true : undefined));
    await waitFor('all consumed', () => Promise.resolve(got.events.length >= 3 ? true : undefined));
    expect(start).toBeLessThanOrEqual(a.revision);
    expect(got.events.map(brief)).toEqual([
      `put f/a@${a.revision}`,
      `put f/a@${a.revision + 1}`,
      `delete f/a@${d.revision}`,
    ]);
    expect(got.events[1]).toMatchObject({ value: '2', version: 2, createRevision: a.revision });
    expect(got.events[1]?.prev).toMatchObject({ value: '1', version: 1 });
    expect(got.events[2]?.prev).toMatchObject({ value: '2', version: 2 });
    expect(await w.requestProgress()).toBeGreaterThanOrEqual(d.revision);
    w.cancel();
    await got.done;
    expect(w.resumes).toBe(0);
  });

  it('delivers every put and delete under a prefix exactly once, in order, while 500 keys are written', async () => {
    const w = watcher.watch('w/', { prefix: true });
    const start = await w.ready;
    const got = collect(w);
    const acked: { type: string; key: string; revision: number; value: string }[] = [];
    await parallel(500, 8, async (i) => {
      const key = `w/${String(i).padStart(3, '0')}`;
      const p = await cluster.client.put(key, `v${i}`);
      acked.push({ type: 'put', key, revision: p.revision, value: `v${i}` });
      await cluster.client.put(`other/${i}`, 'x'); // outside the prefix
      if (i % 10 === 0) {
        const d = await cluster.client.delete(key);
        acked.push({ type: 'delete', key, revision: d.revision, value: '' });
      }
    });
    const last = Math.max(...acked.map((a) => a.revision));
    await waitFor('every acknowledged write seen', () =>
      Promise.resolve(w.revision >= last && w.buffered === 0 ? true : undefined),
    );
    expectRevisionOrder(got.events);
    expect(got.events.every((e) => e.revision >= start)).toBe(true);
    const seen = got.events.map(brief);
    expect(new Set(seen).size).toBe(seen.length); // no event twice
    expect([...seen].sort()).toEqual(acked.map(brief).sort());
    for (const e of got.events.filter((x) => x.type === 'put')) {
      expect(e.value).toBe(`v${Number(e.key.slice(2))}`);
    }
    // The same changes again from the start revision, at another node, from its history.
    const replay = watcher.watch('w/', { prefix: true, fromRevision: start, node: 3 });
    const again = collect(replay);
    await waitFor('the replay', () =>
      Promise.resolve(again.events.length >= seen.length ? true : undefined),
    );
    expect(again.events.slice(0, seen.length).map(brief)).toEqual(seen);
    replay.cancel();
    w.cancel();
  }, 120_000);

  it('resumes a consumer that stalled, from the history, with no event lost or repeated', async () => {
    const w = watcher.watch('s/', { prefix: true });
    await w.ready;
    const revisions: number[] = [];
    await parallel(1000, 16, async (i) => {
      revisions.push((await cluster.client.put(`s/${i}`, 'v')).revision);
    });
    // Nobody consumed: the node sent one window, queued up to its limit, then cancelled it.
    await waitFor('the slow cancel', () => Promise.resolve(w.resumes >= 1 ? true : undefined));
    expect(w.buffered).toBeLessThanOrEqual(QUEUE_EVENTS + 16); // one window (whole revisions)
    const got: WatchEvent[] = [];
    for await (const e of w) {
      got.push(e);
      if (got.length === 1000) break;
    }
    expectRevisionOrder(got);
    expect(got.map((e) => e.revision).sort((a, b) => a - b)).toEqual(
      [...revisions].sort((a, b) => a - b),
    );
    expect(new Set(got.map((e) => e.key)).size).toBe(1000);
    const metrics = await Promise.all(
      [1, 2, 3].map(async (id) => {
        const http = (await cluster.nodes[id - 1]?.started)?.http;
        return (await fetch(`${http}/metrics`)).text();
      }),
    );
    const slow = metrics
      .map((t) => Number(/^flexpaxos_watch_slow_cancels_total (\d+)/m.exec(t)?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    expect(slow).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('delivers every event exactly once across NATS reconnects of the watching client', async () => {
    const nc = await connect({ servers: [cluster.nats.url], reconnectTimeWait: 50 });
    const own = FlexPaxosClient.fromConnection(nc, { cluster: 'watch' });
    try {
      const w = own.watch('r/', { prefix: true });
      await w.ready;
      const got = collect(w);
      const acked: string[] = [];
      let writing = true;
      const writes = parallel(600, 8, async (i) => {
        const p = await cluster.client.put(`r/${i}`, 'v');
        acked.push(`put r/${i}@${p.revision}`);
      }).finally(() => (writing = false));
      let reconnects = 0;
      while (writing) {
        await new Promise((r) => setTimeout(r, 150));
        await nc.reconnect();
        reconnects++;
      }
      await writes;
      const last = Math.max(...acked.map((a) => Number(a.split('@')[1])));
      await waitFor(
        'every acknowledged write seen',
        () => Promise.resolve(w.revision >= last && w.buffered === 0 ? true : undefined),
        30_000,
      );
      expect(reconnects).toBeGreaterThanOrEqual(2);
      expectRevisionOrder(got.events);
      expect(got.events.map(brief).sort()).toEqual([...acked].sort());
      expect(w.resumes, 'frames lost in a reconnect are fetched again').toBeGreaterThanOrEqual(1);
      w.cancel();
    } finally {
      await own.close();
      await nc.close();
    }
  }, 120_000);

  it('throws WatchCompactedError naming the oldest revision when no node keeps the start', async () => {
    await parallel(HISTORY_EVENTS + 500, 32, async (i) => {
      await cluster.client.put(`c/${i}`, 'v');
    });
    // Every node trims its own history as it applies: once all applied the same slots, the
    // oldest revision one names is the one every node keeps (no write moves it after that).
    await waitFor('every node applied the same slots', async () => {
      const s = await cluster.client.clusterStatus({ waitMs: 300 });
      const applied = new Set(s.map((n) => n.applied));
      return s.length === 3 && applied.size === 1 ? true : undefined;
    });
    const w = watcher.watch('c/', { prefix: true, fromRevision: 2 });
    const err = await (async () => {
      try {
        for await (const e of w) void e;
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WatchCompactedError);
    const oldest = (err as WatchCompactedError).compactRevision;
    expect(oldest).toBeGreaterThan(2);
    expect((err as WatchCompactedError).code).toBe('COMPACTED');
    // From the revision it names, the watch is served.
    const ok = watcher.watch('c/', { prefix: true, fromRevision: oldest });
    expect(await ok.ready).toBe(oldest);
    ok.cancel();
  }, 120_000);

  it('keeps delivering every event exactly once across a kill -9 of the leader it watches', async () => {
    const leader = await leaderId();
    const w = watcher.watch('k/', { prefix: true, node: leader });
    await w.ready;
    expect(w.node).toBe(leader);
    const got = collect(w);
    const acked = new Map<string, number>(); // key -> revision of its acknowledged put
    const unknown = new Set<string>(); // puts whose outcome is unknown (timed out in the failover)
    let afterKill = 0;
    let killed = false;
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, k) => {
      for (let i = 0; !stop; i++) {
        const key = `k/${k}/${i}`;
        try {
          const r = await cluster.client.put(key, `v${i}`, { timeoutMs: 15_000 });
          acked.set(key, r.revision);
          if (killed) afterKill++;
        } catch {
          unknown.add(key);
        }
      }
    });
    await waitFor('writes before the kill', () =>
      Promise.resolve(acked.size >= 200 ? true : undefined),
    );
    cluster.nodes[leader - 1]?.proc.kill('SIGKILL');
    killed = true;
    await cluster.nodes[leader - 1]?.exited;
    await waitFor(
      'writes after the kill',
      () => Promise.resolve(afterKill >= 300 ? true : undefined),
      60_000,
    );
    stop = true;
    await Promise.all(writers);
    const last = Math.max(...acked.values());
    await waitFor(
      'every acknowledged write seen',
      () => Promise.resolve(w.revision >= last && w.buffered === 0 ? true : undefined),
      30_000,
    );
    expect(w.resumes).toBeGreaterThanOrEqual(1);
    expect(w.node).not.toBe(leader);
    expectRevisionOrder(got.events);
    const byKey = new Map<string, WatchEvent[]>();
    for (const e of got.events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
    for (const [key, revision] of acked) {
      const evs = byKey.get(key) ?? [];
      expect(evs.map(brief), key).toEqual([`put ${key}@${revision}`]);
    }
    for (const [key, evs] of byKey) {
      expect(acked.has(key) || unknown.has(key), key).toBe(true);
      expect(evs, key).toHaveLength(1); // each key is written once: one event, never repeated
    }
    w.cancel();
    await got.done;
  }, 180_000);
});

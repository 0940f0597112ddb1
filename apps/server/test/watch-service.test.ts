/**
 * The watch service on a real KV state machine and watch hub: what it publishes to a watch's
 * inbox (decoded with the client's own stream parts), its flow-control window, slow-consumer
 * cancellation, expiry, progress, reset and the refusals of bad requests.
 */
import { describe, expect, it } from 'vitest';
import { FrameAssembler, decodeWatchFrame } from '@flexpaxos/client';
import type { Response, WatchItem } from '@flexpaxos/client';
import {
  KvStateMachine,
  bytesToUtf8,
  encodeCommand,
  kvCommand,
  kvDelete,
  kvPut,
  toBytes,
} from '@flexpaxos/kv';
import type { KvCommandOp, WatchHubConfig } from '@flexpaxos/kv';
import { WATCH_LEASE_MS, WATCH_PROGRESS_INTERVAL_MS, WatchService } from '../src/watch-service.js';
import type { WatchRequest } from '../src/watch-service.js';
import { ClientService } from '../src/client-service.js';

const INBOX = '_INBOX.test.1';

class Fixture {
  readonly kv = new KvStateMachine();
  readonly published: { subject: string; data: Uint8Array }[] = [];
  nowMs = 0;
  readonly service: WatchService;
  constructor(
    opts: { hub?: Partial<WatchHubConfig>; windowEvents?: number; maxPayload?: number } = {},
  ) {
    this.service = new WatchService({
      nodeId: 3,
      appliedRevision: 0,
      ...(opts.hub === undefined ? {} : { hub: opts.hub }),
      ...(opts.windowEvents === undefined ? {} : { windowEvents: opts.windowEvents }),
      publish: (subject, data) => this.published.push({ subject, data }),
      maxPayload: () => opts.maxPayload ?? 1024 * 1024,
      now: () => this.nowMs,
    });
  }
  slot(...ops: KvCommandOp[]): number {
    const slot = this.kv.applied + 1;
    const r = this.kv.applySlot(slot, {
      kind: 'commands',
      commands: ops.map((op) => encodeCommand(kvCommand(op))),
    });
    this.service.applied(slot, r.events);
    return slot;
  }
  request(req: WatchRequest): Response {
    let out: Response | undefined;
    this.service.onRequest(req, (r) => (out = r));
    if (out === undefined) throw new Error('no answer');
    return out;
  }
  create(key: string, prefix: boolean, startRevision?: number, inbox = INBOX): Response {
    return this.request({
      kind: 'watch-create',
      key: toBytes(key),
      prefix,
      prevKv: false,
      startRevision,
      inbox,
    });
  }
  watchId(key: string, prefix: boolean, startRevision?: number, inbox = INBOX): number {
    const r = this.create(key, prefix, startRevision, inbox);
    if (r.kind !== 'watch' || r.reply.type !== 'created') throw new Error(JSON.stringify(r));
    return r.reply.watchId;
  }
  ack(id: number, ackSeq: number): Response {
    return this.request({ kind: 'watch-control', op: 'keepalive', watches: [{ id, ackSeq }] });
  }
}

/** Reads the frames published to `inbox` (from `from` on) back into messages. */
function messages(
  f: Fixture,
  inbox = INBOX,
  asm = new FrameAssembler(),
): { items: WatchItem[]; lastSeq: number }[] {
  const out: { items: WatchItem[]; lastSeq: number }[] = [];
  for (const p of f.published.splice(0)) {
    if (p.subject !== inbox) continue;
    const d = decodeWatchFrame(p.data);
    if (!d.ok) throw new Error(d.error);
    const r = asm.push(d.value);
    if (r.kind === 'broken') throw new Error(r.reason);
    if (r.kind === 'message') out.push({ items: r.items, lastSeq: r.lastSeq });
  }
  return out;
}

const show = (items: readonly WatchItem[]): string[] =>
  items.map((i) =>
    i.kind === 'events'
      ? `@${i.revision} ${i.events.map((e) => `${e.type}:${bytesToUtf8(e.kv.key)}`).join(',')}`
      : i.kind === 'progress'
        ? `progress ${i.revision}`
        : `cancelled ${i.reason}`,
  );

describe('WatchService', () => {
  it('streams every matching event to the inbox in revision order, a revision whole', () => {
    const f = new Fixture();
    f.slot(kvPut('other', 'x'));
    const r = f.create('app/', true);
    expect(r).toEqual({
      kind: 'watch',
      reply: {
        type: 'created',
        watchId: 1,
        nodeId: 3,
        startRevision: 2,
        applied: 1,
        windowEvents: 1024,
      },
    });
    f.slot(kvPut('app/a', '1'), kvPut('other', 'y'), kvPut('app/b', '1'));
    f.slot(kvDelete('app/a'));
    f.service.pump();
    const got = messages(f).flatMap((m) => show(m.items));
    expect(got).toEqual(['@2 put:app/a,put:app/b', '@3 delete:app/a']);
    expect(f.service.counts.eventsSent).toBe(3);
    expect(f.service.watchers).toBe(1);
  });

  it('serves a start in the past from the history, and answers compacted below it', () => {
    const f = new Fixture({ hub: { historyEventsMax: 3 } });
    for (let i = 1; i <= 6; i++) f.slot(kvPut(`k${i}`, 'v'));
    expect(f.create('k', true, 1)).toEqual({
      kind: 'watch',
      reply: { type: 'compacted', compactRevision: 4, applied: 6, nodeId: 3 },
    });
    f.watchId('k', true, 4);
    f.service.pump();
    expect(messages(f).flatMap((m) => show(m.items))).toEqual([
      '@4 put:k4',
      '@5 put:k5',
      '@6 put:k6',
    ]);
    expect(f.service.counts.compacted).toBe(1);
    expect(f.service.oldestRevision).toBe(4);
  });

  it('sends at most the window unacknowledged, and more once acknowledged', () => {
    const f = new Fixture({ windowEvents: 3 });
    const asm = new FrameAssembler();
    const id = f.watchId('k', true);
    for (let i = 1; i <= 8; i++) f.slot(kvPut(`k${i}`, 'v'));
    f.service.pump();
    const first = messages(f, INBOX, asm);
    expect(first.flatMap((m) => show(m.items))).toEqual(['@1 put:k1', '@2 put:k2', '@3 put:k3']);
    f.service.pump(); // the window is full: nothing more
    expect(messages(f, INBOX, asm)).toEqual([]);
    expect(f.ack(id, first.at(-1)?.lastSeq ?? 0)).toEqual({
      kind: 'watch',
      reply: { type: 'ack', applied: 8, unknown: [] },
    });
    f.service.pump();
    expect(messages(f, INBOX, asm).flatMap((m) => show(m.items))).toEqual([
      '@4 put:k4',
      '@5 put:k5',
      '@6 put:k6',
    ]);
    expect(f.service.counts.eventsSent).toBe(6);
  });

  it('cancels a watcher whose consumer stalls once its hub queue is full, with the resume revision', () => {
    const f = new Fixture({ windowEvents: 2, hub: { watcherQueueEventsMax: 4 } });
    const asm = new FrameAssembler();
    f.watchId('k', true);
    f.slot(kvPut('k1', 'v'));
    f.slot(kvPut('k2', 'v'));
    f.service.pump();
    expect(messages(f, INBOX, asm).flatMap((m) => show(m.items))).toEqual([
      '@1 put:k1',
      '@2 put:k2',
    ]);
    for (let i = 3; i <= 8; i++) f.slot(kvPut(`k${i}`, 'v'));
    f.service.pump();
    const last = messages(f, INBOX, asm).flatMap((m) => m.items);
    expect(last).toEqual([
      expect.objectContaining({ kind: 'cancelled', reason: 'slow', resumeRevision: 3 }),
    ]);
    expect(f.service.counts.slowCancels).toBe(1);
    expect(f.service.watchers).toBe(0);
    // The client resumes from 3, served from the history.
    const again = f.watchId('k', true, 3, '_INBOX.test.2');
    expect(again).toBe(2);
    f.service.pump();
    expect(messages(f, '_INBOX.test.2').flatMap((m) => show(m.items))).toEqual([
      '@3 put:k3',
      '@4 put:k4', // one window (2 events), the rest once acknowledged
    ]);
  });

  it('sends idle watchers progress, and cancels those not refreshed', () => {
    const f = new Fixture();
    const asm = new FrameAssembler();
    const id = f.watchId('k', false);
    f.slot(kvPut('other', 'v'));
    f.nowMs = WATCH_PROGRESS_INTERVAL_MS;
    f.service.tick(f.nowMs);
    expect(messages(f, INBOX, asm).flatMap((m) => show(m.items))).toEqual(['progress 1']);
    f.nowMs += WATCH_LEASE_MS - 1;
    f.ack(id, 1); // refreshed
    f.nowMs += WATCH_LEASE_MS - 1;
    f.service.tick(f.nowMs);
    expect(f.service.watchers).toBe(1);
    messages(f, INBOX, asm);
    f.nowMs += 2;
    f.service.tick(f.nowMs);
    expect(messages(f, INBOX, asm).flatMap((m) => show(m.items))).toEqual(['cancelled expired']);
    expect(f.service.counts.expired).toBe(1);
    expect(f.ack(id, 0)).toEqual({
      kind: 'watch',
      reply: { type: 'ack', applied: 1, unknown: [id] },
    });
  });

  it('answers a progress request at once, and forgets a cancelled watch', () => {
    const f = new Fixture();
    const id = f.watchId('k', false);
    f.slot(kvPut('x', 'v'));
    f.request({ kind: 'watch-control', op: 'progress', watches: [{ id, ackSeq: 0 }] });
    f.service.pump();
    expect(messages(f).flatMap((m) => show(m.items))).toEqual(['progress 1']);
    f.request({ kind: 'watch-control', op: 'cancel', watches: [{ id, ackSeq: 0 }] });
    expect(f.service.watchers).toBe(0);
    f.slot(kvPut('k', 'v'));
    f.service.pump();
    expect(messages(f)).toEqual([]);
  });

  it('cancels every watcher when a snapshot is installed, and on stop', () => {
    const f = new Fixture();
    f.watchId('k', false);
    f.watchId('k', false, undefined, '_INBOX.test.2');
    f.service.reset(50);
    f.service.pump();
    expect(show(messages(f).flatMap((m) => m.items))).toEqual(['cancelled reset']);
    expect(f.service.counts.resets).toBe(2);
    f.watchId('k', false);
    f.service.stop();
    expect(f.published.map((p) => p.subject)).toContain(INBOX);
    expect(f.create('k', false)).toMatchObject({ kind: 'error', code: 'unavailable' });
  });

  it('cuts a large message into frames under max_payload', () => {
    const f = new Fixture({ maxPayload: 2048 });
    f.watchId('big', true);
    f.slot(kvPut('big/1', new Uint8Array(5000)), kvPut('big/2', new Uint8Array(3000)));
    f.service.pump();
    const sizes = f.published.map((p) => p.data.byteLength);
    expect(sizes.length).toBeGreaterThan(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2048);
    const [m] = messages(f);
    expect(m?.items[0]).toMatchObject({ kind: 'events', revision: 1 });
    expect(m?.lastSeq).toBe(sizes.length);
  });

  it('refuses bad requests with a typed error naming the problem, and counts them', () => {
    const f = new Fixture({ hub: { watchersMax: 1 } });
    expect(f.create('k', false, undefined, 'bad subject')).toMatchObject({
      kind: 'error',
      code: 'bad-request',
      message: expect.stringMatching(/^inbox:/) as unknown,
    });
    expect(f.create('k', false, undefined, 'flexpaxos.c.peer.1')).toMatchObject({
      kind: 'error',
      code: 'bad-request',
    });
    expect(f.create('', false)).toMatchObject({
      kind: 'error',
      code: 'bad-request',
      message: expect.stringMatching(/^key:/) as unknown,
    });
    expect(f.create('k', false, 0)).toMatchObject({ kind: 'error', code: 'bad-request' });
    f.watchId('k', false);
    expect(f.create('k', false)).toMatchObject({ kind: 'error', code: 'limit-exceeded' });
    expect(f.service.counts.refused).toBe(5);
  });

  it('restarts its history instead of failing when a slot arrives out of order', () => {
    const f = new Fixture();
    f.slot(kvPut('k', 'v'));
    expect(() => f.service.applied(5, [])).not.toThrow();
    expect(f.service.appliedRevision).toBe(5);
  });

  it('is reached through the client service, which refuses malformed frames', () => {
    const f = new Fixture();
    const clients = new ClientService({
      nodeId: 3,
      replica: {
        role: 'follower',
        leader: undefined,
        propose: () => ({ kind: 'not-leader', leaderHint: undefined }),
      },
      reads: { serve: () => undefined, serveStale: () => undefined },
      status: () => {
        throw new Error('no status');
      },
      admin: { onRequest: () => undefined },
      lessor: { keepalive: () => undefined },
      watch: f.service,
      kick: () => undefined,
    });
    const answers: Uint8Array[] = [];
    clients.onRequest({ data: Uint8Array.of(1, 5, 0), respond: (d) => answers.push(d) });
    expect(answers).toHaveLength(1);
    expect(clients.counts.errors).toBe(1);
    expect(f.service.watchers).toBe(0);
  });
});

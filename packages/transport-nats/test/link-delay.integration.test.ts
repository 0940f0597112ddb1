import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsPeerTransport } from '../src/index.js';
import type { NatsPeerTransportOptions, PeerMessage } from '../src/index.js';
import { startNatsServer } from '../src/testing.js';
import type { NatsServer } from '../src/testing.js';
import { collect, waitFor } from './helpers.js';

const open: NatsPeerTransport[] = [];
async function transport(options: NatsPeerTransportOptions): Promise<NatsPeerTransport> {
  const t = await NatsPeerTransport.connect(options);
  open.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
});

const heartbeat = (from: number, to: number, committed: number): PeerMessage =>
  ({ type: 'heartbeat', from, to, ballot: { round: 1, nodeId: from }, committed }) as PeerMessage;

describe('NatsPeerTransport emulated link delay (real nats-server)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('delays messages to a delayed destination by at least the delay, others not at all', async () => {
    const delays = new Map([[2, 150]]);
    const a = await transport({
      servers: [nats.url],
      clusterName: 'delay',
      nodeId: 1,
      linkDelayMs: (to) => delays.get(to) ?? 0,
    });
    const b = await transport({ servers: [nats.url], clusterName: 'delay', nodeId: 2 });
    const c = await transport({ servers: [nats.url], clusterName: 'delay', nodeId: 3 });
    const arrivedAt = new Map<number, number>();
    b.onMessages(() => arrivedAt.set(2, performance.now()));
    c.onMessages(() => arrivedAt.set(3, performance.now()));
    const sentAt = performance.now();
    a.send([heartbeat(1, 2, 1), heartbeat(1, 3, 1)]);
    // Not delayed: published within send(), before any timer could run.
    expect(a.metrics()).toMatchObject({ messagesOut: 1, batchesOut: 1 });
    await waitFor(() => arrivedAt.size === 2, 'both destinations');
    // A lower bound only (the delay is a timer); no upper bound is asserted.
    expect(arrivedAt.get(2)! - sentAt).toBeGreaterThanOrEqual(149);
    expect(a.metrics()).toMatchObject({ messagesOut: 2, batchesOut: 2, outboundDropped: 0 });
  });

  it('keeps the order per link while the delay changes, including back to 0', async () => {
    let delay = 80;
    const a = await transport({
      servers: [nats.url],
      clusterName: 'order',
      nodeId: 1,
      linkDelayMs: () => delay,
    });
    const b = await transport({ servers: [nats.url], clusterName: 'order', nodeId: 2 });
    const got = collect(b);
    const sent: PeerMessage[] = [];
    for (let i = 1; i <= 40; i++) {
      // Shrinking delays (80, 78, ..., 2, then 0) would reorder frames if each were timed alone.
      delay = Math.max(0, 80 - 2 * i);
      const m = heartbeat(1, 2, i);
      sent.push(m);
      a.send([m]);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => got.length === 40, 'all 40 messages');
    expect(got.map((m) => (m as unknown as { committed: number }).committed)).toEqual(
      sent.map((m) => (m as unknown as { committed: number }).committed),
    );
    // Once the queue drained, a zero delay publishes at once again (no timer).
    await new Promise((r) => setTimeout(r, 100));
    const before = a.metrics().messagesOut;
    a.send([heartbeat(1, 2, 41)]);
    expect(a.metrics().messagesOut).toBe(before + 1);
  });

  it('drops (and counts) delayed messages still queued at close', async () => {
    const a = await NatsPeerTransport.connect({
      servers: [nats.url],
      clusterName: 'closing',
      nodeId: 1,
      linkDelayMs: () => 10_000,
    });
    a.send([heartbeat(1, 2, 1), heartbeat(1, 2, 2), heartbeat(1, 3, 1)]);
    await a.close();
    expect(a.metrics()).toMatchObject({ messagesOut: 0, outboundDropped: 3 });
  });

  it('asserts that the delay is a finite number >= 0', async () => {
    const a = await transport({
      servers: [nats.url],
      clusterName: 'bad',
      nodeId: 1,
      linkDelayMs: () => -1,
    });
    expect(() => {
      a.send([heartbeat(1, 2, 1)]);
    }).toThrow(/linkDelayMs\(2\)/);
  });
});

import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsPeerTransport, peerSubject } from '../src/index.js';
import type { NatsPeerTransportOptions, PeerMessage } from '../src/index.js';
import { startNatsCluster, startNatsServer } from '../src/testing.js';
import type { NatsServer } from '../src/testing.js';
import { collect, sendUntil, waitFor } from './helpers.js';
import { acceptSized, bigSnapshot, sampleMessages } from './sample-messages.js';

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

describe('NatsPeerTransport (one nats-server)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('round-trips every message type between two nodes, both ways, in order', async () => {
    const a = await transport({ servers: [nats.url], clusterName: 'rt', nodeId: 1 });
    const b = await transport({ servers: [nats.url], clusterName: 'rt', nodeId: 2 });
    const gotA = collect(a);
    const gotB = collect(b);
    a.send(sampleMessages(1, 2));
    b.send(sampleMessages(2, 1));
    await waitFor(() => gotA.length === 11 && gotB.length === 11, 'both directions');
    expect(gotB).toEqual(sampleMessages(1, 2));
    expect(gotA).toEqual(sampleMessages(2, 1));
    expect(a.metrics()).toMatchObject({
      messagesOut: 11,
      batchesOut: 1,
      messagesIn: 11,
      batchesIn: 1,
      decodeErrors: 0,
    });
    expect(a.frameBytesMax).toBe(1024 * 1024);
    expect(a.natsConnection.isClosed()).toBe(false);
  });

  it('groups messages per destination and sends to itself too', async () => {
    const ts = await Promise.all(
      [1, 2, 3].map((nodeId) => transport({ servers: [nats.url], clusterName: 'grp', nodeId })),
    );
    const got = ts.map(collect);
    ts[0]!.send([
      heartbeat(1, 2, 1),
      heartbeat(1, 3, 1),
      heartbeat(1, 2, 2),
      heartbeat(1, 1, 3),
      heartbeat(1, 3, 2),
    ]);
    await waitFor(
      () => got[0]!.length === 1 && got[1]!.length === 2 && got[2]!.length === 2,
      'grouped delivery',
    );
    expect(got[1]!.map((m) => (m as unknown as { committed: number }).committed)).toEqual([1, 2]);
    expect(ts[0]!.metrics().batchesOut).toBe(3);
  });

  it('counts and drops garbage published on its subject while good messages still flow', async () => {
    const a = await transport({ servers: [nats.url], clusterName: 'junk', nodeId: 1 });
    const drops: string[] = [];
    const b = await transport({
      servers: [nats.url],
      clusterName: 'junk',
      nodeId: 2,
      onDrop: (r) => drops.push(r),
    });
    const got = collect(b);
    const raw = await connect({ servers: nats.url });
    const subject = peerSubject('junk', 2);
    raw.publish(subject, new Uint8Array([1, 2, 3]));
    raw.publish(subject, 'hello');
    raw.publish(subject, new Uint8Array());
    raw.publish(subject, new Uint8Array([1, 1, 1, 2, 1, 3, 5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]));
    // The first chunk of a transfer that never completes: held (pending), not a decode error.
    raw.publish(subject, new Uint8Array([1, 2, 1, 2, 0, 0, 0, 1, 0, 0, 2, 0x90, 0x03, 0, 1, 2, 3]));
    await raw.flush();
    await raw.close();
    a.send([heartbeat(1, 2, 7)]);
    await waitFor(() => got.length === 1, 'the good message');
    expect(got[0]).toEqual(heartbeat(1, 2, 7));
    expect(b.metrics().decodeErrors).toBe(4);
    expect(drops).toHaveLength(4);
    // A batch addressed to node 3 but published on node 2's subject is dropped as misrouted.
    const c = await transport({ servers: [nats.url], clusterName: 'junk', nodeId: 3 });
    const wrong = await connect({ servers: nats.url });
    c.onMessages(() => undefined);
    wrong.publish(subject, (await encodeFor(3)).bytes);
    await wrong.flush();
    await wrong.close();
    await waitFor(() => b.metrics().inboundDropped === 1, 'misrouted drop');
  });

  it('keeps two clusters on one NATS server apart', async () => {
    const a1 = await transport({ servers: [nats.url], clusterName: 'alpha', nodeId: 1 });
    const a2 = await transport({ servers: [nats.url], clusterName: 'alpha', nodeId: 2 });
    const b1 = await transport({ servers: [nats.url], clusterName: 'beta', nodeId: 1 });
    const b2 = await transport({ servers: [nats.url], clusterName: 'beta', nodeId: 2 });
    const [gA, gB] = [collect(a2), collect(b2)];
    a1.send([heartbeat(1, 2, 100)]);
    b1.send([heartbeat(1, 2, 200)]);
    await waitFor(() => gA.length === 1 && gB.length === 1, 'one message each');
    await a1.flush();
    await b1.flush();
    await a2.flush();
    await b2.flush();
    expect(gA).toEqual([heartbeat(1, 2, 100)]);
    expect(gB).toEqual([heartbeat(1, 2, 200)]);
  });

  it('reports a throwing handler through onHandlerError and keeps receiving', async () => {
    const errors: unknown[] = [];
    const a = await transport({ servers: [nats.url], clusterName: 'thr', nodeId: 1 });
    const b = await transport({
      servers: [nats.url],
      clusterName: 'thr',
      nodeId: 2,
      onHandlerError: (e) => errors.push(e),
    });
    const got: PeerMessage[] = [];
    b.onMessages((ms) => {
      got.push(...ms);
      if (got.length === 1) throw new Error('boom');
    });
    a.send([heartbeat(1, 2, 1)]);
    await waitFor(() => errors.length === 1, 'handler error');
    a.send([heartbeat(1, 2, 2)]);
    await waitFor(() => got.length === 2, 'second message');
    expect(b.metrics().handlerErrors).toBe(1);
  });

  it('closes cleanly and drops sends after close', async () => {
    const a = await transport({ servers: [nats.url], clusterName: 'cls', nodeId: 1 });
    await a.close();
    await a.close();
    a.send([heartbeat(1, 2, 1)]);
    expect(a.connected).toBe(false);
    expect(a.metrics().outboundDropped).toBe(1);
  });
});

async function encodeFor(to: number): Promise<{ bytes: Uint8Array }> {
  const { FrameEncoder, encodeEntry } = await import('../src/index.js');
  return new FrameEncoder(1).encode(1, to, [encodeEntry(heartbeat(1, to, 1))], 4096)[0]!;
}

describe('NatsPeerTransport (small max_payload)', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer({ maxPayloadBytes: 4096 });
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('keeps frames under the server max_payload and reassembles chunked snapshots', async () => {
    const a = await transport({ servers: [nats.url], clusterName: 'small', nodeId: 1 });
    const b = await transport({ servers: [nats.url], clusterName: 'small', nodeId: 2 });
    expect(a.frameBytesMax).toBe(4096);
    const got = collect(b);
    const sizes: number[] = [];
    const spy = await connect({ servers: nats.url });
    spy.subscribe(peerSubject('small', 2), {
      callback: (_e, m) => {
        sizes.push(m.data.length);
      },
    });
    await spy.flush();
    const messages = [
      ...Array.from({ length: 200 }, (_, i) => acceptSized(1, 2, i + 1)),
      bigSnapshot(1, 2, 100_000, 1),
      acceptSized(1, 2, 1000),
      bigSnapshot(1, 2, 9_000, 2),
    ];
    a.send(messages);
    await waitFor(() => got.length === messages.length, 'every message');
    expect(got).toEqual(messages);
    const m = a.metrics();
    expect(m.batchesOut).toBeGreaterThan(5);
    expect(m.chunksOut).toBeGreaterThan(25);
    expect(b.metrics()).toMatchObject({
      messagesIn: messages.length,
      decodeErrors: 0,
      inboundDropped: 0,
    });
    await waitFor(() => sizes.length === m.batchesOut + m.chunksOut, 'spy saw every frame');
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    await spy.close();
  });
});

describe('NatsPeerTransport (NATS server restart)', () => {
  it('reconnects by itself and messages flow again', async () => {
    const nats = await startNatsServer();
    try {
      const a = await transport({ servers: [nats.url], clusterName: 'rs', nodeId: 1 });
      const b = await transport({ servers: [nats.url], clusterName: 'rs', nodeId: 2 });
      const got = collect(b);
      a.send([heartbeat(1, 2, 1)]);
      await waitFor(() => got.length === 1, 'before restart');
      await nats.restart({ kill: true, downMs: 300 });
      await waitFor(
        () => a.metrics().reconnects >= 1 && b.metrics().reconnects >= 1,
        'both reconnect',
        10_000,
      );
      expect(a.metrics().disconnects).toBeGreaterThanOrEqual(1);
      let n = 1;
      await sendUntil(
        a,
        () => heartbeat(1, 2, ++n),
        () => got.length >= 2,
        'a message after restart',
      );
      expect(a.connected && b.connected).toBe(true);
    } finally {
      await nats.stop();
    }
  });

  it('drops (and counts) sends while disconnected instead of buffering them', async () => {
    const nats = await startNatsServer();
    try {
      const a = await transport({ servers: [nats.url], clusterName: 'dd', nodeId: 1 });
      await nats.stop({ kill: true });
      await waitFor(() => !a.connected, 'disconnect noticed');
      a.send([heartbeat(1, 2, 1), heartbeat(1, 3, 1)]);
      expect(a.metrics().outboundDropped).toBe(2);
    } finally {
      await nats.stop();
    }
  });
});

describe('NatsPeerTransport (3-server NATS cluster)', () => {
  it('delivers between nodes connected to different NATS servers', async () => {
    const cluster = await startNatsCluster(3);
    try {
      const urls = cluster.urls;
      const ts = await Promise.all(
        [1, 2, 3].map((nodeId) =>
          transport({
            // Each node's own server first; the others are for failover.
            servers: [urls[nodeId - 1]!],
            clusterName: 'mesh',
            nodeId,
          }),
        ),
      );
      expect(new Set(ts.map((t) => t.server)).size).toBe(3);
      const got = ts.map(collect);
      for (const from of [1, 2, 3]) {
        for (const to of [1, 2, 3]) {
          if (from === to) continue;
          const has = () => got[to - 1]!.some((m) => m.from === from);
          await sendUntil(ts[from - 1]!, () => heartbeat(from, to, 5), has, `${from} -> ${to}`);
        }
      }
      // Failover: node 1 lists every server; stopping its server moves it to another one.
      const mobile = await transport({ servers: [...urls], clusterName: 'mesh', nodeId: 4 });
      const gotMobile = collect(mobile);
      const first = cluster.servers.find((s) => s.url.endsWith(mobile.server.split(':').pop()!))!;
      await first.stop({ kill: true });
      await waitFor(() => mobile.metrics().reconnects >= 1, 'failover to another server', 10_000);
      const sender = ts.find((t) => !first.url.endsWith(t.server.split(':').pop()!))!;
      await sendUntil(
        sender,
        () => heartbeat(sender.nodeId, 4, 1),
        () => gotMobile.length > 0,
        'after failover',
      );
    } finally {
      await cluster.stop();
    }
  });
});

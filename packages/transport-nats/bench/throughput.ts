/**
 * Loopback throughput of the NATS peer transport: node 1 sends Accept-sized messages (one
 * 100-byte command each) to node 2 through a real nats-server on 127.0.0.1, `batch` messages
 * per `send()` call, keeping at most `window` messages in flight. Prints messages/s and MB/s
 * (frame bytes on the wire) per batch size. A measurement, not a test.
 *
 *   pnpm exec tsx packages/transport-nats/bench/throughput.ts [messages=200000] [batches=1,16,64,256]
 */
import { NatsPeerTransport } from '../src/index.js';
import type { PeerMessage } from '../src/index.js';
import { startNatsServer } from '../src/testing.js';

const total = Number(process.argv[2] ?? 200_000);
const batches = (process.argv[3] ?? '1,16,64,256').split(',').map(Number);
const windowMessages = 20_000;

function accept(slot: number): PeerMessage & Record<string, unknown> {
  return {
    type: 'accept',
    from: 1,
    to: 2,
    ballot: { round: 3, nodeId: 1 },
    entries: [
      {
        slot,
        ballot: { round: 3, nodeId: 1 },
        value: { kind: 'commands', commands: [new Uint8Array(100).fill(slot & 0xff)] },
      },
    ],
    committed: slot - 1,
  };
}

const nats = await startNatsServer();
try {
  for (const batch of batches) {
    const a = await NatsPeerTransport.connect({
      servers: [nats.url],
      clusterName: 'bench',
      nodeId: 1,
    });
    const b = await NatsPeerTransport.connect({
      servers: [nats.url],
      clusterName: 'bench',
      nodeId: 2,
    });
    let received = 0;
    let wake: (() => void) | undefined;
    b.onMessages((ms) => {
      received += ms.length;
      wake?.();
    });
    const waitUntil = (n: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (received >= n) {
            wake = undefined;
            resolve();
          } else {
            wake = check;
          }
        };
        check();
      });
    const messages = Array.from({ length: total }, (_, i) => accept(i + 1));
    const start = performance.now();
    let sent = 0;
    while (sent < total) {
      const end = Math.min(total, sent + windowMessages);
      for (let i = sent; i < end; i += batch) {
        a.send(messages.slice(i, Math.min(end, i + batch)));
      }
      sent = end;
      // Keep at most two windows in flight: the receiver must not become a slow consumer.
      await waitUntil(sent - windowMessages);
      await new Promise((r) => setImmediate(r));
    }
    await waitUntil(total);
    const seconds = (performance.now() - start) / 1000;
    const m = a.metrics();
    console.log(
      `batch ${String(batch).padStart(4)}: ${Math.round(total / seconds)
        .toLocaleString('en-US')
        .padStart(9)} msg/s, ${(m.bytesOut / seconds / 1e6).toFixed(1).padStart(6)} MB/s, ` +
        `${(m.bytesOut / total).toFixed(1)} wire bytes/msg, ${m.batchesOut} frames, ` +
        `dropped in/out ${b.metrics().inboundDropped}/${m.outboundDropped}`,
    );
    await a.close();
    await b.close();
  }
} finally {
  await nats.stop();
}

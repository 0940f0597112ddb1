// Two FlexPaxos nodes exchanging peer messages through a real nats-server on 127.0.0.1.
// Run from the repository root:
//   pnpm exec tsx --conditions=source packages/transport-nats/examples/quick-start.ts
import type { Message } from '@flexpaxos/paxos';
import { NatsPeerTransport } from '@flexpaxos/transport-nats';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';

const nats = await startNatsServer(); // or your own: servers: ['nats://10.0.0.1:4222', ...]
const [n1, n2] = await Promise.all(
  [1, 2].map((nodeId) =>
    NatsPeerTransport.connect<Message>({ servers: [nats.url], clusterName: 'demo', nodeId }),
  ),
);
if (n1 === undefined || n2 === undefined) throw new Error('unreachable');

const arrived = new Promise<Message[]>((resolve) => {
  n2.onMessages(resolve); // one call per frame, messages in send order
});
// Node ids, slots and rounds are branded numbers in the core; plain data on the wire.
const heartbeat = {
  type: 'heartbeat',
  from: 1,
  to: 2,
  ballot: { round: 1, nodeId: 1 },
  committed: 0,
} as unknown as Message;
n1.send([heartbeat]);

console.log('node 2 received', await arrived); // [ { type: 'heartbeat', from: 1, to: 2, ... } ]
console.log('subject of node 2:', n2.subject); // flexpaxos.demo.peer.2
console.log('node 1 metrics:', n1.metrics()); // messagesOut: 1, batchesOut: 1, bytesOut: ...
await Promise.all([n1.close(), n2.close()]);
await nats.stop();

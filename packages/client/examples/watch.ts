// Watching a prefix against a running cluster (`pnpm start`), from the repository root:
//   FLEXPAXOS_NATS=nats://127.0.0.1:PORT FLEXPAXOS_CLUSTER=NAME \
//     pnpm exec tsx --conditions=source packages/client/examples/watch.ts
import { FlexPaxosClient, WatchCompactedError } from '@flexpaxos/client';

const servers = (process.env['FLEXPAXOS_NATS'] ?? 'nats://127.0.0.1:4222').split(',');
const cluster = process.env['FLEXPAXOS_CLUSTER'] ?? 'demo';
const client = await FlexPaxosClient.connect({ servers, cluster });

// Continue from a write (or a read): every change after its revision, none missed.
const written = await client.put('app/config', 'v1');
const fromRevision = written.revision + 1;
await client.put('app/config', 'v2');
await client.put('app/feature', 'on');
await client.delete('app/feature');

try {
  let seen = 0;
  for await (const ev of client.watch('app/', { prefix: true, fromRevision, prevKv: true })) {
    const value = ev.type === 'put' ? ev.value : '-';
    console.log(ev.type, ev.key, value, 'prev', ev.prev?.value ?? '-'); // put app/config v2 prev v1, then put app/feature on prev -, then delete app/feature - prev on
    if (++seen === 3) break; // break, watch.cancel() or an AbortSignal ends the watch
  }
} catch (error) {
  // No node keeps fromRevision any more: read the current state and watch from its revision.
  if (error instanceof WatchCompactedError) console.log('oldest revision:', error.compactRevision);
  else throw error;
}

// Changes from now on; `requestProgress` says how far the serving node applied.
const watch = client.watch('app/', { prefix: true });
const start = await watch.ready; // the first revision it delivers
console.log('caught up:', (await watch.requestProgress()) >= start - 1); // caught up: true
watch.cancel();
await client.close();

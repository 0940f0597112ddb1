// A FlexPaxos client against a running cluster. Start one with `pnpm start` (it prints the
// NATS URL and the cluster name), then from the repository root:
//   FLEXPAXOS_NATS=nats://127.0.0.1:PORT FLEXPAXOS_CLUSTER=NAME \
//     pnpm exec tsx --conditions=source packages/client/examples/quick-start.ts
import { FlexPaxosClient, InvalidKeyError } from '@flexpaxos/client';

const servers = (process.env['FLEXPAXOS_NATS'] ?? 'nats://127.0.0.1:4222').split(',');
const cluster = process.env['FLEXPAXOS_CLUSTER'] ?? 'demo';
const client = await FlexPaxosClient.connect({ servers, cluster });

const put = await client.put('user/1', 'ada'); // exactly once, even when retried
console.log('put: version', put.version); // put: version 1
const entry = await client.get('user/1'); // lease read: the leader answers locally
console.log('get:', entry?.value, 'version', entry?.version); // get: ada version 1

// Compare-and-set on the version: a mismatch is a result, not an error.
const swapped = await client.cas('user/1', 1, 'grace');
const missed = await client.cas('user/1', 1, 'edsger');
console.log('cas:', swapped.succeeded, missed.succeeded, missed.version); // cas: true false 2

const page = await client.range('user/', { limit: 100, readMode: 'quorum' });
console.log('range:', page.entries.map((e) => `${e.key}=${e.value}`).join(' '), 'more', page.more); // range: user/1=grace more false
await client.get('user/1', { readMode: 'stale' }); // any node answers from what it applied

const removed = await client.delete('user/1');
console.log('delete:', removed.deleted, (await client.get('user/1')) ?? 'absent'); // delete: true absent

try {
  await client.put('', 'no key');
} catch (error) {
  if (error instanceof InvalidKeyError) console.log('error:', error.code); // error: INVALID_KEY
}

const nodes = await client.clusterStatus(); // every node's status report
console.log('leaders:', nodes.filter((n) => n.role === 'leader').map((n) => n.id).length); // leaders: 1
await client.close();

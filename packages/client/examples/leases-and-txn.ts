// Transactions and key leases against a running cluster (see quick-start.ts for how to start
// one), from the repository root:
//   FLEXPAXOS_NATS=nats://127.0.0.1:PORT FLEXPAXOS_CLUSTER=NAME \
//     pnpm exec tsx --conditions=source packages/client/examples/leases-and-txn.ts
import { FlexPaxosClient, LeaseNotFoundError } from '@flexpaxos/client';

const servers = (process.env['FLEXPAXOS_NATS'] ?? 'nats://127.0.0.1:4222').split(',');
const cluster = process.env['FLEXPAXOS_CLUSTER'] ?? 'demo';
const client = await FlexPaxosClient.connect({ servers, cluster });

// A transaction: create the key only if it is absent (version 0), and read it back.
const created = await client.txn({
  compare: [{ key: 'config', target: 'version', op: '=', value: 0 }],
  success: [
    { type: 'put', key: 'config', value: 'v1' },
    { type: 'get', key: 'config' },
  ],
  failure: [{ type: 'get', key: 'config' }],
});
const read = created.results[1];
console.log('txn:', created.succeeded, read?.type === 'get' ? read.entry?.value : '?'); // txn: true v1

// The same transaction again: the key exists, so the failure branch runs.
const again = await client.txn({
  compare: [{ key: 'config', target: 'version', op: '=', value: 0 }],
  success: [{ type: 'put', key: 'config', value: 'v2' }],
  failure: [{ type: 'get', key: 'config' }],
});
const current = again.results[0];
console.log('txn again:', again.succeeded, current?.type === 'get' ? current.entry?.version : '?'); // txn again: false 1

// A key lease: a key put with it lives as long as the lease is kept alive.
const { lease, ttlMs } = await client.leaseGrant(10_000);
await client.put('service/a', '10.0.0.1:80', { lease });
console.log('lease ttl:', ttlMs, (await client.get('service/a'))?.lease === lease); // lease ttl: 10000 true
const renewed = await client.leaseKeepalive(lease); // answered by the leader, never logged
console.log('keepalive:', renewed.ttlMs); // keepalive: 10000
const info = await client.leaseTtl(lease, { keys: true });
console.log('keys:', info.keys.join(' '), info.remainingMs !== undefined); // keys: service/a true
console.log(
  'leases:',
  (await client.leaseList()).leases.some((l) => l.lease === lease),
); // leases: true

// Revoking the lease deletes its keys; the lease is gone for good.
const revoked = await client.leaseRevoke(lease);
console.log('revoke:', revoked.deleted, (await client.get('service/a')) ?? 'absent'); // revoke: 1 absent
try {
  await client.leaseKeepalive(lease);
} catch (error) {
  if (error instanceof LeaseNotFoundError) console.log('keepalive:', error.reason); // keepalive: lease-not-found
}
await client.close();

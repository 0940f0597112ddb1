// Transactions and key leases end to end: three real node processes on RocksDB, a real
// nats-server, the client. Expiry is decided by the leader's lessor on its own clock and
// proposed through the log; keep-alives are answered by the leader alone; a kill -9 of the
// leader extends leases (the new leader restarts every TTL) rather than expiring them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseNotFoundError } from '@flexpaxos/client';
import type { FlexPaxosClient, NodeStatusReport } from '@flexpaxos/client';
import { REPO_ROOT, startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'leases';
const EXAMPLE = join(REPO_ROOT, 'packages/client/examples/leases-and-txn.ts');

let cluster: TestCluster;
let client: FlexPaxosClient;

async function leaderOf(c: FlexPaxosClient, not?: number): Promise<NodeStatusReport | undefined> {
  const all = await c.clusterStatus({ waitMs: 300 });
  const leaders = all.filter((n) => n.role === 'leader' && n.id !== not);
  const l = leaders[0];
  if (l === undefined || leaders.length !== 1) return undefined;
  return all.every((n) => n.id === not || n.leader === l.id) ? l : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The leader's `/metrics` value of `name` (0 when absent). */
async function leaderMetric(name: string): Promise<number> {
  const l = await waitFor('a leader', () => leaderOf(client));
  const text = await (await fetch(`${l.http}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

beforeAll(async () => {
  cluster = await startTestCluster({
    cluster: CLUSTER,
    members: [1, 2, 3],
    tmpPrefix: 'fp-leases-',
  });
  client = cluster.client;
  await waitFor('a leader followed by every node', () => leaderOf(client));
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('transactions', () => {
  it('compare-and-swap: the success branch when the compare holds, else the failure branch', async () => {
    const first = await client.put('txn/k', 'v1');
    const swap = await client.txn({
      compare: [{ key: 'txn/k', target: 'mod-revision', op: '=', value: first.revision }],
      success: [
        { type: 'put', key: 'txn/k', value: 'v2' },
        { type: 'get', key: 'txn/k' },
      ],
      failure: [{ type: 'get', key: 'txn/k' }],
    });
    expect(swap.succeeded).toBe(true);
    expect(swap.results).toHaveLength(2);
    expect(swap.results).toMatchObject([
      { type: 'put', version: 2, revision: swap.revision },
      {
        type: 'get',
        entry: { key: 'txn/k', value: 'v2', version: 2, revision: swap.revision, lease: 0 },
      },
    ]);
    // The same compare again is stale now: the failure branch reads the current value.
    const stale = await client.txn({
      compare: [{ key: 'txn/k', target: 'mod-revision', op: '=', value: first.revision }],
      success: [{ type: 'put', key: 'txn/k', value: 'v3' }],
      failure: [
        { type: 'get', key: 'txn/k' },
        { type: 'range', prefix: 'txn/' },
      ],
    });
    expect(stale.succeeded).toBe(false);
    expect(stale.results[0]).toMatchObject({
      type: 'get',
      entry: { value: 'v2', version: 2, revision: swap.revision },
    });
    expect(stale.results[1]).toMatchObject({ type: 'range', more: false });
    expect((await client.get('txn/k'))?.value).toBe('v2');
    // A value compare and a put to a lease that does not exist: nothing changes.
    await expect(
      client.txn({
        compare: [{ key: 'txn/k', target: 'value', op: '=', value: 'v2' }],
        success: [
          { type: 'delete', key: 'txn/k' },
          { type: 'put', key: 'txn/other', value: 'x', lease: 999_999 },
        ],
      }),
    ).rejects.toThrow(LeaseNotFoundError);
    expect((await client.get('txn/k'))?.value).toBe('v2');
  });
});

describe('key leases', () => {
  it('a key with a 2 s lease is gone within 2 s + 1.5 s after keep-alives stop', async () => {
    const { lease } = await client.leaseGrant(2000);
    await client.put('lease/short', 'x', { lease });
    expect((await client.get('lease/short'))?.lease).toBe(lease);
    const expiriesBefore = await leaderMetric('flexpaxos_key_lease_expiries_proposed_total');
    for (let i = 0; i < 3; i++) {
      await sleep(500);
      await client.leaseKeepalive(lease);
    }
    const lastSentAt = performance.now();
    expect(await client.leaseKeepalive(lease)).toEqual({ lease, ttlMs: 2000 });
    // Not early: the lease runs 2 s from the leader's receipt of the last keep-alive.
    await sleep(1000);
    expect(await client.get('lease/short')).toBeDefined();
    const goneAt = await waitFor(
      'the leased key to expire',
      async () => ((await client.get('lease/short')) === undefined ? performance.now() : undefined),
      10_000,
    );
    const afterMs = goneAt - lastSentAt;
    console.log(`key gone ${Math.round(afterMs)} ms after the last keep-alive was sent (TTL 2000)`);
    expect(afterMs).toBeLessThan(2000 + 1500);
    await expect(client.leaseKeepalive(lease)).rejects.toThrow(LeaseNotFoundError);
    await expect(client.leaseTtl(lease)).rejects.toThrow(LeaseNotFoundError);
    expect((await client.leaseList()).leases.map((l) => l.lease)).not.toContain(lease);
    expect(await leaderMetric('flexpaxos_key_lease_expiries_proposed_total')).toBeGreaterThan(
      expiriesBefore,
    );
    expect(await leaderMetric('flexpaxos_lessor_running')).toBe(1);
  });

  it('revoke deletes every attached key and only those', async () => {
    const { lease } = await client.leaseGrant(60_000);
    await client.put('rev/a', '1', { lease });
    await client.put('rev/b', '2', { lease });
    await client.put('rev/c', '3');
    const ttl = await client.leaseTtl(lease, { keys: true });
    expect(ttl).toMatchObject({ lease, ttlMs: 60_000, keys: ['rev/a', 'rev/b'] });
    expect(ttl.remainingMs).toBeGreaterThan(50_000);
    expect(ttl.remainingMs).toBeLessThanOrEqual(60_000);
    expect((await client.leaseTtl(lease, { readMode: 'quorum' })).keys).toEqual([]);
    expect((await client.leaseList()).leases).toContainEqual({ lease, ttlMs: 60_000 });
    const revoked = await client.leaseRevoke(lease);
    expect(revoked.deleted).toBe(2);
    expect(await client.get('rev/a')).toBeUndefined();
    expect(await client.get('rev/b')).toBeUndefined();
    expect((await client.get('rev/c'))?.value).toBe('3');
    await expect(client.leaseRevoke(lease)).rejects.toThrow(LeaseNotFoundError);
    await expect(client.put('rev/d', '4', { lease })).rejects.toThrow(LeaseNotFoundError);
    await expect(client.leaseKeepalive(lease)).rejects.toThrow(LeaseNotFoundError);
  });

  it('the README example prints what its comments say', () => {
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', EXAMPLE], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FLEXPAXOS_NATS: cluster.nats.url, FLEXPAXOS_CLUSTER: CLUSTER },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      'txn: true v1',
      'txn again: false 1',
      'lease ttl: 10000 true',
      'keepalive: 10000',
      'keys: service/a true',
      'leases: true',
      'revoke: 1 absent',
      'keepalive: lease-not-found',
    ]);
    const readme = readFileSync(join(REPO_ROOT, 'packages/client/README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + readFileSync(EXAMPLE, 'utf8') + '```');
  });

  it('a lease kept alive every 500 ms survives a kill -9 of the leader', async () => {
    const { lease } = await client.leaseGrant(2000);
    await client.put('lease/kept', 'alive', { lease });
    let running = true;
    let renewed = 0;
    let failed = 0;
    const keeper = (async () => {
      while (running) {
        try {
          await client.leaseKeepalive(lease, { timeoutMs: 1500 });
          renewed++;
        } catch (err) {
          if (err instanceof LeaseNotFoundError) throw err;
          failed++;
        }
        await sleep(500);
      }
    })();
    try {
      await sleep(1200);
      const old = await waitFor('a leader', () => leaderOf(client));
      const victim = cluster.nodes.find((n) => n.id === old.id);
      victim?.proc.kill('SIGKILL');
      await victim?.exited;
      const killedAt = performance.now();
      const next = await waitFor('a new leader', () => leaderOf(client, old.id), 20_000);
      expect(next.id).not.toBe(old.id);
      const renewedAtElection = renewed;
      console.log(
        `new leader ${next.id} ${Math.round(performance.now() - killedAt)} ms after kill -9 of ${old.id}`,
      );
      await sleep(4000);
      expect(renewed).toBeGreaterThan(renewedAtElection);
      expect((await client.get('lease/kept'))?.value).toBe('alive');
      const ttl = await client.leaseTtl(lease, { keys: true });
      expect(ttl.keys).toEqual(['lease/kept']);
      expect(ttl.remainingMs).toBeGreaterThan(0);
      console.log(`keep-alives: ${renewed} renewed, ${failed} failed (during the failover)`);
    } finally {
      running = false;
      await keeper;
    }
    // The new leader's lessor expires it once keep-alives stop.
    await waitFor(
      'the kept key to expire after keep-alives stop',
      async () => ((await client.get('lease/kept')) === undefined ? true : undefined),
      10_000,
    );
  });
});

/**
 * Read modes with real node processes (nats-server, three nodes, RocksDB): lease reads served
 * locally by the leader under its lease, quorum reads after a ReadIndex round, stale reads
 * from any node; each returns the value just written; the leader's counters say which path
 * served them, and `/status` and `/metrics` show the lease.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlexPaxosClient, NodeStatusReport, ReadMode } from '@flexpaxos/client';
import type { ServerStatusReport } from '../src/reads.js';
import { startTestCluster, waitFor } from './harness.js';
import type { TestCluster } from './harness.js';

const CLUSTER = 'reads';
const MEMBERS = [1, 2, 3];

let client: FlexPaxosClient;
let testCluster: TestCluster | undefined;

async function statuses(): Promise<ServerStatusReport[]> {
  return (await client.clusterStatus({ waitMs: 300 })) as ServerStatusReport[];
}

async function leaderStatus(): Promise<ServerStatusReport> {
  const all = await statuses();
  const leader = all.find((n: NodeStatusReport) => n.role === 'leader');
  if (leader === undefined) throw new Error('no leader');
  return leader;
}

beforeAll(async () => {
  testCluster = await startTestCluster({
    cluster: CLUSTER,
    members: MEMBERS,
    tmpPrefix: 'flexpaxos-reads-',
  });
  ({ client } = testCluster);
  // A leader whose lease serves reads.
  await waitFor('a leader holding its lease', async () => {
    const all = await statuses();
    return all.some((n) => n.role === 'leader' && n.leaseState.servesReads) ? true : undefined;
  });
});

afterAll(async () => {
  await testCluster?.stop();
});

describe('read modes', () => {
  it('returns the value just written in every mode, served by the path the mode names', async () => {
    const before = await leaderStatus();
    await client.put('mode/key', 'v1');
    for (const readMode of ['lease', 'quorum', 'stale'] as ReadMode[]) {
      const r = await client.get('mode/key', { readMode });
      expect(r, readMode).toMatchObject({ key: 'mode/key', value: 'v1', version: 1 });
      const range = await client.range('mode/', { readMode });
      expect(
        range.entries.map((e) => e.value),
        readMode,
      ).toEqual(['v1']);
    }
    const after = await leaderStatus();
    expect(after.id).toBe(before.id);
    // 2 lease reads (get, range) served locally or, if the lease lapsed meanwhile, by quorum.
    const lease = after.reads.lease - before.reads.lease;
    const fallbacks = after.reads.leaseFallbacks - before.reads.leaseFallbacks;
    expect(lease + fallbacks).toBe(2);
    expect(lease).toBeGreaterThan(0);
    expect(after.reads.quorum - before.reads.quorum).toBe(2 + fallbacks);
  });

  it('reads its own writes in lease and quorum mode under concurrent writers', async () => {
    const workers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 1; i <= 15; i++) {
        const key = `ryw/${w}`;
        await client.put(key, String(i));
        const readMode: ReadMode = i % 2 === 0 ? 'lease' : 'quorum';
        const got = await client.get(key, { readMode });
        expect(got?.value, `${key} after put ${i} (${readMode})`).toBe(String(i));
      }
    });
    await Promise.all(workers);
  });

  it('shows the lease on /status and /metrics: held by the leader, granted by the followers', async () => {
    const all = await statuses();
    const leader = all.find((n) => n.role === 'leader');
    expect(leader?.lease).toBe('held');
    expect(leader?.leaseState.held).toBe(true);
    expect(leader?.leaseState.remainingMs).toBeGreaterThan(0);
    for (const f of all.filter((n) => n.role === 'follower')) {
      expect(f.leaseState.held).toBe(false);
      expect(f.leaseState.grantedTo).toBe(leader?.ballot);
      expect(f.lease).toBe(`granted:${leader?.ballot}`);
    }
    const text = await (await fetch(`${leader?.http}/metrics`)).text();
    expect(text).toMatch(/^flexpaxos_lease_held 1$/m);
    expect(Number(/^flexpaxos_reads_lease_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^flexpaxos_reads_quorum_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/^flexpaxos_read_lease_seconds_count (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(
      0,
    );
    expect(Number(/^flexpaxos_read_quorum_seconds_count (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(
      0,
    );
    const http = (await (await fetch(`${leader?.http}/status`)).json()) as ServerStatusReport;
    expect(http.leaseState.held).toBe(true);
  });

  it('serves stale reads on whichever node gets them; only the leader serves lease and quorum reads', async () => {
    await client.put('stale/key', 'x');
    const leader = await leaderStatus();
    await waitFor('every node to apply the write', async () => {
      const all = await statuses();
      return all.length === 3 && all.every((n) => n.applied >= leader.committed) ? true : undefined;
    });
    const before = await statuses();
    for (let i = 0; i < 6; i++) {
      expect((await client.get('stale/key', { readMode: 'stale' }))?.value).toBe('x');
    }
    const after = await statuses();
    const sum = (xs: ServerStatusReport[]): number => xs.reduce((a, n) => a + n.reads.stale, 0);
    expect(sum(after) - sum(before)).toBe(6);
    for (const n of after.filter((x) => x.role === 'follower')) {
      expect(n.reads.lease + n.reads.quorum, `follower ${n.id}`).toBe(0);
    }
  });
});

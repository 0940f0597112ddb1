import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import {
  FlexPaxosClient,
  InvalidKeyError,
  ValueTooLargeError,
  clusterClientSubject,
  decodeResponse,
  encodeRequest,
} from '@flexpaxos/client';
import { decodeResult, encodeCommand, kvPut, kvSessionCommand, sessionId } from '@flexpaxos/kv';
import type { NodeStatusReport } from '@flexpaxos/client';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, startTestCluster, waitFor } from './harness.js';
import type { NodeProcess, TestCluster } from './harness.js';

const CLUSTER = 'itest';
const MEMBERS = [1, 2, 3];

let nats: NatsServer;
let dir: string;
let nodes: NodeProcess[] = [];
let client: FlexPaxosClient;
let testCluster: TestCluster | undefined;
let killedId: number | undefined;

async function leaderOf(c: FlexPaxosClient): Promise<NodeStatusReport | undefined> {
  const all = await c.clusterStatus({ waitMs: 300 });
  const leaders = all.filter((n) => n.role === 'leader');
  const l = leaders[0];
  if (l === undefined || leaders.length !== 1) return undefined;
  return all.every((n) => n.leader === l.id) ? l : undefined;
}

beforeAll(async () => {
  testCluster = await startTestCluster({
    cluster: CLUSTER,
    members: MEMBERS,
    tmpPrefix: 'flexpaxos-itest-',
  });
  ({ nats, dir, nodes, client } = testCluster);
  await waitFor('a leader followed by every node', () => leaderOf(client));
});

afterAll(async () => {
  await testCluster?.stop();
});

describe('FlexPaxosClient against three node processes', () => {
  it('puts, gets, deletes and reports versions and revisions', async () => {
    const p1 = await client.put('k/a', 'one');
    expect(p1.version).toBe(1);
    const p2 = await client.put('k/a', 'two');
    expect(p2.version).toBe(2);
    expect(p2.revision).toBeGreaterThan(p1.revision);
    const g = await client.get('k/a');
    expect(g).toMatchObject({ key: 'k/a', value: 'two', version: 2, revision: p2.revision });
    expect(await client.get('k/a', { readMode: 'quorum' })).toMatchObject({ value: 'two' });
    expect(await client.get('k/missing')).toBeUndefined();
    const d = await client.delete('k/a');
    expect(d).toMatchObject({ deleted: true, prevVersion: 2 });
    expect(await client.get('k/a')).toBeUndefined();
  });

  it('returns a cas mismatch as a result, not an exception', async () => {
    const created = await client.cas('cas/x', 0, 'first');
    expect(created).toMatchObject({ succeeded: true, version: 1 });
    const stale = await client.cas('cas/x', 0, 'again');
    expect(stale).toMatchObject({ succeeded: false, version: 1 });
    const next = await client.cas('cas/x', 1, 'second');
    expect(next).toMatchObject({ succeeded: true, version: 2 });
    expect((await client.get('cas/x'))?.value).toBe('second');
  });

  it('ranges by prefix in key order with a limit', async () => {
    await Promise.all(['r/3', 'r/1', 'r/2', 's/1'].map((k) => client.put(k, `v-${k}`)));
    const all = await client.range('r/');
    expect(all.entries.map((e) => e.key)).toEqual(['r/1', 'r/2', 'r/3']);
    expect(all.more).toBe(false);
    const two = await client.range('r/', { limit: 2 });
    expect(two.entries.map((e) => e.value)).toEqual(['v-r/1', 'v-r/2']);
    expect(two.more).toBe(true);
  });

  it('applies concurrent writes from one client exactly once each, coalesced into fewer NATS messages', async () => {
    const sentBefore = client.requestMessagesSent;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.put(`c/${i % 5}`, String(i))),
    );
    expect(results).toHaveLength(50);
    const r = await client.range('c/');
    // Every key was written exactly 10 times: its version counts the writes.
    expect(r.entries.map((e) => e.version)).toEqual([10, 10, 10, 10, 10]);
    // 50 calls issued in one event-loop turn: coalesced (the range adds one more message).
    expect(client.requestMessagesSent - sentBefore).toBeLessThan(25);
  });

  it('opens sessions lazily and in parallel, then costs one message per write', async () => {
    const c = await FlexPaxosClient.connect({ servers: [nats.url], cluster: CLUSTER });
    try {
      const before = c.requestMessagesSent;
      await Promise.all(Array.from({ length: 10 }, (_, i) => c.put(`par/${i}`, 'v')));
      expect(c.sessionsOpened).toBe(10);
      // One batch of open-session, one of puts, and a redirect or two while finding the leader.
      expect(c.requestMessagesSent - before).toBeLessThanOrEqual(6);
      const mid = c.requestMessagesSent;
      for (let i = 0; i < 5; i++) await c.put('par/seq', String(i));
      expect(c.requestMessagesSent - mid).toBe(5);
      expect(c.sessionsOpened).toBe(10);
    } finally {
      await c.close();
    }
  });

  it('serves stale reads from a follower', async () => {
    await client.put('stale/k', 'v');
    const leader = await leaderOf(client);
    const follower = MEMBERS.find((m) => m !== leader?.id) ?? 0;
    await waitFor('follower applied', async () => {
      const s = await client.status(follower);
      return s.applied >= (leader?.committed ?? 0) ? true : undefined;
    });
    expect((await client.get('stale/k', { readMode: 'stale' }))?.value).toBe('v');
  });

  it('throws ValueTooLargeError for a value that fits the KV limit but not NATS max_payload', async () => {
    await expect(client.put('big', new Uint8Array(1024 * 1024))).rejects.toBeInstanceOf(
      ValueTooLargeError,
    );
  });

  it('throws typed errors for invalid keys and values before sending', async () => {
    await expect(client.put('', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(client.put('big', new Uint8Array(1024 * 1024 + 1))).rejects.toBeInstanceOf(
      ValueTooLargeError,
    );
  });

  it('reports status of every node over NATS and HTTP', async () => {
    const all = await client.clusterStatus();
    expect(all.map((n) => n.id)).toEqual(MEMBERS);
    const leader = all.find((n) => n.role === 'leader');
    expect(leader).toBeDefined();
    for (const n of all) {
      expect(n).toMatchObject({ cluster: CLUSTER, replication: 2, election: 2, members: MEMBERS });
      expect(n.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const viaHttp = (await (await fetch(`${n.http}/status`)).json()) as NodeStatusReport;
      expect(viaHttp.id).toBe(n.id);
      expect(viaHttp.pid).toBe(n.pid);
      expect((await fetch(`${n.http}/health`)).status).toBe(200);
    }
    const metrics = await (await fetch(`${leader?.http}/metrics`)).text();
    expect(metrics).toMatch(/^flexpaxos_is_leader 1$/m);
    expect(metrics).toMatch(/^flexpaxos_proposals_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^flexpaxos_persist_seconds_count [1-9]\d*$/m);
  });

  it('works through the CLI with --json', async () => {
    const put = spawnCli(
      ['put', 'cli/k', 'hello', '--nats', nats.url, '--cluster', CLUSTER, '--json'],
      30_000,
    );
    expect(await put.exited).toBe(0);
    expect(JSON.parse(put.stdout())).toMatchObject({ key: 'cli/k', version: 1 });
    const get = spawnCli(
      ['get', 'cli/k', '--nats', nats.url, '--cluster', CLUSTER, '--json'],
      30_000,
    );
    expect(await get.exited).toBe(0);
    expect(JSON.parse(get.stdout())).toMatchObject({
      found: true,
      key: 'cli/k',
      value: 'hello',
      version: 1,
    });
  });

  it('elects a new leader after kill -9 of the leader and keeps every acknowledged write', async () => {
    const acked = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      await client.put(`f/${i}`, `v${i}`);
      acked.set(`f/${i}`, `v${i}`);
    }
    const old = await leaderOf(client);
    const victim = nodes.find((n) => n.id === old?.id);
    expect(victim).toBeDefined();
    const t0 = performance.now();
    killedId = victim?.id;
    victim?.proc.kill('SIGKILL');
    await victim?.exited;
    await client.put('f/after', 'x');
    const failoverMs = Math.round(performance.now() - t0);
    console.log(
      `failover (kill -9 of leader ${old?.id} to next acknowledged write): ${failoverMs} ms`,
    );
    acked.set('f/after', 'x');
    const r = await client.range('f/');
    expect(new Map(r.entries.map((e) => [e.key, e.value]))).toEqual(acked);
    expect(r.entries.every((e) => e.version === 1)).toBe(true);
  });

  it('answers malformed and oversized requests with errors and keeps serving', async () => {
    const nc = await connect({ servers: [nats.url] });
    try {
      const subject = clusterClientSubject(CLUSTER);
      const garbage = await nc.request(subject, Uint8Array.of(1, 1, 0, 0xff, 0xff), {
        timeout: 5000,
      });
      expect(decodeResponse(garbage.data)).toMatchObject({
        ok: true,
        value: { kind: 'error', code: 'bad-request' },
      });
      const version = await nc.request(subject, Uint8Array.of(9, 9), { timeout: 5000 });
      expect(decodeResponse(version.data)).toMatchObject({
        ok: true,
        value: { kind: 'error', code: 'bad-request' },
      });
      const big = encodeCommand(kvSessionCommand(kvPut('k'.repeat(5000), 'v'), sessionId(1), 1));
      const tooBig = await nc.request(
        subject,
        encodeRequest({ kind: 'command', readMode: 'none', command: big }),
        {
          timeout: 5000,
        },
      );
      const decoded = decodeResponse(tooBig.data);
      expect(decoded.ok && decoded.value.kind === 'result').toBe(true);
      if (decoded.ok && decoded.value.kind === 'result') {
        expect(decodeResult(decoded.value.result)).toMatchObject({
          ok: true,
          value: { type: 'error', code: 'invalid' },
        });
      }
    } finally {
      await nc.close();
    }
    await client.put('still/serving', 'yes');
    expect((await client.get('still/serving'))?.value).toBe('yes');
  });

  it("refuses to start on another cluster's data directory", async () => {
    expect(killedId).toBeDefined();
    const id = killedId ?? 0;
    const p = spawnCli(
      nodeArgs({ id, members: MEMBERS, cluster: 'other', nats: nats.url, dataDir: dir }),
      30_000,
    );
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain("belongs to cluster 'itest'");
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const status = await client.clusterStatus();
    const follower = status.find((n) => n.role === 'follower');
    const p = nodes.find((n) => n.id === follower?.id);
    expect(p).toBeDefined();
    p?.proc.kill('SIGTERM');
    expect(await p?.exited).toBe(0);
  });
});

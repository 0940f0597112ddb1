/**
 * Runtime reconfiguration on real node processes, under writes: grow 3 -> 5 (nodes started
 * with `--join`, added with `flexpaxos members add`), change P from 3 to 2 on N = 5, remove a
 * node, transfer leadership, restart everything; every acknowledged write is present once and
 * the history of the shared keys is linearizable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlexPaxosClient } from '@flexpaxos/client';
import type { AdminReply, Entry, NodeStatusReport } from '@flexpaxos/client';
import { HistoryRecorder, checkLinearizability, flexKvModel } from '@flexpaxos/checker';
import type { FlexKvEntry, FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'recfg';
const FIRST = [1, 2, 3];
const KEYS = ['a', 'b', 'c'];
const WORKERS = 4;

let nats: NatsServer;
let dir: string;
const nodes = new Map<number, NodeProcess>();
let admin: FlexPaxosClient;
const clients: FlexPaxosClient[] = [];

const toEntry = (e: Entry): FlexKvEntry => ({
  key: e.key,
  value: e.value,
  version: e.version,
  revision: e.revision,
});

function startNode(id: number, join: boolean): NodeProcess {
  const args = nodeArgs({ id, members: FIRST, cluster: CLUSTER, nats: nats.url, dataDir: dir });
  const i = args.indexOf('--members');
  if (join) args.splice(i, 2, '--join');
  const p = spawnCli(args, 240_000);
  nodes.set(id, p);
  return p;
}

/** Runs `flexpaxos ARGS --json` against the cluster; returns exit code and parsed stdout. */
async function cli(
  args: readonly string[],
): Promise<{ code: number | string; json: unknown; stderr: string }> {
  const p = spawnCli([...args, '--nats', nats.url, '--cluster', CLUSTER, '--json']);
  const code = await p.exited;
  const line = p.stdout().trim().split('\n').pop() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    json = undefined;
  }
  return { code, json, stderr: p.stderr() };
}

async function leaderOf(c: FlexPaxosClient): Promise<NodeStatusReport> {
  return waitFor('a leader', async () => {
    const s = await c.clusterStatus({ waitMs: 300 });
    return s.find((n) => n.role === 'leader');
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-recfg-'));
  for (const id of FIRST) startNode(id, false);
  await Promise.all([...nodes.values()].map((n) => n.started));
  admin = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: CLUSTER,
    timeoutMs: 10_000,
  });
  for (let w = 0; w < WORKERS; w++) {
    clients.push(
      await FlexPaxosClient.connect({ servers: [nats.url], cluster: CLUSTER, timeoutMs: 5000 }),
    );
  }
  await leaderOf(admin);
});

afterAll(async () => {
  await Promise.all([admin, ...clients].map((c) => c?.close()));
  for (const n of nodes.values()) n.proc.kill('SIGKILL');
  await Promise.all([...nodes.values()].map((n) => n.exited));
  await nats?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('runtime reconfiguration on real processes', () => {
  it('grows 3 -> 5, sets P 3 -> 2, removes a node, transfers leadership and restarts, losing nothing', async () => {
    const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
    /** Unique keys whose put was acknowledged: each must be present once (version 1). */
    const acked = new Set<string>();
    let seed = 4242;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65536) % n;
    };
    let running = true;
    const perPhase: number[] = [];
    let okOps = 0;
    const workers = clients.map(async (client, w) => {
      for (let i = 0; running; i++) {
        const kind = rand(4);
        if (kind === 0) {
          const key = `u/${w}/${i}`;
          try {
            const r = await client.put(key, 'x');
            if (r.version === 1) acked.add(key);
            okOps++;
          } catch {
            // unknown outcome: not counted as acknowledged
          }
          continue;
        }
        const key = KEYS[rand(KEYS.length)] ?? 'a';
        if (kind === 1) {
          const value = `${w}-${i}`;
          const id = h.invoke(w, { type: 'put', key, value });
          try {
            const r = await client.put(key, value);
            h.complete(id, { type: 'put', version: r.version, revision: r.revision });
            okOps++;
          } catch {
            h.abandon(id);
          }
        } else {
          const id = h.invoke(w, { type: 'get', key });
          try {
            const r = await client.get(key, { readMode: kind === 2 ? 'lease' : 'quorum' });
            h.complete(id, { type: 'get', kv: r === undefined ? undefined : toEntry(r) });
            okOps++;
          } catch {
            h.abandon(id);
          }
        }
      }
    });
    const phase = async (what: string, step: () => Promise<void>): Promise<void> => {
      const before = okOps;
      const t0 = performance.now();
      await step();
      await new Promise((r) => setTimeout(r, 500));
      const ms = performance.now() - t0;
      perPhase.push(okOps - before);
      console.log(`${what}: ${ms.toFixed(0)} ms, ${okOps - before} ops completed meanwhile`);
    };
    const changes = (async () => {
      await new Promise((r) => setTimeout(r, 500));
      // Grow: node 4 through the CLI, node 5 through the client library.
      await phase('add 4 (CLI)', async () => {
        const n4 = startNode(4, true);
        await n4.started;
        const r = await cli(['members', 'add', '4']);
        expect(r.code, r.stderr).toBe(0);
        expect((r.json as AdminReply).config.quorum.voters).toEqual([1, 2, 3, 4]);
      });
      await phase('add 5', async () => {
        const n5 = startNode(5, true);
        await n5.started;
        const r = await admin.addMember(5);
        expect(r.config.quorum).toMatchObject({ voters: [1, 2, 3, 4, 5], replication: 2 });
      });
      await phase('P=3 (CLI)', async () => {
        const r = await cli(['quorum', 'set', '--replication', '3']);
        expect(r.code, r.stderr).toBe(0);
        expect((r.json as AdminReply).config.quorum).toMatchObject({ replication: 3, election: 3 });
      });
      // A rule broken: refused with the rule, exit 1, nothing changed.
      const bad = await cli(['quorum', 'set', '--replication', '2', '--election', '3']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('P=2 and L=3 do not intersect for N=5: need L + P > N');
      await phase('P=2', async () => {
        const r = await admin.setQuorum({ replication: 2 });
        expect(r.config.quorum).toMatchObject({ replication: 2, election: 4 });
      });
      await phase('remove a follower', async () => {
        const leader = (await leaderOf(admin)).id;
        const victim = [1, 2, 3, 4, 5].find((id) => id !== leader && id !== 5) ?? 1;
        const r = await admin.removeMember(victim);
        expect(r.config.quorum.voters).not.toContain(victim);
        expect(r.config.quorum.voters).toHaveLength(4);
        nodes.get(victim)?.proc.kill('SIGTERM');
        await nodes.get(victim)?.exited;
        nodes.delete(victim);
      });
      await phase('transfer (CLI)', async () => {
        const leader = (await leaderOf(admin)).id;
        const to = [...nodes.keys()].find((id) => id !== leader) ?? 1;
        const r = await cli(['leader', 'transfer', String(to)]);
        expect(r.code, r.stderr).toBe(0);
        expect((r.json as AdminReply).leader).toBe(to);
      });
    })();
    try {
      await changes;
    } finally {
      running = false;
      await Promise.all(workers);
    }
    // Writes kept flowing during every change.
    expect(
      perPhase.every((n) => n > 0),
      `ops per phase ${perPhase.join(',')}`,
    ).toBe(true);

    // Restart everything (SIGTERM, then the same command lines).
    const ids = [...nodes.keys()];
    for (const n of nodes.values()) n.proc.kill('SIGTERM');
    await Promise.all([...nodes.values()].map((n) => n.exited));
    for (const id of ids) startNode(id, id > 3);
    await Promise.all([...nodes.values()].map((n) => n.started));
    await leaderOf(admin);
    const members = await admin.clusterStatus({ waitMs: 500 });
    const config = members.find((n) => n.role === 'leader')?.config;
    // N = 4 after the removal: L shrank with N (it was the smallest, N - P + 1, before).
    expect(config?.quorum).toMatchObject({ replication: 2, election: 3 });
    expect(config?.quorum.voters).toEqual(ids.sort((a, b) => a - b));

    // Every acknowledged unique write is there, once.
    const all = await admin.range('u/', { readMode: 'quorum', limit: 10_000 });
    const present = new Map(all.entries.map((e) => [e.key, e.version]));
    const missing = [...acked].filter((k) => !present.has(k));
    expect(missing).toEqual([]);
    expect([...acked].every((k) => present.get(k) === 1)).toBe(true);
    console.log(`acknowledged unique writes: ${acked.size}, all present once`);

    const ops = h.operations();
    expect(ops.filter((o) => o.return !== undefined).length).toBeGreaterThan(50);
    const result = checkLinearizability(flexKvModel, ops, {
      timeBudgetMs: 30_000,
      now: () => performance.now(),
    });
    expect(result.verdict).toBe('linearizable');
  }, 180_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlexPaxosClient } from '@flexpaxos/client';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'faults';
const MEMBERS = [1, 2, 3];

let nats: NatsServer;
let dir: string;
const nodes = new Map<number, NodeProcess>();
let client: FlexPaxosClient;

function start(id: number): NodeProcess {
  const p = spawnCli(
    nodeArgs({ id, members: MEMBERS, cluster: CLUSTER, nats: nats.url, dataDir: dir }),
  );
  nodes.set(id, p);
  return p;
}

async function waitLeader(): Promise<void> {
  await waitFor('a leader', async () => {
    const s = await client.clusterStatus({ waitMs: 300 });
    return s.some((n) => n.role === 'leader') ? true : undefined;
  });
}

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-faults-'));
  await Promise.all(MEMBERS.map((id) => start(id).started));
  client = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: CLUSTER,
    timeoutMs: 15_000,
  });
  await waitLeader();
});

afterAll(async () => {
  await client?.close();
  for (const n of nodes.values()) n.proc.kill('SIGKILL');
  await Promise.all([...nodes.values()].map((n) => n.exited));
  await nats?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('flexpaxos node under faults', () => {
  it('loses no acknowledged write when every node is killed -9 during writes', async () => {
    const acked = new Map<string, string>();
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const key = `kill/${w}/${i}`;
        try {
          await client.put(key, `v${i}`, { timeoutMs: 2000 });
          acked.set(key, `v${i}`);
        } catch {
          return; // the cluster is gone: this write's outcome is unknown
        }
      }
    });
    await waitFor('some acknowledged writes', () =>
      Promise.resolve(acked.size >= 40 ? true : undefined),
    );
    for (const n of nodes.values()) n.proc.kill('SIGKILL');
    stop = true;
    await Promise.all([...nodes.values()].map((n) => n.exited));
    await Promise.all(writers);
    await Promise.all(MEMBERS.map((id) => start(id).started));
    await waitLeader();
    const r = await client.range('kill/', { limit: 10_000, readMode: 'quorum' });
    const got = new Map(r.entries.map((e) => [e.key, e.value]));
    for (const [k, v] of acked) expect(got.get(k), k).toBe(v);
    // Exactly once: no key was written twice.
    expect(r.entries.every((e) => e.version === 1)).toBe(true);
  });

  it('recovers by itself after the NATS server restarts', async () => {
    await client.put('nats/before', 'x');
    await nats.restart({ downMs: 500 });
    const t0 = performance.now();
    await waitFor('a write after the NATS restart', async () => {
      await client.put('nats/after', 'y', { timeoutMs: 2000 });
      return true;
    });
    console.log(`write acknowledged ${Math.round(performance.now() - t0)} ms after NATS came back`);
    expect((await client.get('nats/before'))?.value).toBe('x');
    expect((await client.get('nats/after'))?.value).toBe('y');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlexPaxosClient } from '@flexpaxos/client';
import { startNatsCluster } from '@flexpaxos/transport-nats/testing';
import type { NatsCluster } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'natsmesh';
const MEMBERS = [1, 2, 3];

let mesh: NatsCluster;
let dir: string;
let nodes: NodeProcess[] = [];
let client: FlexPaxosClient;

beforeAll(async () => {
  mesh = await startNatsCluster(3);
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-mesh-'));
  // Each node connects to a different NATS server first (and lists the others to fail over).
  nodes = MEMBERS.map((id, i) => {
    const urls = [...mesh.urls.slice(i), ...mesh.urls.slice(0, i)];
    return spawnCli(
      nodeArgs({ id, members: MEMBERS, cluster: CLUSTER, nats: urls.join(','), dataDir: dir }),
    );
  });
  await Promise.all(nodes.map((n) => n.started));
  const last = mesh.urls[mesh.urls.length - 1] ?? '';
  client = await FlexPaxosClient.connect({ servers: [last], cluster: CLUSTER, timeoutMs: 10_000 });
  await waitFor('a leader', async () => {
    const s = await client.clusterStatus({ waitMs: 300 });
    return s.length === 3 && s.some((n) => n.role === 'leader') ? true : undefined;
  });
});

afterAll(async () => {
  await client?.close();
  for (const n of nodes) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await mesh?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('flexpaxos nodes on a cluster of NATS servers', () => {
  it('elects a leader and serves writes and reads across the routes', async () => {
    const p = await client.put('mesh/k', 'v');
    expect(p.version).toBe(1);
    expect(await client.cas('mesh/k', 1, 'w')).toMatchObject({ succeeded: true, version: 2 });
    expect((await client.get('mesh/k', { readMode: 'quorum' }))?.value).toBe('w');
    const all = await client.clusterStatus();
    expect(new Set(all.map((n) => n.leader)).size).toBe(1);
  });
});

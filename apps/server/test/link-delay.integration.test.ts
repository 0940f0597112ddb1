import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlexPaxosClient } from '@flexpaxos/client';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'delay';
const MEMBERS = [1, 2, 3];
const DELAY_MS = 40;

let nats: NatsServer;
let dir: string;
let nodes: NodeProcess[] = [];
let client: FlexPaxosClient;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-delay-'));
  nodes = MEMBERS.map((id) =>
    spawnCli(
      nodeArgs({
        id,
        members: MEMBERS,
        cluster: CLUSTER,
        nats: nats.url,
        dataDir: dir,
        // Every peer link delayed; node 1's link to node 2 through the per-peer override.
        extra:
          id === 1
            ? ['--link-delay-ms', String(DELAY_MS), '--link-delay-to', `2:${DELAY_MS}`]
            : ['--link-delay-ms', String(DELAY_MS)],
      }),
    ),
  );
  await Promise.all(nodes.map((n) => n.started));
  client = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: CLUSTER,
    timeoutMs: 10_000,
  });
  await waitFor('a leader', async () => {
    const all = await client.clusterStatus({ waitMs: 300 });
    return all.some((n) => n.role === 'leader') ? true : undefined;
  });
});

afterAll(async () => {
  await client?.close();
  for (const n of nodes) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await nats?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('flexpaxos node --link-delay-ms (real processes, real nats-server)', () => {
  it('delays the peer messages of a write: Accept out and Accepted back, one delay each', async () => {
    await client.put('warm', 'up');
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await client.put(`k${i}`, 'v');
      const ms = performance.now() - t0;
      expect(r.version).toBe(1);
      // A lower bound only (two one-way link delays); no upper bound is asserted.
      expect(ms).toBeGreaterThanOrEqual(2 * DELAY_MS - 1);
    }
    expect(await client.get('k2')).toMatchObject({ value: 'v' });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import {
  FlexPaxosClient,
  decodeResponse,
  encodeRequest,
  nodeClientSubject,
} from '@flexpaxos/client';
import { bytesToUtf8, decodeResult, encodeCommand, kvCommand, kvGet } from '@flexpaxos/kv';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'snap';
const MEMBERS = [1, 2, 3];
const EXTRA = ['--snapshot-interval-slots', '10'];

let nats: NatsServer;
let dir: string;
const nodes = new Map<number, NodeProcess>();
let client: FlexPaxosClient;

function start(id: number): NodeProcess {
  const p = spawnCli(
    nodeArgs({
      id,
      members: MEMBERS,
      cluster: CLUSTER,
      nats: nats.url,
      dataDir: dir,
      extra: EXTRA,
    }),
  );
  nodes.set(id, p);
  return p;
}

async function metric(http: string | null, name: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? NaN);
}

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-snap-'));
  await Promise.all(MEMBERS.map((id) => start(id).started));
  client = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: CLUSTER,
    timeoutMs: 10_000,
  });
  await waitFor('a leader', async () => {
    const s = await client.clusterStatus({ waitMs: 300 });
    return s.some((n) => n.role === 'leader') ? true : undefined;
  });
});

afterAll(async () => {
  await client?.close();
  for (const n of nodes.values()) n.proc.kill('SIGKILL');
  await Promise.all([...nodes.values()].map((n) => n.exited));
  await nats?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('FlexPaxosNode snapshots', () => {
  it('compacts the log and catches up a follower that was down by snapshot', async () => {
    const leader = (await client.clusterStatus()).find((n) => n.role === 'leader');
    const laggard = MEMBERS.find((m) => m !== leader?.id) ?? 0;
    const victim = nodes.get(laggard);
    victim?.proc.kill('SIGKILL');
    await victim?.exited;
    for (let i = 0; i < 60; i++) await client.put(`snap/${i}`, `v${i}`);
    await waitFor('a compaction on the leader', async () =>
      (await metric(leader?.http ?? null, 'flexpaxos_snapshots_taken_total')) >= 1
        ? true
        : undefined,
    );
    const committed = (await client.status(leader?.id)).committed;

    const restarted = start(laggard);
    const { http } = await restarted.started;
    await waitFor('the laggard catching up', async () => {
      const s = await client.status(laggard);
      return s.applied >= committed ? true : undefined;
    });
    expect(await metric(http, 'flexpaxos_snapshots_installed_total')).toBeGreaterThanOrEqual(1);

    // A stale read served by the laggard itself sees the data it got through the snapshot.
    const nc = await connect({ servers: [nats.url] });
    try {
      for (const k of ['snap/0', 'snap/59']) {
        const reply = await nc.request(
          nodeClientSubject(CLUSTER, laggard),
          encodeRequest({
            kind: 'command',
            readMode: 'stale',
            command: encodeCommand(kvCommand(kvGet(k))),
          }),
          { timeout: 5000 },
        );
        const r = decodeResponse(reply.data);
        if (!r.ok || r.value.kind !== 'result')
          throw new Error(`unexpected reply ${JSON.stringify(r)}`);
        const result = decodeResult(r.value.result);
        expect(result.ok && result.value.type === 'get' && result.value.kv !== undefined).toBe(
          true,
        );
        if (result.ok && result.value.type === 'get' && result.value.kv !== undefined) {
          expect(bytesToUtf8(result.value.kv.value)).toBe(`v${k.slice(5)}`);
        }
      }
    } finally {
      await nc.close();
    }
    // And the cluster keeps serving writes with the laggard back.
    await client.put('snap/after', 'x');
  });
});

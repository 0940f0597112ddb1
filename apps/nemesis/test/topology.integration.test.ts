import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOWHERE, NatsTopology } from '../src/topology.js';

let dir: string;
let topology: NatsTopology;
const conns = new Map<number, NatsConnection>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Subscribes on server `on`, publishes one message on each of `from`, returns who got through. */
async function reaches(on: number, from: readonly number[], waitMs = 1500): Promise<number[]> {
  const sub = conns.get(on)!;
  const subject = `probe.${on}.${Math.random().toString(36).slice(2)}`;
  const got = new Set<number>();
  const s = sub.subscribe(subject, {
    callback: (_e, m) => {
      got.add(Number(m.string()));
    },
  });
  await sub.flush();
  // Interest travels over the routes: give it a moment, then publish repeatedly.
  const deadline = performance.now() + waitMs;
  while (performance.now() < deadline && got.size < from.length) {
    for (const f of from) conns.get(f)!.publish(subject, String(f));
    await sleep(100);
  }
  s.unsubscribe();
  return [...got].sort((a, b) => a - b);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-topology-'));
  topology = await NatsTopology.start({ ids: [1, 2, 3], logDir: dir });
  for (const id of topology.ids) {
    conns.set(id, await connect({ servers: topology.url(id), ignoreClusterUpdates: true }));
  }
});

afterAll(async () => {
  for (const c of conns.values()) await c.close();
  await topology?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('NatsTopology', () => {
  it('routes every server to every other through the proxies', async () => {
    for (const id of topology.ids) {
      expect(await topology.routedPeers(id)).toEqual(topology.ids.filter((o) => o !== id));
    }
    expect(topology.proxyCounts().accepted).toBeGreaterThanOrEqual(3);
    expect(await reaches(2, [1, 3])).toEqual([1, 3]);
  });

  it('isolates a cut server and reconnects it after heal', async () => {
    topology.setCuts([
      [1, 2],
      [1, 3],
    ]);
    // Longer than nats-server's route reconnect interval (1 s): retries are refused too.
    await sleep(2500);
    expect(await topology.routedPeers(1)).toEqual([]);
    expect(await reaches(2, [1, 3])).toEqual([3]);
    expect(await reaches(1, [2, 3])).toEqual([]);
    topology.healAll();
    await topology.waitForRoutes(10_000);
    expect(await reaches(2, [1, 3])).toEqual([1, 3]);
    expect(await reaches(1, [2, 3])).toEqual([2, 3]);
  });

  it('keeps a bridge cut when routes gossip the cut server to the other side', async () => {
    topology.setCuts([[1, 3]]);
    await sleep(1500);
    // Re-register route 1-2: server 2 then tells server 3 where server 1 is (an implicit route).
    topology.setCuts([
      [1, 2],
      [1, 3],
    ]);
    await sleep(1500);
    topology.setCuts([[1, 3]]);
    await topology.waitForRoutes(10_000);
    await sleep(1500);
    expect(await topology.routedPeers(3)).toEqual([2]);
    expect(await reaches(3, [1, 2])).toEqual([2]);
    expect(await reaches(2, [1, 3])).toEqual([1, 3]);
    // The gossiped address was tried and went nowhere.
    const logs = topology.ids.map((id) => readFileSync(join(dir, `nats-${id}.log`), 'utf8'));
    expect(logs.join('\n')).toContain(NOWHERE);
    topology.healAll();
    await topology.waitForRoutes(10_000);
    expect(await reaches(3, [1, 2])).toEqual([1, 2]);
  });
});

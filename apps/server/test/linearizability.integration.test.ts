import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlexPaxosClient } from '@flexpaxos/client';
import type { Entry } from '@flexpaxos/client';
import { HistoryRecorder, checkLinearizability, flexKvModel } from '@flexpaxos/checker';
import type { FlexKvEntry, FlexKvInput, FlexKvOutput } from '@flexpaxos/checker';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';
import type { ServerStatusReport } from '../src/reads.js';
import { nodeArgs, spawnCli, waitFor } from './harness.js';
import type { NodeProcess } from './harness.js';

const CLUSTER = 'linz';
const MEMBERS = [1, 2, 3];
const KEYS = ['a', 'b', 'c'];
const WORKERS = 6;

let nats: NatsServer;
let dir: string;
let nodes: NodeProcess[] = [];
const clients: FlexPaxosClient[] = [];

const toEntry = (e: Entry): FlexKvEntry => ({
  key: e.key,
  value: e.value,
  version: e.version,
  revision: e.revision,
});

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'flexpaxos-linz-'));
  nodes = MEMBERS.map((id) =>
    spawnCli(nodeArgs({ id, members: MEMBERS, cluster: CLUSTER, nats: nats.url, dataDir: dir })),
  );
  await Promise.all(nodes.map((n) => n.started));
  for (let w = 0; w < WORKERS; w++) {
    clients.push(
      await FlexPaxosClient.connect({ servers: [nats.url], cluster: CLUSTER, timeoutMs: 3000 }),
    );
  }
  const c = clients[0];
  await waitFor('a leader', async () => {
    const s = await c?.clusterStatus({ waitMs: 300 });
    return s?.some((n) => n.role === 'leader') === true ? true : undefined;
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const n of nodes) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await nats?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('FlexPaxos cluster history', () => {
  it('is linearizable across a kill -9 of the leader (lease and quorum reads, puts, cas)', async () => {
    const h = new HistoryRecorder<FlexKvInput, FlexKvOutput>();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // The high bits: the low bits of this LCG have tiny periods (seed % 4 cycles with
      // period 4, which made every op a put or a cas and no read ever ran).
      return Math.floor(seed / 65536) % n;
    };
    const endAt = performance.now() + 4000;
    let killed = false;
    const workers = clients.map(async (client, w) => {
      for (let i = 0; performance.now() < endAt; i++) {
        const key = KEYS[rand(KEYS.length)] ?? 'a';
        const kind = rand(4);
        const value = `${w}-${i}`;
        try {
          if (kind === 0) {
            const id = h.invoke(w, { type: 'put', key, value });
            try {
              const r = await client.put(key, value);
              h.complete(id, { type: 'put', version: r.version, revision: r.revision });
            } catch {
              h.abandon(id);
            }
          } else if (kind === 1) {
            const expectedVersion = rand(4);
            const id = h.invoke(w, { type: 'cas', key, expectedVersion, value });
            try {
              const r = await client.cas(key, expectedVersion, value);
              h.complete(id, { type: 'cas', ...r });
            } catch {
              h.abandon(id);
            }
          } else {
            const id = h.invoke(w, { type: 'get', key });
            try {
              const r = await client.get(key, { readMode: kind === 2 ? 'lease' : 'quorum' });
              h.complete(id, { type: 'get', kv: r === undefined ? undefined : toEntry(r) });
            } catch {
              h.abandon(id);
            }
          }
        } catch (err) {
          throw new Error(`worker ${w}: ${String(err)}`);
        }
      }
    });
    const killer = (async () => {
      await new Promise((r) => setTimeout(r, 1200));
      const status = await clients[0]?.clusterStatus({ waitMs: 300 });
      const leader = status?.find((n) => n.role === 'leader');
      const victim = nodes.find((n) => n.id === leader?.id);
      victim?.proc.kill('SIGKILL');
      killed = victim !== undefined;
    })();
    await Promise.all([...workers, killer]);
    expect(killed).toBe(true);
    const ops = h.operations();
    const completed = ops.filter((o) => o.return !== undefined).length;
    console.log(`history: ${ops.length} operations, ${completed} completed`);
    expect(completed).toBeGreaterThan(20);
    // The surviving nodes (the new leader among them) served reads by lease and by quorum
    // round, not only through fallbacks.
    const survivors = (await clients[0]?.clusterStatus({ waitMs: 300 })) as
      ServerStatusReport[] | undefined;
    const served = (survivors ?? []).reduce(
      (a, n) => ({ lease: a.lease + n.reads.lease, quorum: a.quorum + n.reads.quorum }),
      { lease: 0, quorum: 0 },
    );
    const kinds = ops.reduce<Record<string, number>>((a, o) => {
      a[o.input.type] = (a[o.input.type] ?? 0) + 1;
      return a;
    }, {});
    console.log(
      `operations by type: ${JSON.stringify(kinds)}; reads served by the survivors: ${JSON.stringify(served)}`,
    );
    expect(served.lease).toBeGreaterThan(0);
    expect(served.quorum).toBeGreaterThan(0);
    const result = checkLinearizability(flexKvModel, ops, {
      timeBudgetMs: 30_000,
      now: () => performance.now(),
    });
    expect(result.verdict).toBe('linearizable');
  });
});

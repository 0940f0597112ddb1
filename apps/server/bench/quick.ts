/**
 * Quick closed-loop measurement: nats-server + 3 node processes (fresh data dirs), C concurrent
 * client loops in this process for D seconds of puts (100-byte values), then D seconds of
 * reads in a given mode. Prints throughput and p50/p99 latency. Not the full benchmark
 * (apps/bench): one point, one client process.
 *
 *   pnpm exec tsx --conditions=source apps/server/bench/quick.ts [concurrency=16] [seconds=5] [readMode=lease]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlexPaxosClient } from '@flexpaxos/client';
import type { ReadMode } from '@flexpaxos/client';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import { nodeArgs, spawnCli, waitFor } from '../test/harness.js';

const concurrency = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 5);
const readMode = (process.argv[4] ?? 'lease') as ReadMode;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function phase(
  name: string,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<void> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        await op(w, i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  console.log(
    `${name}: ${concurrency} clients, ${Math.round(lat.length / seconds)} ops/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms (${lat.length} ops)`,
  );
}

const nats = await startNatsServer();
const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-bench-'));
const members = [1, 2, 3];
const nodes = members.map((id) =>
  spawnCli(nodeArgs({ id, members, cluster: 'bench', nats: nats.url, dataDir: dir }), 600_000),
);
try {
  await Promise.all(nodes.map((n) => n.started));
  const client = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: 'bench',
    timeoutMs: 10_000,
  });
  await waitFor('leader', async () => {
    const s = await client.clusterStatus({ waitMs: 300 });
    return s.some((n) => n.role === 'leader') ? true : undefined;
  });
  const value = 'x'.repeat(100);
  await phase('put', (w, i) => client.put(`k/${w}/${i % 100}`, value));
  await phase(`get (${readMode})`, (w, i) => client.get(`k/${w}/${i % 100}`, { readMode }));
  // Where the time went, from the leader's own metrics.
  const leader = (await client.clusterStatus()).find((n) => n.role === 'leader');
  if (leader?.http) {
    const text = await (await fetch(`${leader.http}/metrics`)).text();
    const m = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const persists = m('flexpaxos_persist_seconds_count');
    console.log(
      `leader ${leader.id}: ${m('flexpaxos_readies_total')} readies, ${persists} awaited persists ` +
        `(mean ${((m('flexpaxos_persist_seconds_sum') / persists) * 1000).toFixed(2)} ms), ` +
        `${m('flexpaxos_synced_writes_total')} fsyncs, ${m('flexpaxos_slots_applied_total')} slots, ` +
        `${m('flexpaxos_commands_applied_total')} commands`,
    );
  }
  await client.close();
} finally {
  for (const n of nodes) n.proc.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.exited));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Quick closed-loop measurement: nats-server + 3 node processes (fresh data dirs), C concurrent
 * client loops in this process for D seconds of puts (100-byte values), then D seconds of
 * reads in a given mode. Prints throughput and p50/p99 latency. Not the full benchmark
 * (apps/bench): one point, one client process.
 *
 *   pnpm exec tsx --conditions=source apps/server/bench/quick.ts [concurrency=16] [seconds=5] [readMode=lease|quorum|stale|none]
 *
 * `QUICK_CPU_PROF=DIR` CPU-profiles the nodes (preload `cpu-prof.mjs`, the inspector's sampling
 * profiler at 200 us) and stops them with SIGTERM so each writes `DIR/<pid>.cpuprofile`; the
 * leader's pid is printed.
 * `FLEXPAXOS_LINK_DELAY_MS` / `FLEXPAXOS_LINK_DELAY_TO` reach the nodes through the environment.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const which = process.env['QUICK_CPU'] ?? 'all'; // 'user' or 'sys' to split the figure
    const user = Number(fields[11]);
    const sys = Number(fields[12]);
    return (which === 'user' ? user : which === 'sys' ? sys : user + sys) / 100; // USER_HZ = 100
  } catch {
    return NaN;
  }
}

/** CPU seconds of every process of the run: the nodes (by id), nats-server and this client. */
function cpuNow(pids: ReadonlyMap<number, number>, natsPid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, pid] of pids) out.set(`node ${id}`, cpuSeconds(pid));
  out.set('nats-server', cpuSeconds(natsPid));
  const self = process.cpuUsage();
  const which = process.env['QUICK_CPU'] ?? 'all';
  const selfUs =
    which === 'user' ? self.user : which === 'sys' ? self.system : self.user + self.system;
  out.set('client', selfUs / 1e6);
  return out;
}

/** Prints CPU microseconds per operation by process between two `cpuNow` readings. */
function printCpu(
  before: Map<string, number>,
  after: Map<string, number>,
  ops: number,
  leaderId: number | undefined,
): void {
  let total = 0;
  const parts: string[] = [];
  for (const [name, t] of after) {
    const us = ((t - (before.get(name) ?? NaN)) / ops) * 1e6;
    total += us;
    const label = name === `node ${leaderId}` ? `${name} (leader)` : name;
    parts.push(`${label} ${us.toFixed(0)}`);
  }
  console.log(
    `  CPU per op (us): ${parts.join(', ')}; total ${total.toFixed(0)} us = at most ${Math.round(2e6 / total)} ops/s on 2 cores`,
  );
}

async function phase(
  name: string,
  op: (worker: number, i: number) => Promise<unknown>,
): Promise<number> {
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
  return lat.length;
}

const profileDir = process.env['QUICK_CPU_PROF'];
const nats = await startNatsServer();
const dir = mkdtempSync(join(tmpdir(), 'flexpaxos-bench-'));
const members = [1, 2, 3];
if (profileDir !== undefined && profileDir !== '') {
  // NODE_OPTIONS may not carry --cpu-prof: a preload starts the inspector's profiler instead.
  const preload = new URL('./cpu-prof.mjs', import.meta.url).href;
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${preload}`.trim();
}
const nodes = members.map((id) =>
  spawnCli(nodeArgs({ id, members, cluster: 'bench', nats: nats.url, dataDir: dir }), 600_000),
);
if (profileDir !== undefined) delete process.env['NODE_OPTIONS']; // QUICK_CPU_PROF stays: the preload reads it
try {
  const started = await Promise.all(nodes.map((n) => n.started));
  const pids = new Map(started.map((s, i) => [members[i] ?? 0, s.pid]));
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
  const leaderNow = async (): Promise<number | undefined> =>
    (await client.clusterStatus()).find((n) => n.role === 'leader')?.id;
  const natsPid = nats.pid ?? 0;
  let cpu0 = cpuNow(pids, natsPid);
  const puts = await phase('put', (w, i) => client.put(`k/${w}/${i % 100}`, value));
  printCpu(cpu0, cpuNow(pids, natsPid), puts, await leaderNow());
  if ((readMode as string) !== 'none') {
    cpu0 = cpuNow(pids, natsPid);
    const gets = await phase(`get (${readMode})`, (w, i) =>
      client.get(`k/${w}/${i % 100}`, { readMode }),
    );
    printCpu(cpu0, cpuNow(pids, natsPid), gets, await leaderNow());
  }
  // Where the time went, from the leader's own metrics.
  const leader = (await client.clusterStatus()).find((n) => n.role === 'leader');
  if (leader?.http) {
    const text = await (await fetch(`${leader.http}/metrics`)).text();
    const m = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const persists = m('flexpaxos_persist_seconds_count');
    console.log(
      `leader ${leader.id} (pid ${leader.pid}): ${m('flexpaxos_readies_total')} readies, ${persists} awaited persists ` +
        `(mean ${((m('flexpaxos_persist_seconds_sum') / persists) * 1000).toFixed(2)} ms), ` +
        `${m('flexpaxos_synced_writes_total')} fsyncs (${m('flexpaxos_synced_write_seconds_total').toFixed(2)} s), ` +
        `${m('flexpaxos_unsynced_writes_total')} unsynced writes (${m('flexpaxos_unsynced_write_seconds_total').toFixed(2)} s), ` +
        `${m('flexpaxos_slots_applied_total')} slots, ` +
        `${m('flexpaxos_commands_applied_total')} commands`,
    );
  }
  await client.close();
} finally {
  for (const n of nodes) n.proc.kill(profileDir === undefined ? 'SIGKILL' : 'SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

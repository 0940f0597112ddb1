// `pnpm bench --scenario kv` end to end, as a user runs it (the CLI from the sources through
// tsx): a real nats-server, 3 flexpaxos nodes on RocksDB, the client and watcher worker
// processes; tiny durations and 1 and 10 watchers. Checks every figure of the JSON and that
// no process the benchmark started outlives it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { KvFanout, KvResult, KvTxn } from '../src/index.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'kv-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** pid -> [ppid, pgrp] of every process now. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    table.set(Number(e), [f[1] ?? 0, f[2] ?? 0]); // fields 4 (ppid) and 5 (pgrp)
  }
  return table;
}

/** The descendants of `root`: its children, their process groups, and their children. */
function descendants(root: number): number[] {
  const table = processTable();
  const found = new Set<number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, [ppid, pgrp]] of table) {
      if (found.has(pid)) continue;
      if (ppid === root || found.has(ppid) || found.has(pgrp)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** The process still runs: it exists and is not a zombie (dead, waiting to be reaped by init). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function describeProcess(pid: number): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 200)}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function expectPercentiles(p50: number | null, p99: number | null): void {
  expect(p50).not.toBeNull();
  expect(p50!).toBeGreaterThan(0);
  expect(p50!).toBeLessThanOrEqual(p99!);
}

describe('pnpm bench --scenario kv (real processes)', () => {
  it('measures fan-out, keep-alives and transactions, every watcher gets every put once, in order, and nothing is left running', async () => {
    const json = join(out, 'kv.json');
    const before = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('flexpaxos-sweep-')));
    const cli = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'src/cli.ts',
        '--scenario',
        'kv',
        '--watchers',
        '1,10',
        '--warmup',
        '0.5',
        '--duration',
        '1.5',
        '--json',
        json,
      ],
      { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const seen = new Map<number, string>();
    const poll = setInterval(() => {
      for (const pid of descendants(cli.pid ?? -1)) {
        if (!seen.has(pid)) seen.set(pid, describeProcess(pid));
      }
    }, 200);
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    clearInterval(poll);
    expect(code, stderr).toBe(0);

    const { meta, kv } = JSON.parse(readFileSync(json, 'utf8')) as {
      meta: Record<string, unknown>;
      kv: KvResult;
    };
    expect(meta['command']).toContain('--scenario kv');
    expect([kv.nodes, kv.replication, kv.election, kv.clients, kv.valueSizeBytes]).toEqual([
      3, 2, 2, 64, 100,
    ]);
    expect(kv.watcherPlacement).toContain('separate');
    expect(kv.lagMeasuredFrom).toContain('sent');

    // Fan-out: the writer alone, then with 1 and 10 watchers.
    expect(kv.fanout.map((f) => f.watchers)).toEqual([0, 1, 10]);
    for (const f of kv.fanout) {
      expect(f.writesPerSec).toBeGreaterThan(0);
      expect(f.writesVsNoWatchers!).toBeGreaterThan(0);
      expectPercentiles(f.writeP50Ms, f.writeP99Ms);
      expect(f.writeErrors).toBe(0);
      expect(f.cpu.cpuUsPerOp!).toBeGreaterThan(0);
    }
    const watched = kv.fanout.filter((f) => f.watchers > 0);
    for (const f of watched as (KvFanout & { integrity: NonNullable<KvFanout['integrity']> })[]) {
      expect(f.eventsInWindow).toBeGreaterThan(0);
      expect(f.eventsPerSec!).toBeGreaterThan(0);
      expect(f.eventsPerSecPerWatcher!).toBeCloseTo(f.eventsPerSec! / f.watchers, -1);
      expect(f.deliveredShare!).toBeGreaterThan(0);
      expect(f.cpuUsPerEvent!).toBeGreaterThan(0);
      expectPercentiles(f.lagP50Ms, f.lagP99Ms);
      const i = f.integrity;
      expect(i.watchers).toBe(f.watchers);
      expect(i.minEventsPerWatcher).toBeGreaterThan(0);
      // Every watcher saw every acknowledged put, each once, in revision order.
      expect(i.complete).toBe(f.watchers);
      expect(i.minEventsPerWatcher).toBe(i.maxEventsPerWatcher);
      expect([i.gaps, i.duplicates, i.unexpected, i.revisionRegressions]).toEqual([0, 0, 0, 0]);
      expect([i.missingAtEnd, i.compacted, i.failed]).toEqual([0, 0, 0]);
      expect(Object.values(i.byNode).reduce((s, n) => s + n, 0)).toBe(f.watchers);
      expect(f.nodeCounters!.created).toBeGreaterThanOrEqual(f.watchers);
      expect(f.nodeCounters!.eventsSent).toBeGreaterThanOrEqual(i.events);
    }
    // 10 watchers are spread over the three nodes.
    expect(Object.keys(watched[1]!.integrity!.byNode).sort()).toEqual(['1', '2', '3']);

    // Keep-alives.
    const k = kv.keepalive;
    expect([k.leases, k.callers, k.errors]).toEqual([100, 64, 0]);
    expect(k.keepalivesPerSec).toBeGreaterThan(0);
    expectPercentiles(k.p50Ms, k.p99Ms);
    expect(k.cpuUsPerKeepalive!).toBeGreaterThan(0);
    expect(k.cpuUsPerKeepaliveByRole!['nodes']).toBeGreaterThan(0);
    expect(k.cpu.processes.map((p) => p.name)).toEqual([
      'node 1',
      'node 2',
      'node 3',
      'nats',
      'kv client',
      'kv watchers',
    ]);

    // Transactions: on its own key every compare holds; on 4 shared keys some fail.
    const txn = (t: KvTxn, clients: number, keys: number): void => {
      expect([t.clients, t.keys, t.errors]).toEqual([clients, keys, 0]);
      expect(t.txnsPerSec).toBeGreaterThan(0);
      expect(t.committedPerSec).toBeGreaterThan(0);
      expect(t.committedPerSec).toBeLessThanOrEqual(t.txnsPerSec);
      expectPercentiles(t.p50Ms, t.p99Ms);
    };
    txn(kv.txnOwnKeys, 64, 64);
    expect(kv.txnOwnKeys.successRatio).toBe(1);
    txn(kv.txnHotKeys, 16, 4);
    expect(kv.txnHotKeys.successRatio!).toBeGreaterThan(0);
    expect(kv.txnHotKeys.successRatio!).toBeLessThan(1);

    // The table on stdout.
    expect(stdout).toContain('| watchers | writes/s |');
    expect(stdout).toContain('| leases | callers | keep-alives/s |');
    expect(stdout).toContain('| clients | keys | txns/s |');

    // nats-server, 3 nodes under their guards and the two worker processes ran; none is left.
    const commands = [...seen.values()];
    const count = (re: RegExp): number => commands.filter((c) => re.test(c)).length;
    expect(count(/^\d+ \S*nats-server -a 127\.0\.0\.1/)).toBe(1);
    expect(count(/^\d+ \S*node .*apps\/server\/src\/cli\.ts node --id/)).toBe(3);
    expect(count(/^\d+ \S*node .*kv-worker\.ts /)).toBe(2);
    expect([...seen.keys()].filter(running).map(describeProcess)).toEqual([]);
    const left = readdirSync(tmpdir()).filter(
      (d) => d.startsWith('flexpaxos-sweep-') && !before.has(d),
    );
    expect(left).toEqual([]);
  }, 180_000);
});

import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { NO_DELAY, RECORD_KEYS, liveChildPids, runPoint } from '../src/index.js';
import type { PointPhase } from '../src/index.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runPoint (real nats-server, 3 flexpaxos nodes on RocksDB, a client process)', () => {
  it('measures a tiny point end to end, times failover and leaves no process or directory behind', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('flexpaxos-sweep-')));
    const phases: PointPhase[] = [];
    const pids: number[] = [];
    const r = await runPoint(
      { system: 'flexpaxos', nodes: 3, replication: 2, election: 2, clients: 1, delay: NO_DELAY },
      {
        warmupS: 0.5,
        durationS: 2,
        valueSizeBytes: 100,
        readRatio: 0.5,
        readMode: 'lease',
        thrifty: false,
        zoneDelay: undefined,
        failover: true,
        clientProcs: undefined,
        keysPerClient: 10,
        failoverWaitMs: 10_000,
      },
      (p) => {
        phases.push(p);
        if (p === 'measuring') pids.push(...liveChildPids());
      },
    );
    expect(Object.keys(r)).toEqual(RECORD_KEYS);
    expect([r.nodes, r.replication, r.election, r.clients, r.clientProcesses]).toEqual([
      3, 2, 2, 1, 1,
    ]);
    expect(r.opsPerSec).toBeGreaterThan(0);
    expect(r.writeOpsPerSec).toBeGreaterThan(0);
    expect(r.readOpsPerSec).toBeGreaterThan(0);
    expect(r.opsPerSec).toBeCloseTo(r.writeOpsPerSec + (r.readOpsPerSec ?? 0), 0);
    expect(Number.isInteger(r.errors) && r.errors >= 0).toBe(true);
    expect(r.durationS).toBeGreaterThan(1.5);
    expect(r.p50Ms).not.toBeNull();
    expect(r.p50Ms!).toBeLessThanOrEqual(r.p99Ms!);
    expect(r.p99Ms!).toBeLessThanOrEqual(r.p999Ms!);
    expect([1, 2, 3]).toContain(r.leader);
    expect(r.failoverMs).not.toBeNull();
    expect(r.failoverMs!).toBeGreaterThan(0);
    expect(phases).toEqual(['starting', 'warmup', 'measuring', 'failover', 'stopping']);
    // CPU of every process involved, per acknowledged write.
    expect(r.system).toBe('flexpaxos');
    expect(r.systemVersion).toMatch(/^flexpaxos \d/);
    expect(r.cpuProcesses.map((p) => p.name)).toEqual([
      'node 1',
      'node 2',
      'node 3',
      'nats',
      'client 0',
    ]);
    const byRole = r.cpuUsPerWriteByRole!;
    expect(byRole.nodes).toBeGreaterThan(0);
    expect(byRole.broker).toBeGreaterThan(0);
    expect(byRole.clients).toBeGreaterThan(0);
    expect(r.cpuUsPerWrite!).toBeCloseTo(byRole.nodes + byRole.broker + byRole.clients, -1);
    expect(r.cpuCoresBusy!).toBeGreaterThan(0);
    // nats-server, 3 node guards and a client process were running; none is now.
    expect(pids.length).toBe(5);
    expect(liveChildPids()).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
    const after = readdirSync(tmpdir()).filter(
      (d) => d.startsWith('flexpaxos-sweep-') && !before.has(d),
    );
    expect(after).toEqual([]);
  }, 40_000);
});

import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { NO_DELAY, RECORD_KEYS, findEtcd, liveChildPids, runPoint } from '../src/index.js';
import type { BenchSystem, PointSettings } from '../src/index.js';

const etcdInstalled = ((): boolean => {
  try {
    findEtcd();
    return true;
  } catch {
    return false;
  }
})();

const settings: PointSettings = {
  warmupS: 0.5,
  durationS: 1.5,
  valueSizeBytes: 100,
  readRatio: 0,
  readMode: 'lease',
  thrifty: false,
  zoneDelay: undefined,
  failover: false,
  clientProcs: undefined,
  keysPerClient: 10,
};

function sweepDirs(): string[] {
  return readdirSync(tmpdir()).filter((d) => d.startsWith('flexpaxos-sweep-'));
}

/** Runs a tiny point of `system` with 3 servers and 4 clients and checks what a comparison row needs. */
async function tinyPoint(system: BenchSystem, serverName: string): Promise<void> {
  const before = new Set(sweepDirs());
  const r = await runPoint(
    { system, nodes: 3, replication: 2, election: 2, clients: 4, delay: NO_DELAY },
    settings,
  );
  expect(Object.keys(r)).toEqual(RECORD_KEYS);
  expect(r.system).toBe(system);
  expect(r.clientProcesses).toBe(1);
  expect(r.writeOpsPerSec).toBeGreaterThan(0);
  expect(r.errors).toBe(0);
  expect(r.writeP99Ms).not.toBeNull();
  expect(r.cpuProcesses.map((p) => p.name)).toEqual([
    `${serverName} 1`,
    `${serverName} 2`,
    `${serverName} 3`,
    'client 0',
  ]);
  expect(r.cpuUsPerWriteByRole?.nodes).toBeGreaterThan(0);
  expect(r.cpuUsPerWriteByRole?.broker).toBe(0);
  expect(r.cpuUsPerWriteByRole?.clients).toBeGreaterThan(0);
  expect(r.cpuUsPerWrite).toBeGreaterThan(0);
  expect(r.failoverMs).toBeNull();
  expect(r.leader).toBeNull();
  expect(liveChildPids()).toEqual([]);
  expect(sweepDirs().filter((d) => !before.has(d))).toEqual([]);
}

describe('runPoint with a comparison system (real servers, one client process)', () => {
  it('measures NATS JetStream KV on 3 clustered nats-servers (R3) and leaves nothing behind', async () => {
    await tinyPoint('natskv', 'natskv');
  }, 60_000);

  it.skipIf(!etcdInstalled)(
    'measures a 3-member etcd cluster and leaves nothing behind (needs etcd: apt-get install -y etcd-server)',
    async () => {
      await tinyPoint('etcd', 'etcd');
    },
    60_000,
  );
});

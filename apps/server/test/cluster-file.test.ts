import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isLauncherAlive,
  readClusterFile,
  resolveClusterTarget,
  writeClusterFile,
} from '../src/cluster-file.js';
import type { ClusterFile } from '../src/cluster-file.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'flexpaxos-cf-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sample = (over: Partial<ClusterFile> = {}): ClusterFile => ({
  version: 1,
  cluster: 'local-abc123',
  nats: ['nats://127.0.0.1:4222'],
  members: [1, 2, 3],
  replication: 2,
  election: 2,
  running: false,
  launcherPid: null,
  natsPid: null,
  leader: null,
  startedAt: '2026-11-29T09:00:00.000Z',
  stoppedAt: '2026-11-29T09:10:00.000Z',
  nodes: [{ id: 1, pid: null, http: null, dataDir: '/d/n1', log: '/d/n1.log' }],
  ...over,
});

describe('readClusterFile', () => {
  it('reads back what writeClusterFile wrote', () => {
    const dir = tempDir();
    writeClusterFile(dir, sample());
    expect(readClusterFile(dir)).toEqual(sample());
  });

  it('names the problem of a file that is missing, not JSON, or of the wrong shape', () => {
    const dir = tempDir();
    expect(() => readClusterFile(dir)).toThrow(/does not exist/);
    writeFileSync(join(dir, 'cluster.json'), '{');
    expect(() => readClusterFile(dir)).toThrow(/is not JSON/);
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ ...sample(), members: [] }));
    expect(() => readClusterFile(dir)).toThrow(/members must be a list of node ids/);
    writeFileSync(
      join(dir, 'cluster.json'),
      JSON.stringify({ ...sample(), nodes: [{ id: 1, pid: 'x' }] }),
    );
    expect(() => readClusterFile(dir)).toThrow(/every node needs id, pid, http, dataDir and log/);
  });
});

describe('resolveClusterTarget', () => {
  it('takes --nats and --cluster (or the environment) when no --dir is given', () => {
    expect(
      resolveClusterTarget({
        nats: 'nats://a:1,nats://b:2',
        cluster: 'c',
        dir: undefined,
        env: {},
      }),
    ).toMatchObject({ servers: ['nats://a:1', 'nats://b:2'], cluster: 'c' });
    expect(
      resolveClusterTarget({
        nats: undefined,
        cluster: undefined,
        dir: undefined,
        env: { FLEXPAXOS_NATS: 'nats://e:3', FLEXPAXOS_CLUSTER: 'envc' },
      }),
    ).toMatchObject({ servers: ['nats://e:3'], cluster: 'envc' });
    expect(() =>
      resolveClusterTarget({ nats: 'nats://a:1', cluster: undefined, dir: undefined, env: {} }),
    ).toThrow(/give both --nats URL and --cluster NAME/);
  });

  it('says to run pnpm start when DIR has no cluster, or its cluster is stopped', () => {
    const dir = tempDir();
    expect(() =>
      resolveClusterTarget({ nats: undefined, cluster: undefined, dir, env: {} }),
    ).toThrow(`start one with \`pnpm start --dir ${dir}\``);
    writeClusterFile(dir, sample());
    expect(() =>
      resolveClusterTarget({ nats: undefined, cluster: undefined, dir, env: {} }),
    ).toThrow(/is not running \(stopped at 2026-11-29T09:10:00.000Z\)/);
    // Marked running, but the launcher pid is not a launcher (this test process).
    writeClusterFile(dir, sample({ running: true, launcherPid: process.pid, stoppedAt: null }));
    expect(() =>
      resolveClusterTarget({ nats: undefined, cluster: undefined, dir, env: {} }),
    ).toThrow(/is not running/);
  });

  it('finds a running cluster from DIR/cluster.json', async () => {
    const dir = tempDir();
    const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'start'], {
      stdio: 'ignore',
    });
    try {
      writeClusterFile(
        dir,
        sample({ running: true, launcherPid: fake.pid ?? null, stoppedAt: null }),
      );
      expect(resolveClusterTarget({ nats: undefined, cluster: undefined, dir, env: {} })).toEqual({
        servers: ['nats://127.0.0.1:4222'],
        cluster: 'local-abc123',
        from: join(dir, 'cluster.json'),
      });
    } finally {
      fake.kill('SIGKILL');
      await new Promise((r) => fake.once('exit', r));
    }
  });
});

describe('isLauncherAlive', () => {
  it('is true only for a live process whose command line is a start', async () => {
    const fake = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'start'], {
      stdio: 'ignore',
    });
    expect(isLauncherAlive(fake.pid ?? null)).toBe(true);
    expect(isLauncherAlive(process.pid)).toBe(false); // alive, but not a launcher (reused pid)
    expect(isLauncherAlive(null)).toBe(false);
    fake.kill('SIGKILL');
    await new Promise((r) => fake.once('exit', r));
    expect(isLauncherAlive(fake.pid ?? null)).toBe(false);
  });
});

/**
 * The NATS JetStream KV comparison: `n` `nats-server -js` processes on loopback, clustered by
 * routes (full mesh), each with its JetStream store in the point's temporary directory, and
 * one KV bucket replicated on all of them (`replicas: n`, file storage, history 1: the
 * `@nats-io/kv` defaults apart from the replica count).
 *
 * Durability as shipped (nats-server 2.9, kept as it is): a put is acknowledged once the
 * stream's Raft group has it on a majority of the replicas; each server writes it to its file
 * store (OS page cache) and fsyncs in the background every 60 s (2.10 made this
 * `sync_interval`, default 2 min, or `always`). So no fsync per write.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { findNatsServer, freePort } from '@flexpaxos/transport-nats/testing';
import { REPO_ROOT } from './cluster.js';
import type { CpuProcess } from './proc-cpu.js';
import { registerTempDir, removeTempDir, spawnGuarded } from './processes.js';
import type { Child } from './processes.js';
import { retryUntil, waitListening } from './system-cluster.js';
import type { SystemCluster } from './system-cluster.js';
import { NATS_KV_MAX_REPLICAS } from './system.js';

/** The bucket every NATS KV point writes to. */
export const NATS_KV_BUCKET = 'bench';

/** The `nats-server` arguments of server `i` (1-based) of a JetStream cluster. */
export function natsKvServerArgs(
  i: number,
  clientPorts: readonly number[],
  routePorts: readonly number[],
  dataDir: string,
): string[] {
  return [
    '-js',
    '-sd',
    join(dataDir, `s${i}`),
    '-n',
    `bench-kv-${i}`,
    '-a',
    '127.0.0.1',
    '-p',
    String(clientPorts[i - 1]),
    '--cluster_name',
    'bench-kv',
    '--cluster',
    `nats://127.0.0.1:${routePorts[i - 1]}`,
    '--routes',
    routePorts
      .filter((_, j) => j !== i - 1)
      .map((p) => `nats://127.0.0.1:${p}`)
      .join(','),
  ];
}

/** `nats-server --version`, e.g. `nats-server: v2.9.10`. */
function natsVersion(bin: string): string {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server:\s*/, 'nats-server ');
  } catch {
    return 'nats-server (version unknown)';
  }
}

/** Starts an `n`-server JetStream cluster and creates the bucket; resolves once a put succeeds. */
export async function startNatsKvCluster(n: number): Promise<SystemCluster> {
  if (!Number.isSafeInteger(n) || n < 1 || n > NATS_KV_MAX_REPLICAS)
    throw new RangeError(`NATS KV: need 1 <= servers <= ${NATS_KV_MAX_REPLICAS} (got ${n})`);
  const bin = findNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'flexpaxos-sweep-natskv-'));
  registerTempDir(dataDir);
  const children: Child[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map((c) => c.kill()));
    removeTempDir(dataDir);
  };
  try {
    const clientPorts: number[] = [];
    const routePorts: number[] = [];
    for (let i = 0; i < n; i++) {
      clientPorts.push(await freePort());
      routePorts.push(await freePort());
    }
    for (let i = 1; i <= n; i++) {
      mkdirSync(join(dataDir, `s${i}`));
      children.push(
        spawnGuarded(
          `natskv ${i}`,
          bin,
          natsKvServerArgs(i, clientPorts, routePorts, dataDir),
          REPO_ROOT,
          dataDir,
        ),
      );
    }
    await Promise.all(children.map((c, i) => waitListening(c, clientPorts[i] ?? 0, 10_000)));
    const servers = clientPorts.map((p) => `nats://127.0.0.1:${p}`);
    // JetStream needs its meta leader (and then the stream's) elected before a bucket exists.
    const nc = await connect({ servers, name: 'flexpaxos-bench-control' });
    try {
      const kv = await retryUntil('creating the NATS KV bucket', 30_000, () =>
        new Kvm(nc).create(NATS_KV_BUCKET, { replicas: n }),
      );
      const status = await kv.status();
      if (status.replicas !== n)
        throw new Error(
          `NATS KV bucket ${NATS_KV_BUCKET} has ${status.replicas} replicas, not ${n}`,
        );
      await retryUntil('a first NATS KV put', 30_000, () => kv.put('b/control-ready', 'ready'));
    } finally {
      await nc.close();
    }
    const cpuProcesses: CpuProcess[] = children.map((c) => ({
      name: c.name,
      role: 'nodes',
      pgid: c.pgid,
    }));
    return {
      system: 'natskv',
      version: natsVersion(bin),
      target: { system: 'natskv', servers, bucket: NATS_KV_BUCKET },
      cpuProcesses,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

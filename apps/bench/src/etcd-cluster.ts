/**
 * The etcd comparison: an `n`-member etcd cluster on loopback (static bootstrap, data
 * directories in the point's temporary directory), every other setting etcd's default.
 *
 * Durability as shipped (etcd 3.4, kept as it is): a put is acknowledged once the Raft entry
 * is committed on a majority and applied; every member fsyncs its WAL once per Raft batch
 * (entries arriving meanwhile share it), a follower before it acknowledges the entries, and
 * the boltdb backend commits (with fsync) every 100 ms or 10 000 writes.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort } from '@flexpaxos/transport-nats/testing';
import { REPO_ROOT } from './cluster.js';
import type { CpuProcess } from './proc-cpu.js';
import { registerTempDir, removeTempDir, spawnGuarded } from './processes.js';
import type { Child } from './processes.js';
import { retryUntil, waitListening } from './system-cluster.js';
import type { SystemCluster } from './system-cluster.js';

/** How to install etcd; part of the message when it is missing. */
export const ETCD_INSTALL_HINT =
  'install it with `apt-get install -y etcd-server etcd-client` (Debian/Ubuntu), or set ETCD_BIN=/path/to/etcd';

/** `etcd` is not installed (or not executable). The message says how to install it. */
export class EtcdNotFoundError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'ETCD_NOT_FOUND' as const;
  override readonly name = 'EtcdNotFoundError' as const;
}

/** Where {@link findEtcd} looks; defaults come from the environment. */
export interface FindEtcdOptions {
  /** An explicit binary path: used if it is executable, else an error (no fallback). Default: `$ETCD_BIN`. */
  readonly bin?: string | undefined;
  /** Directories to search. Default: `$PATH`, then `/usr/bin`, `/usr/local/bin`, `/usr/sbin`. */
  readonly dirs?: readonly string[];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Path of the `etcd` binary: `$ETCD_BIN` when set (it must be executable), else the first on
 * `PATH`, else `/usr/bin`, `/usr/local/bin`, `/usr/sbin`. Throws {@link EtcdNotFoundError},
 * whose message says how to install etcd, when there is none.
 */
export function findEtcd(options: FindEtcdOptions = {}): string {
  const bin = 'bin' in options ? options.bin : process.env['ETCD_BIN'];
  if (bin !== undefined && bin !== '') {
    if (executable(bin)) return bin;
    throw new EtcdNotFoundError(`etcd not found at ETCD_BIN=${bin}: ${ETCD_INSTALL_HINT}`);
  }
  const dirs = options.dirs ?? [
    ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''),
    '/usr/bin',
    '/usr/local/bin',
    '/usr/sbin',
  ];
  const found = dirs.map((d) => join(d, 'etcd')).find(executable);
  if (found !== undefined) return found;
  throw new EtcdNotFoundError(
    `etcd is not installed (not on PATH, nor in /usr/bin, /usr/local/bin, /usr/sbin): ${ETCD_INSTALL_HINT}`,
  );
}

/** The `etcd` arguments of member `i` (1-based). */
export function etcdMemberArgs(
  i: number,
  clientPorts: readonly number[],
  peerPorts: readonly number[],
  dataDir: string,
): string[] {
  const client = `http://127.0.0.1:${clientPorts[i - 1]}`;
  const peer = `http://127.0.0.1:${peerPorts[i - 1]}`;
  return [
    '--name',
    `m${i}`,
    '--data-dir',
    join(dataDir, `m${i}`),
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    peerPorts.map((p, j) => `m${j + 1}=http://127.0.0.1:${p}`).join(','),
    '--initial-cluster-token',
    'flexpaxos-bench',
    '--initial-cluster-state',
    'new',
  ];
}

/** `etcd --version`'s first line as `etcd 3.4.23`. */
function etcdVersion(bin: string): string {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    const m = /etcd Version:\s*(\S+)/.exec(out);
    return m === null ? 'etcd (version unknown)' : `etcd ${m[1]}`;
  } catch {
    return 'etcd (version unknown)';
  }
}

/** Starts an `n`-member etcd cluster; resolves once a put succeeds. */
export async function startEtcdCluster(n: number): Promise<SystemCluster> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`etcd: need >= 1 member (got ${n})`);
  const bin = findEtcd();
  const dataDir = mkdtempSync(join(tmpdir(), 'flexpaxos-sweep-etcd-'));
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
    const peerPorts: number[] = [];
    for (let i = 0; i < n; i++) {
      clientPorts.push(await freePort());
      peerPorts.push(await freePort());
    }
    for (let i = 1; i <= n; i++) {
      children.push(
        spawnGuarded(
          `etcd ${i}`,
          bin,
          etcdMemberArgs(i, clientPorts, peerPorts, dataDir),
          REPO_ROOT,
          dataDir,
        ),
      );
    }
    await Promise.all(children.map((c, i) => waitListening(c, clientPorts[i] ?? 0, 20_000)));
    const hosts = clientPorts.map((p) => `127.0.0.1:${p}`);
    const control = new Etcd3({ hosts: hosts.map((h) => `http://${h}`) });
    try {
      await retryUntil('a first etcd put', 30_000, async () => {
        await control.put('b/control-ready').value('ready');
      });
    } finally {
      control.close();
    }
    const cpuProcesses: CpuProcess[] = children.map((c) => ({
      name: c.name,
      role: 'nodes',
      pgid: c.pgid,
    }));
    return {
      system: 'etcd',
      version: etcdVersion(bin),
      target: { system: 'etcd', hosts },
      cpuProcesses,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

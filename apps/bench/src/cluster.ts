/**
 * A fresh cluster for one benchmark point: a `nats-server` on a free loopback port and N
 * `flexpaxos node` processes on RocksDB (fsync on: the server's only mode) in a new temporary
 * directory, all under the process guard of `processes.ts`. `stop()` kills everything and
 * removes the directory.
 *
 * The nodes run with the settings `flexpaxos start` (`pnpm start`) gives them: every
 * `flexpaxos node` default (log level `info`, HTTP on a free port, timeouts, batching) apart
 * from the identity, membership, quorums, NATS URL and data directory, and only the flags a
 * point asks for on top (`--thrifty`, emulated link delays).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect, findNatsServer, freePort } from '@flexpaxos/transport-nats/testing';
import { nodeDelayFlags } from './delay.js';
import type { LinkDelayMatrix } from './delay.js';
import { registerTempDir, removeTempDir, spawnGuarded } from './processes.js';
import type { Child } from './processes.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Whether this module runs from TypeScript sources (tsx) rather than a build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** The repository root (`apps/bench/src` or `apps/bench/dist` is two levels below). */
export const REPO_ROOT = join(HERE, '../../..');

/**
 * How to run `flexpaxos` as a child: from sources through tsx when the benchmark itself runs
 * from sources (always the current code, no build needed), else the built `dist/cli.js`.
 */
export function serverCommand(): string[] {
  if (FROM_SOURCE) {
    return ['--conditions=source', '--import', 'tsx', join(REPO_ROOT, 'apps/server/src/cli.ts')];
  }
  const cli = join(REPO_ROOT, 'apps/server/dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
  return [cli];
}

/** `flexpaxos <version>` of the server package that the nodes run. */
export function flexPaxosVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'apps/server/package.json'), 'utf8')) as {
      version?: string;
    };
    return `flexpaxos ${pkg.version ?? '(version unknown)'}${FROM_SOURCE ? ' (from source)' : ''}`;
  } catch {
    return 'flexpaxos (version unknown)';
  }
}

/** What one cluster runs with. */
export interface ClusterSpec {
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly thrifty: boolean;
  readonly linkDelays: LinkDelayMatrix;
  /** Extra `flexpaxos node` flags for every node. */
  readonly extraNodeArgs?: readonly string[];
}

/** A running cluster. */
export interface Cluster {
  readonly natsUrl: string;
  readonly clusterName: string;
  readonly dataDir: string;
  /** The nats-server the nodes and clients talk through. */
  readonly broker: Child;
  /** Node processes by id (1..N, then the ones started with {@link Cluster.startJoiner}). */
  readonly nodes: ReadonlyMap<number, Child>;
  /**
   * Starts node `id` with `--join` (no configuration: it waits until the leader adds it);
   * resolves once it printed its started line. Stopped with the cluster.
   */
  startJoiner(id: number): Promise<Child>;
  /** Kills every process and removes the data directory (idempotent). */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startNats(): Promise<{ child: Child; url: string }> {
  const bin = findNatsServer();
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawnGuarded(
      'nats-server',
      bin,
      ['-a', '127.0.0.1', '-p', String(port)],
      REPO_ROOT,
    );
    const deadline = performance.now() + 10_000;
    while (!child.hasExited() && performance.now() < deadline) {
      if (await canConnect(port)) return { child, url: `nats://127.0.0.1:${port}` };
      await sleep(20);
    }
    await child.kill();
    if (attempt >= 2)
      throw new Error(`nats-server did not start on 127.0.0.1:${port}:\n${child.stderr()}`);
  }
}

/** The `flexpaxos node` arguments of node `id`. */
export function nodeArgs(
  spec: ClusterSpec,
  id: number,
  natsUrl: string,
  clusterName: string,
  dataDir: string,
): string[] {
  const members = Array.from({ length: spec.nodes }, (_, i) => i + 1);
  return [
    'node',
    '--id',
    String(id),
    '--cluster',
    clusterName,
    '--members',
    members.join(','),
    '--replication',
    String(spec.replication),
    '--election',
    String(spec.election),
    '--nats',
    natsUrl,
    '--data-dir',
    join(dataDir, `n${id}`),
    // `pnpm start` gives each node an HTTP port; 0 is the node's default (a free port).
    '--http-port',
    '0',
    ...(spec.thrifty ? ['--thrifty', 'true'] : []),
    ...nodeDelayFlags(spec.linkDelays, id),
    ...(spec.extraNodeArgs ?? []),
  ];
}

/** Waits for the `{"event":"started"}` line of a node, or throws with its stderr if it exits first. */
async function started(child: Child, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!child.stdout().includes('{"event":"started"')) {
    if (child.hasExited()) {
      throw new Error(
        `${child.name} exited (${String(await child.exited)}) before starting:\n${child.stderr().trim()}`,
      );
    }
    if (performance.now() > deadline)
      throw new Error(`${child.name} did not start within ${timeoutMs} ms:\n${child.stderr()}`);
    await sleep(25);
  }
}

/** Starts nats-server and the N nodes; resolves once every node printed its started line. */
export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flexpaxos-sweep-'));
  registerTempDir(dataDir);
  const clusterName = 'bench';
  const children: Child[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(children.map((c) => c.kill()));
    removeTempDir(dataDir);
  };
  try {
    const nats = await startNats();
    children.push(nats.child);
    const nodes = new Map<number, Child>();
    const cmd = serverCommand();
    for (let id = 1; id <= spec.nodes; id++) {
      const child = spawnGuarded(
        `node ${id}`,
        process.execPath,
        [...cmd, ...nodeArgs(spec, id, nats.url, clusterName, dataDir)],
        REPO_ROOT,
        dataDir,
      );
      children.push(child);
      nodes.set(id, child);
    }
    await Promise.all([...nodes.values()].map((c) => started(c, 60_000)));
    const startJoiner = async (id: number): Promise<Child> => {
      const args = nodeArgs(spec, id, nats.url, clusterName, dataDir);
      const at = args.indexOf('--members');
      args.splice(at, 6, '--join'); // --members M --replication P --election L
      const child = spawnGuarded(
        `node ${id}`,
        process.execPath,
        [...cmd, ...args],
        REPO_ROOT,
        dataDir,
      );
      children.push(child);
      nodes.set(id, child);
      await started(child, 60_000);
      return child;
    };
    return {
      natsUrl: nats.url,
      clusterName,
      dataDir,
      broker: nats.child,
      nodes,
      stop,
      startJoiner,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

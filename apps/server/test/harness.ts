/**
 * Test harness: real `flexpaxos node` processes, started as
 * `node --conditions=source --import tsx apps/server/src/cli.ts node ...` so they run against
 * the workspace sources without a build. Every process gets a safety timer that SIGKILLs it,
 * and all are SIGKILLed when the test process exits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { FlexPaxosClient } from '@flexpaxos/client';
import { startNatsServer } from '@flexpaxos/transport-nats/testing';
import type { NatsServer } from '@flexpaxos/transport-nats/testing';

/** The repository root (where `tsx` resolves from). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The CLI entry point. */
export const CLI = join(REPO_ROOT, 'apps/server/src/cli.ts');
const NODE_ARGS = ['--conditions=source', '--import', 'tsx', CLI];

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** A spawned node process. */
export interface NodeProcess {
  readonly id: number;
  readonly proc: ChildProcess;
  /** Resolves with the `started` line (pid, http address) or rejects if the process exits first. */
  readonly started: Promise<{ pid: number; http: string | null }>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

/** Spawns the CLI with `args` (and `env`, default ours); killed after `safetyMs` whatever happens. */
export function spawnCli(
  args: readonly string[],
  safetyMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
  /** Written to the process's stdin, which is then closed (else stdin is ignored). */
  input?: string,
): NodeProcess & { stdout(): string } {
  const proc = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env,
  });
  if (input !== undefined) proc.stdin?.end(input);
  live.add(proc);
  const safety = setTimeout(() => proc.kill('SIGKILL'), safetyMs);
  safety.unref();
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(safety);
      live.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const started = new Promise<{ pid: number; http: string | null }>((resolve, reject) => {
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (line.startsWith('{"event":"started"')) {
          const s = JSON.parse(line) as { pid: number; http: string | null };
          resolve(s);
        }
      }
    });
    void exited.then((code) =>
      reject(new Error(`process exited (${code}) before starting:\n${err}`)),
    );
  });
  started.catch(() => undefined);
  const idArg = args.indexOf('--id');
  return {
    id: idArg >= 0 ? Number(args[idArg + 1]) : 0,
    proc,
    started,
    exited,
    stderr: () => err,
    stdout: () => out,
  };
}

/** Args of one node of a local test cluster. */
export function nodeArgs(opts: {
  id: number;
  members: readonly number[];
  cluster: string;
  nats: string;
  dataDir: string;
  extra?: readonly string[];
}): string[] {
  return [
    'node',
    '--id',
    String(opts.id),
    '--cluster',
    opts.cluster,
    '--members',
    opts.members.join(','),
    '--nats',
    opts.nats,
    '--data-dir',
    join(opts.dataDir, `n${opts.id}`),
    '--http-port',
    '0',
    '--log-level',
    'warn',
    ...(opts.extra ?? []),
  ];
}

/** A test cluster: its own nats-server, node processes on RocksDB in a temp dir, a client. */
export interface TestCluster {
  readonly nats: NatsServer;
  readonly dir: string;
  readonly nodes: NodeProcess[];
  readonly client: FlexPaxosClient;
  /** Closes the client, SIGKILLs every node, stops nats-server, removes the dir. */
  stop(): Promise<void>;
}

/**
 * Starts nats-server and one node per member (data under a new temp dir named `tmpPrefix…`,
 * `extra(id)` appended to that node's flags), waits until each printed its `started` line and
 * connects a client (10 s call timeout). Waiting for a leader is left to the test.
 */
export async function startTestCluster(opts: {
  cluster: string;
  members: readonly number[];
  tmpPrefix: string;
  extra?: (id: number) => readonly string[];
}): Promise<TestCluster> {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), opts.tmpPrefix));
  const nodes: NodeProcess[] = opts.members.map((id) =>
    spawnCli(
      nodeArgs({
        id,
        members: opts.members,
        cluster: opts.cluster,
        nats: nats.url,
        dataDir: dir,
        extra: opts.extra?.(id) ?? [],
      }),
    ),
  );
  await Promise.all(nodes.map((n) => n.started));
  const client = await FlexPaxosClient.connect({
    servers: [nats.url],
    cluster: opts.cluster,
    timeoutMs: 10_000,
  });
  return {
    nats,
    dir,
    nodes,
    client,
    async stop() {
      await client.close();
      for (const n of nodes) n.proc.kill('SIGKILL');
      await Promise.all(nodes.map((n) => n.exited));
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

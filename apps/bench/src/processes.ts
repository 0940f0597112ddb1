/**
 * Every process the benchmark starts, and the guarantee that none outlives it.
 *
 * Each child runs in its own process group (`detached`), so one `kill(-pgid, SIGKILL)` ends it
 * and anything it started. Children are killed when a point ends, on Ctrl-C / SIGTERM / SIGHUP
 * (handlers installed by {@link installCleanupHandlers}), on an uncaught error and on any
 * normal exit (`exit` hook). Even a `kill -9` of the benchmark leaves nothing behind: servers
 * and nodes run under a small `sh` guard that SIGKILLs them when its stdin (a pipe from the
 * benchmark) closes, and client processes exit when their IPC channel disconnects.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A child process started by {@link spawnGuarded} or {@link spawnWorkerProcess}. */
export interface Child {
  /** A short name for messages (`nats`, `node 2`, `client 1`). */
  readonly name: string;
  readonly proc: ChildProcess;
  /** The process group id (= pid of the group leader). */
  readonly pgid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Whether it has exited. */
  hasExited(): boolean;
  /** The last 20 000 characters written to stderr. */
  stderr(): string;
  /** Everything written to stdout (first 100 000 characters). */
  stdout(): string;
  /** SIGKILLs the whole process group (idempotent) and waits for the exit. */
  kill(): Promise<void>;
}

const live = new Set<Child>();
const tempDirs = new Set<string>();
let exitHook = false;

function killGroup(c: Child): void {
  if (c.hasExited()) return;
  try {
    process.kill(-c.pgid, 'SIGKILL');
  } catch {
    // group already gone
  }
}

/** SIGKILLs every live child and removes every registered temp directory, synchronously. */
export function killAllNow(): void {
  for (const c of live) killGroup(c);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', killAllNow);
}

/** Registers a temporary directory to remove at exit (and by {@link removeTempDir}). */
export function registerTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

/** Removes a registered temporary directory now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Pids of the children still running (for tests: the benchmark leaves none). */
export function liveChildPids(): number[] {
  return [...live].filter((c) => !c.hasExited()).map((c) => c.pgid);
}

/**
 * Installs SIGINT / SIGTERM / SIGHUP handlers that run `beforeExit` (e.g. stop the progress
 * bar), kill every child, remove temp dirs and exit with 128 + signal number.
 */
export function installCleanupHandlers(beforeExit: () => void): void {
  installExitHook();
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      beforeExit();
      process.stderr.write(`\nbench: ${signal}: stopping every process it started\n`);
      killAllNow();
      process.exit(code);
    });
  }
}

// The guard: runs "$@" in the background, SIGKILLs it when stdin (fd 3, a pipe from the
// benchmark) reaches EOF (then also removes $FLEXPAXOS_SWEEP_RMDIR if set: the benchmark died
// and cannot), and exits with its status. A background list in a non-interactive sh gets
// /dev/null as stdin, hence the explicit fd 3.
const GUARD =
  'exec 3<&0; "$@" </dev/null & p=$!; { read -r _ <&3; kill -KILL $p 2>/dev/null; ' +
  '[ -n "$FLEXPAXOS_SWEEP_RMDIR" ] && sleep 0.2 && rm -rf "$FLEXPAXOS_SWEEP_RMDIR"; } & w=$!; ' +
  'wait $p; c=$?; kill $w 2>/dev/null; exit $c';

function track(name: string, proc: ChildProcess): Child {
  installExitHook();
  const pgid = proc.pid;
  if (pgid === undefined) throw new Error(`${name}: spawn failed`);
  let err = '';
  let out = '';
  let done = false;
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => {
    err = (err + d).slice(-20_000);
  });
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => {
    if (out.length < 100_000) out += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const child: Child = {
    name,
    proc,
    pgid,
    exited,
    hasExited: () => done,
    stderr: () => err,
    stdout: () => out,
    kill: async () => {
      killGroup(child);
      await exited;
    },
  };
  live.add(child);
  return child;
}

/**
 * Starts `command args` under the guard in a new process group, stdout and stderr piped
 * (read them with `stdout()` / `stderr()`). `orphanDir`: a directory the guard removes if the
 * benchmark dies without cleaning up (the node's data directory).
 */
export function spawnGuarded(
  name: string,
  command: string,
  args: readonly string[],
  cwd: string,
  orphanDir?: string,
): Child {
  const env = { ...process.env, FLEXPAXOS_SWEEP_RMDIR: orphanDir ?? '' };
  const proc = spawn('sh', ['-c', GUARD, 'flexpaxos-sweep-guard', command, ...args], {
    cwd,
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return track(name, proc);
}

/** Starts a Node client process with an IPC channel, in a new process group. */
export function spawnWorkerProcess(name: string, nodeArgs: readonly string[], cwd: string): Child {
  const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', 'ipc'];
  const proc = spawn(process.execPath, [...nodeArgs], { cwd, detached: true, stdio });
  return track(name, proc);
}

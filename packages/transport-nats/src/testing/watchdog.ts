/**
 * A process that cannot outlive the one that started it: the command runs under a small `sh`
 * watchdog, in a process group of its own, and is SIGKILLed as soon as the watchdog's stdin (a
 * pipe from this process) reaches end-of-file, which happens when this process exits for any
 * reason, `kill -9` included. Exit hooks cannot cover that case; the pipe does.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioNull, StdioPipe } from 'node:child_process';

// The watchdog: runs "$@" in the background with /dev/null as stdin; a reader subshell waits on
// the pipe (fd 3: a background list of a non-interactive sh gets /dev/null as stdin, hence the
// explicit copy) and SIGKILLs the command at end-of-file. A SIGTERM to the shell is forwarded
// to the command, and the shell exits only once the command has, so "exited" means the command
// is gone (its ports are free again). The shell exits with the command's status.
const WATCHDOG =
  'exec 3<&0; "$@" </dev/null & p=$!; ' +
  '{ read -r _ <&3; kill -KILL $p 2>/dev/null; } & w=$!; ' +
  "trap 'kill -TERM $p 2>/dev/null; wait $p; c=$?; kill $w 2>/dev/null; exit $c' TERM; " +
  'wait $p; c=$?; kill $w 2>/dev/null; exit $c';

/** Options of {@link spawnWithWatchdog}. */
export interface WatchdogOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The command's stdout: a pipe, ignored, or an open file descriptor. Default `'ignore'`. */
  readonly stdout?: StdioPipe | StdioNull | number;
  /** The command's stderr: a pipe, ignored, or an open file descriptor. Default `'pipe'`. */
  readonly stderr?: StdioPipe | StdioNull | number;
}

/**
 * Starts `command args` under the watchdog (see the module comment) and returns the watchdog
 * shell's `ChildProcess`. Its `pid` is also the process group id.
 *
 * - `child.kill('SIGTERM')`: forwarded to the command (a graceful stop); the shell exits after
 *   the command, with its status.
 * - {@link killProcessGroup}`(child)`: SIGKILLs the shell, the command and anything the command
 *   started (a crash).
 * - This process exits or dies: the command is SIGKILLed.
 *
 * Signals meant for the command alone (SIGSTOP, SIGCONT) need the command's own pid, which the
 * command has to report itself (for example on its stdout).
 */
export function spawnWithWatchdog(
  command: string,
  args: readonly string[],
  options: WatchdogOptions = {},
): ChildProcess {
  return spawn('sh', ['-c', WATCHDOG, 'flexpaxos-watchdog', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['pipe', options.stdout ?? 'ignore', options.stderr ?? 'pipe'],
  });
}

/**
 * Sends `signal` (default SIGKILL) to the whole process group of a child spawned detached (by
 * {@link spawnWithWatchdog}). Returns false when the group is already gone.
 */
export function killProcessGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

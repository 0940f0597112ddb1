/**
 * Every process the harness starts, and the guarantee that none outlives it: node processes run
 * under the watchdog of `@flexpaxos/transport-nats/testing` (SIGKILLed when the harness dies,
 * even by kill -9), each in a process group of its own; on any exit of the harness every group
 * still running is SIGKILLed too, and the CLI turns Ctrl-C / SIGTERM / SIGHUP into such an exit.
 * (The nats-servers are guarded the same way by `startNatsServer({ watchdog: true })`.)
 */
import type { ChildProcess } from 'node:child_process';
import { killProcessGroup, spawnWithWatchdog } from '@flexpaxos/transport-nats/testing';
import type { WatchdogOptions } from '@flexpaxos/transport-nats/testing';

const live = new Set<ChildProcess>();
let exitHook = false;

/** SIGKILLs every process group the harness started and that still runs, synchronously. */
export function killAllNow(): void {
  for (const c of live) killProcessGroup(c);
}

/** Starts `command args` under the watchdog and tracks it until it exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: WatchdogOptions,
): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', killAllNow);
  }
  const child = spawnWithWatchdog(command, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Process group ids of the children still running (tests: the harness leaves none). */
export function liveGroups(): number[] {
  return [...live].map((c) => c.pid ?? 0);
}

/**
 * Installs SIGINT / SIGTERM / SIGHUP handlers that kill every child and exit with 128 + the
 * signal number (the nats-servers die with the exit hook of the testing helpers).
 */
export function installSignalHandlers(beforeExit: () => void): void {
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(codes)) {
    process.once(signal, () => {
      beforeExit();
      process.stderr.write(`\nnemesis: ${signal}: stopping every process it started\n`);
      killAllNow();
      process.exit(code);
    });
  }
}

/**
 * What every system's cluster gives a benchmark point: where its clients connect, which
 * processes' CPU counts, and how to stop it. FlexPaxos (`cluster.ts`), NATS JetStream KV
 * (`natskv-cluster.ts`) and etcd (`etcd-cluster.ts`) each start one.
 */
import type { ClientTarget } from './adapters.js';
import { canConnect } from '@flexpaxos/transport-nats/testing';
import type { CpuProcess } from './proc-cpu.js';
import type { Child } from './processes.js';
import type { BenchSystem } from './system.js';

/** A running cluster of one system. */
export interface SystemCluster {
  readonly system: BenchSystem;
  /** What runs, e.g. `nats-server v2.9.10`, `etcd 3.4.23`, `flexpaxos 0.1.0`. */
  readonly version: string;
  /** Where the client processes connect. */
  readonly target: ClientTarget;
  /** The server processes (nodes, broker) whose CPU a point measures. */
  readonly cpuProcesses: readonly CpuProcess[];
  /** Kills every process and removes the data directory (idempotent). */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until 127.0.0.1:`port` accepts connections; throws with the child's stderr if it exits
 * first or `timeoutMs` passes.
 */
export async function waitListening(child: Child, port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child.hasExited())
      throw new Error(
        `${child.name} exited before listening on ${port}:\n${child.stderr().trim()}`,
      );
    if (performance.now() > deadline)
      throw new Error(
        `${child.name} did not listen on ${port} within ${timeoutMs} ms:\n${child.stderr().trim()}`,
      );
    await sleep(20);
  }
}

/** Retries `attempt` every 100 ms until it resolves; after `timeoutMs` throws its last error. */
export async function retryUntil<T>(
  what: string,
  timeoutMs: number,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (performance.now() > deadline)
        throw new Error(`${what} did not succeed within ${timeoutMs} ms: ${String(err)}`, {
          cause: err,
        });
      await sleep(100);
    }
  }
}

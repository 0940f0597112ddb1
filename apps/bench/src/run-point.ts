/**
 * Runs one benchmark point end to end: a fresh cluster of the point's system, client
 * processes, warm-up, measured window (with the CPU of every process read at its start and
 * end), optional failover (FlexPaxos), teardown (always, also on errors).
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlexPaxosClient } from '@flexpaxos/client';
import { FROM_SOURCE, REPO_ROOT, flexPaxosVersion, startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { linkDelays } from './delay.js';
import type { ZoneDelay } from './delay.js';
import { startEtcdCluster } from './etcd-cluster.js';
import { startNatsKvCluster } from './natskv-cluster.js';
import type { BenchPoint } from './plan.js';
import { clockTicksPerSecond, procCpuAvailable, readGroupTicks, summarizeCpu } from './proc-cpu.js';
import type { CpuProcess, CpuSummary, GroupTicks } from './proc-cpu.js';
import { spawnWorkerProcess } from './processes.js';
import type { Child } from './processes.js';
import { buildRecord } from './record.js';
import type { BenchRecord } from './record.js';
import type { SystemCluster } from './system-cluster.js';
import { epochMs } from './worker-protocol.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerReport } from './worker-protocol.js';

/** Phases of a point, reported to the progress display. */
export type PointPhase = 'starting' | 'warmup' | 'measuring' | 'failover' | 'stopping';

/** Settings shared by every point of a run. */
export interface PointSettings {
  readonly warmupS: number;
  readonly durationS: number;
  readonly valueSizeBytes: number;
  readonly readRatio: number;
  readonly readMode: 'lease' | 'quorum' | 'stale';
  readonly thrifty: boolean;
  readonly zoneDelay: ZoneDelay | undefined;
  /** Kill the leader after the window (FlexPaxos points only). */
  readonly failover: boolean;
  /** Client processes (at most one per client); undefined = 1. */
  readonly clientProcs: number | undefined;
  readonly keysPerClient: number;
  /** Longest wait for the first acknowledged write after the leader is killed. Default 15 000 ms. */
  readonly failoverWaitMs?: number;
}

/** Clients per process: `procs` processes (default 1), never more processes than clients, shares differing by at most one. */
export function splitClients(clients: number, procs: number | undefined): number[] {
  const n = Math.max(1, Math.min(clients, procs ?? 1));
  return Array.from({ length: n }, (_, i) => Math.floor(clients / n) + (i < clients % n ? 1 : 0));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The command line of a client process (`worker.ts`). */
export function workerCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return FROM_SOURCE
    ? ['--conditions=source', '--import', 'tsx', join(here, 'worker.ts')]
    : [join(here, 'worker.js')];
}

/** A client process and its incoming messages (`From`: what it sends; a `fatal` ends it). */
export class Worker<
  From extends { readonly type: string } = FromWorker,
  To extends { readonly type: string } = ToWorker,
> {
  readonly child: Child;
  readonly #waiters: { match: (m: From) => boolean; resolve: (m: From) => void }[] = [];
  readonly #seen: From[] = [];
  fatal: string | undefined;

  constructor(child: Child) {
    this.child = child;
    child.proc.on('message', (m: From) => {
      if (m.type === 'fatal') this.fatal = fatalMessage(m);
      const i = this.#waiters.findIndex((w) => w.match(m));
      const w = i >= 0 ? this.#waiters.splice(i, 1)[0] : undefined;
      if (w !== undefined) w.resolve(m);
      else this.#seen.push(m);
    });
  }

  send(m: To): void {
    if (this.child.proc.connected) this.child.proc.send(m);
  }

  /** The next message of `type` (or one already received), or an error on exit/timeout. */
  async next<T extends From['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<From, { type: T }>> {
    const match = (m: From): boolean => m.type === type || m.type === 'fatal';
    const early = this.#seen.findIndex(match);
    let m: From | undefined;
    if (early >= 0) m = this.#seen.splice(early, 1)[0];
    else {
      let timer: NodeJS.Timeout | undefined;
      m = await Promise.race([
        new Promise<From>((resolve) => this.#waiters.push({ match, resolve })),
        this.child.exited.then(() => undefined),
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (m === undefined) {
      throw new Error(
        `${this.child.name}: no ${type} within ${timeoutMs} ms (exited: ${this.child.hasExited()}):\n${this.child.stderr().trim()}`,
      );
    }
    if (m.type === 'fatal') throw new Error(`${this.child.name}: ${fatalMessage(m)}`);
    return m as Extract<From, { type: T }>;
  }
}

function fatalMessage(m: { readonly type: string }): string {
  const text = (m as { readonly message?: unknown }).message;
  return typeof text === 'string' ? text : JSON.stringify(m);
}

async function currentLeader(client: FlexPaxosClient): Promise<number | undefined> {
  const s = await client.clusterStatus({ waitMs: 300 });
  return s.find((n) => n.role === 'leader')?.id;
}

/** Polls the cluster status until a node reports itself leader. */
export async function waitLeader(client: FlexPaxosClient, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const id = await currentLeader(client).catch(() => undefined);
    if (id !== undefined) return id;
    if (performance.now() > deadline) throw new Error(`no leader within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The FlexPaxos cluster as every system's cluster looks to a point. */
function flexPaxosSystem(cluster: Cluster): SystemCluster {
  const cpuProcesses: CpuProcess[] = [
    ...[...cluster.nodes].map(([id, c]): CpuProcess => ({
      name: `node ${id}`,
      role: 'nodes',
      pgid: c.pgid,
    })),
    { name: 'nats', role: 'broker', pgid: cluster.broker.pgid },
  ];
  return {
    system: 'flexpaxos',
    version: flexPaxosVersion(),
    target: { system: 'flexpaxos', servers: [cluster.natsUrl], cluster: cluster.clusterName },
    cpuProcesses,
    stop: () => cluster.stop(),
  };
}

/** Reads the CPU of the given groups now, or undefined where `/proc` cannot be read. */
function sampleCpu(cpuOn: boolean, processes: readonly CpuProcess[]): GroupTicks | undefined {
  return cpuOn ? readGroupTicks(processes.map((p) => p.pgid)) : undefined;
}

/**
 * Runs `point` and returns its record. Every process it starts is stopped before it returns
 * or throws.
 */
export async function runPoint(
  point: BenchPoint,
  settings: PointSettings,
  onPhase: (phase: PointPhase) => void = () => undefined,
): Promise<BenchRecord> {
  const delays = linkDelays(point.delay, point.nodes, settings.zoneDelay);
  if (!delays.ok) throw new Error(delays.problems.join('\n'));
  const startedAt = new Date().toISOString();
  onPhase('starting');
  let system: SystemCluster | undefined;
  let flex: Cluster | undefined;
  let control: FlexPaxosClient | undefined;
  const workers: Worker[] = [];
  try {
    switch (point.system) {
      case 'flexpaxos':
        flex = await startCluster({
          nodes: point.nodes,
          replication: point.replication,
          election: point.election,
          thrifty: settings.thrifty,
          linkDelays: delays.value,
        });
        system = flexPaxosSystem(flex);
        control = await FlexPaxosClient.connect({
          servers: [flex.natsUrl],
          cluster: flex.clusterName,
          timeoutMs: 10_000,
          name: 'flexpaxos-bench-control',
        });
        await waitLeader(control, 30_000);
        break;
      case 'natskv':
        system = await startNatsKvCluster(point.nodes);
        break;
      case 'etcd':
        system = await startEtcdCluster(point.nodes);
        break;
      default: {
        const never: never = point.system;
        throw new Error(`unknown system ${String(never)}`);
      }
    }
    const split = splitClients(point.clients, settings.clientProcs);
    const cmd = workerCommand();
    for (const [index, clients] of split.entries()) {
      const config: WorkerConfig = {
        index,
        target: system.target,
        clients,
        valueSizeBytes: settings.valueSizeBytes,
        readRatio: settings.readRatio,
        readMode: settings.readMode,
        keysPerClient: settings.keysPerClient,
      };
      workers.push(
        new Worker(
          spawnWorkerProcess(
            `client ${index}`,
            [...cmd, JSON.stringify(config), 'flexpaxos-sweep-client'],
            REPO_ROOT,
          ),
        ),
      );
    }
    await Promise.all(workers.map((w) => w.next('ready', 60_000)));
    const cpuProcesses: CpuProcess[] = [
      ...system.cpuProcesses,
      ...workers.map((w): CpuProcess => ({
        name: w.child.name,
        role: 'clients',
        pgid: w.child.pgid,
      })),
    ];
    const cpuOn = procCpuAvailable();
    onPhase('warmup');
    for (const w of workers) w.send({ type: 'start' });
    await sleep(settings.warmupS * 1000);
    const cpuStart = sampleCpu(cpuOn, cpuProcesses);
    const windowStart = performance.now();
    for (const w of workers) w.send({ type: 'measure' });
    onPhase('measuring');
    await sleep(settings.durationS * 1000);
    const cpuEnd = sampleCpu(cpuOn, cpuProcesses);
    const windowS = (performance.now() - windowStart) / 1000;
    for (const w of workers) w.send({ type: 'report' });
    const reports: WorkerReport[] = await Promise.all(workers.map((w) => w.next('report', 15_000)));
    const load = loadavg()[0] ?? 0;
    const writes = reports.reduce((sum, r) => sum + r.writes, 0);
    const cpu: CpuSummary | null =
      cpuStart === undefined || cpuEnd === undefined
        ? null
        : summarizeCpu(cpuProcesses, cpuStart, cpuEnd, clockTicksPerSecond(), windowS, writes);
    const leader =
      control === undefined
        ? null
        : ((await currentLeader(control).catch(() => undefined)) ?? null);
    let failoverMs: number | null = null;
    if (settings.failover && flex !== undefined && control !== undefined) {
      onPhase('failover');
      const id = leader ?? (await waitLeader(control, 10_000));
      const victim = flex.nodes.get(id);
      if (victim === undefined) throw new Error(`leader ${id} is not a node of this cluster`);
      const killedAtMs = epochMs();
      await victim.kill();
      for (const w of workers) w.send({ type: 'watch-failover', killedAtMs });
      const waitMs = settings.failoverWaitMs ?? 15_000;
      const acks = await Promise.allSettled(workers.map((w) => w.next('failover', waitMs)));
      const times = acks.flatMap((a) =>
        a.status === 'fulfilled' ? [a.value.ackedAtMs - killedAtMs] : [],
      );
      failoverMs = times.length > 0 ? Math.min(...times) : null;
    }
    return buildRecord(point, reports, {
      systemVersion: system.version,
      cpu,
      thrifty: point.system === 'flexpaxos' && settings.thrifty,
      linkDelaysMs: delays.value,
      valueSizeBytes: settings.valueSizeBytes,
      readRatio: settings.readRatio,
      readMode: settings.readMode,
      warmupS: settings.warmupS,
      leader,
      failoverMs,
      loadAvg1: load,
      startedAt,
    });
  } finally {
    onPhase('stopping');
    for (const w of workers) w.send({ type: 'stop' });
    await Promise.all(
      workers.map((w) => Promise.race([w.child.exited, sleep(2_000)]).then(() => w.child.kill())),
    );
    await control?.close().catch(() => undefined);
    await system?.stop();
    await flex?.stop();
  }
}

/**
 * `pnpm bench --scenario kv`: what watch, key leases and transactions cost, on one fresh
 * cluster (N = 3, P = 2, L = N - P + 1 unless `--nodes` / `--replication` / `--election` say;
 * `pnpm start`'s node settings, fsync on) and two worker processes (`kv-worker.ts`), each one
 * `FlexPaxosClient` with the client's defaults:
 *
 * - the client process: the writer (64 closed loops, one key each, 100-byte puts), then the
 *   keep-alive callers, then the transaction clients;
 * - the watcher process: the prefix watchers, spread round-robin over the nodes. A separate
 *   process so that the writer's event loop does not also parse every watch event (both still
 *   share the machine's cores with the nodes and nats-server).
 *
 * Phases, each with a warm-up and a measured window:
 * 1. Fan-out: the writer alone (0 watchers), then with 1, 100, 1000 watchers (`--watchers`) on
 *    a fresh prefix each. Measured: events/s the watchers received (all of them together), the
 *    writer's puts/s, and the delivery lag of each event from the moment its put was *sent*
 *    (the send time travels in the value; both clocks are this machine's). After the window the
 *    writer stops; the watchers must then each see every acknowledged put (the drain); every
 *    event is checked for gaps, repeats and revision order (`kv-worker.ts`).
 * 2. Keep-alive: 100 leases, 64 callers renewing them in turn; keep-alives/s, latency, and the
 *    CPU of every process (nodes, nats-server, both worker processes) per keep-alive.
 * 3. Transactions: 64 clients each compare-and-swapping its own key (compare mod-revision,
 *    put, get; on a failed compare, a get), then 16 clients on 4 shared keys.
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlexPaxosClient } from '@flexpaxos/client';
import type { BenchOptions } from './args.js';
import { FROM_SOURCE, REPO_ROOT, flexPaxosVersion, startCluster } from './cluster.js';
import type { Cluster } from './cluster.js';
import { NO_DELAY, linkDelays } from './delay.js';
import { mergeHistograms, summarize } from './histogram.js';
import type { FromKvWorker, KvPhase, KvReport, ToKvWorker, WatchIntegrity } from './kv-protocol.js';
import type { KvWorkerConfig } from './kv-protocol.js';
import { clockTicksPerSecond, procCpuAvailable, readGroupTicks, summarizeCpu } from './proc-cpu.js';
import type { CpuProcess, ProcessCpu } from './proc-cpu.js';
import { spawnWorkerProcess } from './processes.js';
import type { Child } from './processes.js';
import { Worker, waitLeader } from './run-point.js';

/** Leases of the keep-alive phase. */
export const KV_LEASES = 100;
/** TTL of those leases (far above the phase, so none expires). */
export const KV_LEASE_TTL_MS = 60_000;
/** Clients and shared keys of the hot-key transaction phase. */
export const KV_HOT_CLIENTS = 16;
export const KV_HOT_KEYS = 4;
/** Longest wait for the watchers to see every acknowledged put after the writer stopped. */
export const KV_DRAIN_TIMEOUT_MS = 60_000;

/** CPU over a measured window: every process, per operation of the phase. */
export interface KvCpu {
  /** CPU µs of every process per operation (put, keep-alive, transaction); null without /proc. */
  readonly cpuUsPerOp: number | null;
  readonly cpuCoresBusy: number | null;
  readonly processes: readonly ProcessCpu[];
}

/** Watch counters of the nodes (`/metrics`, summed over the nodes) over one fan-out phase. */
export interface NodeWatchCounters {
  /** Watches created (the first creations and every resume). */
  readonly created: number;
  /** Change events and stream frames the nodes sent to watchers. */
  readonly eventsSent: number;
  readonly framesSent: number;
  /** Watchers cancelled because they did not keep up (the client resumes them). */
  readonly slowCancels: number;
  /** Watchers cancelled because their client stopped refreshing them. */
  readonly expired: number;
  readonly compacted: number;
}

const NODE_COUNTERS: Readonly<Record<keyof NodeWatchCounters, string>> = {
  created: 'flexpaxos_watch_created_total',
  eventsSent: 'flexpaxos_watch_events_sent_total',
  framesSent: 'flexpaxos_watch_frames_sent_total',
  slowCancels: 'flexpaxos_watch_slow_cancels_total',
  expired: 'flexpaxos_watch_expired_total',
  compacted: 'flexpaxos_watch_compacted_total',
};

/** The HTTP address a node printed on its started line. */
function nodeHttp(child: Child): string | undefined {
  for (const line of child.stdout().split('\n')) {
    if (!line.startsWith('{"event":"started"')) continue;
    try {
      const http = (JSON.parse(line) as { http?: unknown }).http;
      if (typeof http === 'string') return http;
    } catch {
      // not JSON after all
    }
  }
  return undefined;
}

/** The watch counters summed over the cluster's nodes (null when a node cannot be read). */
async function readNodeWatchCounters(cluster: Cluster): Promise<NodeWatchCounters | null> {
  const sum: Record<string, number> = {};
  for (const child of cluster.nodes.values()) {
    const http = nodeHttp(child);
    if (http === undefined) return null;
    let text: string;
    try {
      const res = await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(10_000) });
      text = await res.text();
    } catch {
      return null;
    }
    for (const [field, name] of Object.entries(NODE_COUNTERS)) {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
      sum[field] = (sum[field] ?? 0) + (m === null ? 0 : Number(m[1]));
    }
  }
  return sum as unknown as NodeWatchCounters;
}

function counterDelta(
  a: NodeWatchCounters | null,
  b: NodeWatchCounters | null,
): NodeWatchCounters | null {
  if (a === null || b === null) return null;
  const out: Record<string, number> = {};
  for (const k of Object.keys(NODE_COUNTERS) as (keyof NodeWatchCounters)[]) out[k] = b[k] - a[k];
  return out as unknown as NodeWatchCounters;
}

/** One fan-out phase. */
export interface KvFanout {
  readonly watchers: number;
  readonly writesPerSec: number;
  /** writesPerSec divided by that of the run with 0 watchers. */
  readonly writesVsNoWatchers: number | null;
  readonly writeP50Ms: number | null;
  readonly writeP99Ms: number | null;
  readonly writeErrors: number;
  /** Events received per second by all watchers together (null with 0 watchers). */
  readonly eventsPerSec: number | null;
  readonly eventsPerSecPerWatcher: number | null;
  /** eventsPerSec / (writesPerSec x watchers): 1 when every watcher kept up. */
  readonly deliveredShare: number | null;
  /** Delivery lag: event arrival minus the time its put was sent. */
  readonly lagP50Ms: number | null;
  readonly lagP99Ms: number | null;
  readonly lagP999Ms: number | null;
  readonly lagMaxMs: number | null;
  /** Events counted in the window (all watchers). */
  readonly eventsInWindow: number;
  /** CPU µs of every process per event delivered in the window (null with 0 watchers). */
  readonly cpuUsPerEvent: number | null;
  /** Whole-phase checks of what each watcher received (null with 0 watchers). */
  readonly integrity: WatchIntegrity | null;
  /** The nodes' watch counters over the phase (setup to finish; null where unreadable). */
  readonly nodeCounters: NodeWatchCounters | null;
  readonly writerCpuPct: number;
  readonly watcherCpuPct: number | null;
  readonly cpu: KvCpu;
}

/** The keep-alive phase. */
export interface KvKeepalive {
  readonly leases: number;
  readonly ttlMs: number;
  readonly callers: number;
  readonly keepalivesPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly clientCpuPct: number;
  /** CPU µs of every process per keep-alive. */
  readonly cpuUsPerKeepalive: number | null;
  readonly cpuUsPerKeepaliveByRole: Readonly<Record<string, number>> | null;
  readonly cpu: KvCpu;
}

/** One transaction phase. */
export interface KvTxn {
  readonly clients: number;
  readonly keys: number;
  /** Transactions answered per second (either branch). */
  readonly txnsPerSec: number;
  /** Transactions whose compare held (the put went in) per second. */
  readonly committedPerSec: number;
  /** committed / answered. */
  readonly successRatio: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly errors: number;
  readonly clientCpuPct: number;
  readonly cpu: KvCpu;
}

/** The output of `--scenario kv`. */
export interface KvResult {
  readonly systemVersion: string;
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly leader: number;
  readonly clients: number;
  readonly valueSizeBytes: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly watcherPlacement: string;
  readonly lagMeasuredFrom: string;
  readonly fanout: readonly KvFanout[];
  readonly keepalive: KvKeepalive;
  readonly txnOwnKeys: KvTxn;
  readonly txnHotKeys: KvTxn;
  readonly loadAvgAtStart: readonly number[];
  readonly loadAvgAtEnd: readonly number[];
}

type KvWorker = Worker<FromKvWorker, ToKvWorker>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function kvWorkerCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return FROM_SOURCE
    ? ['--conditions=source', '--import', 'tsx', join(here, 'kv-worker.ts')]
    : [join(here, 'kv-worker.js')];
}

const round = (v: number, digits = 0): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The scenario's phases (for progress lines and tests). */
export type KvStep = `fanout ${number}` | 'keepalive' | 'txn own keys' | 'txn hot keys';

/**
 * Runs the scenario (see the module comment). `onStep` is called as each phase begins (and
 * with `'done'` before teardown). Every process it starts is stopped before it returns or
 * throws.
 */
export async function runKvBench(
  options: BenchOptions,
  say: (line: string) => void,
  onStep: (step: KvStep | 'done') => void = () => undefined,
): Promise<KvResult> {
  const nodes = options.nodes[0] ?? 3;
  const replication = options.replication?.[0] ?? 2;
  const election = options.election?.[0] ?? nodes - replication + 1;
  const clients = options.clients[0] ?? 64;
  const delays = linkDelays(NO_DELAY, nodes, undefined);
  if (!delays.ok) throw new Error(delays.problems.join('\n'));
  const loadAvgAtStart = loadavg();
  let cluster: Cluster | undefined;
  let control: FlexPaxosClient | undefined;
  const workers: KvWorker[] = [];
  try {
    cluster = await startCluster({
      nodes,
      replication,
      election,
      thrifty: options.thrifty,
      linkDelays: delays.value,
    });
    const c = cluster;
    control = await FlexPaxosClient.connect({
      servers: [c.natsUrl],
      cluster: c.clusterName,
      timeoutMs: 10_000,
      name: 'flexpaxos-bench-control',
    });
    const leader = await waitLeader(control, 30_000);
    say(`cluster N=${nodes} P=${replication} L=${election} up, leader ${leader}`);
    const spawn = (role: KvWorkerConfig['role']): KvWorker => {
      const cfg: KvWorkerConfig = { role, servers: [c.natsUrl], cluster: c.clusterName };
      const w = new Worker<FromKvWorker, ToKvWorker>(
        spawnWorkerProcess(
          `kv ${role}`,
          [...kvWorkerCommand(), JSON.stringify(cfg), 'flexpaxos-sweep-kv'],
          REPO_ROOT,
        ),
      );
      workers.push(w);
      return w;
    };
    const clientProc = spawn('client');
    const watcherProc = spawn('watchers');
    await Promise.all(workers.map((w) => w.next('hello', 60_000)));
    const cpuProcesses: CpuProcess[] = [
      ...[...c.nodes].map(([id, ch]): CpuProcess => ({
        name: `node ${id}`,
        role: 'nodes',
        pgid: ch.pgid,
      })),
      { name: 'nats', role: 'broker', pgid: c.broker.pgid },
      { name: 'kv client', role: 'clients', pgid: clientProc.child.pgid },
      { name: 'kv watchers', role: 'clients', pgid: watcherProc.child.pgid },
    ];
    const cpuOn = procCpuAvailable();

    /**
     * Sets up `phase` on `worker`, starts it, runs the warm-up and the window (in which
     * `alsoMeasured`, already set up, is measured too); the reports of `worker`, then of
     * `alsoMeasured`, and the CPU of every process over the window.
     */
    const measure = async (
      worker: KvWorker,
      phase: KvPhase,
      opsOf: (report: KvReport) => number,
      alsoMeasured: readonly KvWorker[] = [],
    ): Promise<{ reports: KvReport[]; cpu: KvCpu }> => {
      worker.send({ type: 'setup', phase });
      await worker.next('ready', 180_000);
      worker.send({ type: 'start' });
      await sleep(options.warmupS * 1000);
      const all = [worker, ...alsoMeasured];
      const start = cpuOn ? readGroupTicks(cpuProcesses.map((p) => p.pgid)) : undefined;
      const t0 = performance.now();
      for (const w of all) w.send({ type: 'measure' });
      await sleep(options.durationS * 1000);
      for (const w of all) w.send({ type: 'report' });
      const end = cpuOn ? readGroupTicks(cpuProcesses.map((p) => p.pgid)) : undefined;
      const windowS = (performance.now() - t0) / 1000;
      const reports = await Promise.all(all.map((w) => w.next('report', 30_000)));
      const first = reports[0];
      const summary =
        start === undefined || end === undefined
          ? undefined
          : summarizeCpu(
              cpuProcesses,
              start,
              end,
              clockTicksPerSecond(),
              windowS,
              first === undefined ? 0 : opsOf(first),
            );
      return {
        reports,
        cpu: {
          cpuUsPerOp: summary?.cpuUsPerWrite ?? null,
          cpuCoresBusy: summary?.cpuCoresBusy ?? null,
          processes: summary?.processes ?? [],
        },
      };
    };
    const finish = async (
      worker: KvWorker,
      extra: Omit<Extract<ToKvWorker, { type: 'finish' }>, 'type'> = {},
    ): Promise<Extract<FromKvWorker, { type: 'finished' }>> => {
      worker.send({ type: 'finish', ...extra });
      return await worker.next('finished', KV_DRAIN_TIMEOUT_MS + 30_000);
    };

    const fanout: KvFanout[] = [];
    let baseline: number | null = null;
    for (const watchers of [0, ...options.watchers]) {
      onStep(`fanout ${watchers}`);
      const prefix = `kv/fanout-${watchers}/`;
      const write: KvPhase = {
        kind: 'write',
        prefix,
        clients,
        valueSizeBytes: options.valueSizeBytes,
      };
      const watch: KvPhase = {
        kind: 'watch',
        prefix,
        watchers,
        nodes: [...c.nodes.keys()],
        loops: clients,
      };
      say(`fan-out to ${watchers} watcher${watchers === 1 ? '' : 's'}`);
      const countersBefore = await readNodeWatchCounters(c);
      // The watchers are set up (every watch created) before the writer starts.
      if (watchers > 0) {
        watcherProc.send({ type: 'setup', phase: watch });
        await watcherProc.next('ready', 180_000);
      }
      const { reports, cpu } = await measure(
        clientProc,
        write,
        (r) => r.ops,
        watchers > 0 ? [watcherProc] : [],
      );
      const [w, v] = reports;
      if (w === undefined) throw new Error('no writer report');
      const writerDone = await finish(clientProc);
      const watchDone =
        watchers > 0
          ? await finish(watcherProc, {
              finalSeq: writerDone.finalSeq ?? [],
              drainTimeoutMs: KV_DRAIN_TIMEOUT_MS,
            })
          : undefined;
      const nodeCounters = counterDelta(countersBefore, await readNodeWatchCounters(c));
      const writes = summarize(mergeHistograms([w.histogram]));
      const writesPerSec = (w.ops * 1000) / w.windowMs;
      if (watchers === 0) baseline = writesPerSec;
      const lag = v === undefined ? undefined : summarize(mergeHistograms([v.histogram]));
      const eventsPerSec = v === undefined ? null : (v.ops * 1000) / v.windowMs;
      const integrity = watchDone?.watch ?? null;
      const row: KvFanout = {
        watchers,
        writesPerSec: round(writesPerSec),
        writesVsNoWatchers: baseline === null ? null : round(writesPerSec / baseline, 2),
        writeP50Ms: writes.p50Ms,
        writeP99Ms: writes.p99Ms,
        writeErrors: writerDone.errors,
        eventsPerSec: eventsPerSec === null ? null : round(eventsPerSec),
        eventsPerSecPerWatcher: eventsPerSec === null ? null : round(eventsPerSec / watchers),
        deliveredShare:
          eventsPerSec === null || writesPerSec === 0
            ? null
            : round(eventsPerSec / (writesPerSec * watchers), 3),
        lagP50Ms: lag?.p50Ms ?? null,
        lagP99Ms: lag?.p99Ms ?? null,
        lagP999Ms: lag?.p999Ms ?? null,
        lagMaxMs: lag?.maxMs ?? null,
        eventsInWindow: v?.ops ?? 0,
        cpuUsPerEvent:
          v === undefined || v.ops === 0 || cpu.processes.length === 0
            ? null
            : round((cpu.processes.reduce((sum, p) => sum + p.cpuMs, 0) * 1000) / v.ops, 1),
        integrity,
        nodeCounters,
        writerCpuPct: round(w.cpuPct),
        watcherCpuPct: v === undefined ? null : round(v.cpuPct),
        cpu,
      };
      fanout.push(row);
      say(
        `  ${row.writesPerSec} writes/s (p99 ${row.writeP99Ms ?? '-'} ms)` +
          (row.eventsPerSec === null
            ? ''
            : `, ${row.eventsPerSec} events/s delivered, lag p50 ${row.lagP50Ms ?? '-'} ms p99 ${row.lagP99Ms ?? '-'} ms` +
              `; nodes: ${nodeCounters === null ? '?' : `${nodeCounters.created} created, ${nodeCounters.slowCancels} slow cancels, ${nodeCounters.expired} expired, ${nodeCounters.framesSent} frames`}` +
              `; ${integrity?.complete ?? 0}/${watchers} watchers complete after ${integrity?.drainMs ?? '-'} ms, ${integrity?.gaps ?? 0} gaps, ${integrity?.duplicates ?? 0} duplicates, ${integrity?.revisionRegressions ?? 0} revision regressions` +
              ((integrity?.errorSamples.length ?? 0) > 0
                ? ` (${integrity?.errorSamples.join('; ') ?? ''})`
                : '')),
      );
    }

    onStep('keepalive');
    say(`keep-alives: ${KV_LEASES} leases, ${clients} callers`);
    const ka = await measure(
      clientProc,
      { kind: 'keepalive', callers: clients, leases: KV_LEASES, ttlMs: KV_LEASE_TTL_MS },
      (r) => r.ops,
    );
    const kaDone = await finish(clientProc);
    const kaReport = ka.reports[0];
    if (kaReport === undefined) throw new Error('no keep-alive report');
    const kaLat = summarize(mergeHistograms([kaReport.histogram]));
    const byRole =
      ka.cpu.cpuUsPerOp === null || kaReport.ops === 0
        ? null
        : Object.fromEntries(
            (['nodes', 'broker', 'clients'] as const).map((role) => [
              role,
              round(
                (ka.cpu.processes.filter((p) => p.role === role).reduce((s, p) => s + p.cpuMs, 0) *
                  1000) /
                  kaReport.ops,
                1,
              ),
            ]),
          );
    const keepalive: KvKeepalive = {
      leases: KV_LEASES,
      ttlMs: KV_LEASE_TTL_MS,
      callers: clients,
      keepalivesPerSec: round((kaReport.ops * 1000) / kaReport.windowMs),
      p50Ms: kaLat.p50Ms,
      p99Ms: kaLat.p99Ms,
      p999Ms: kaLat.p999Ms,
      errors: kaDone.errors,
      errorsByCode: kaReport.errorsByCode,
      clientCpuPct: round(kaReport.cpuPct),
      cpuUsPerKeepalive: ka.cpu.cpuUsPerOp,
      cpuUsPerKeepaliveByRole: byRole,
      cpu: ka.cpu,
    };
    say(
      `  ${keepalive.keepalivesPerSec} keep-alives/s, p50 ${keepalive.p50Ms ?? '-'} ms p99 ${keepalive.p99Ms ?? '-'} ms, ${keepalive.cpuUsPerKeepalive ?? '-'} cpu µs/keep-alive`,
    );

    const txnPhase = async (
      name: string,
      n: number,
      keys: number,
      step: KvStep,
    ): Promise<KvTxn> => {
      onStep(step);
      say(`transactions: ${n} clients on ${keys} keys`);
      const r = await measure(
        clientProc,
        {
          kind: 'txn',
          prefix: `kv/txn-${name}/`,
          clients: n,
          keys,
          valueSizeBytes: options.valueSizeBytes,
        },
        (rep) => rep.ops,
      );
      const done = await finish(clientProc);
      const rep = r.reports[0];
      if (rep === undefined) throw new Error('no transaction report');
      const lat = summarize(mergeHistograms([rep.histogram]));
      const t: KvTxn = {
        clients: n,
        keys,
        txnsPerSec: round((rep.ops * 1000) / rep.windowMs),
        committedPerSec: round((rep.succeeded * 1000) / rep.windowMs),
        successRatio: rep.ops === 0 ? null : round(rep.succeeded / rep.ops, 4),
        p50Ms: lat.p50Ms,
        p99Ms: lat.p99Ms,
        p999Ms: lat.p999Ms,
        errors: done.errors,
        clientCpuPct: round(rep.cpuPct),
        cpu: r.cpu,
      };
      say(
        `  ${t.txnsPerSec} txns/s, ${t.committedPerSec} committed/s (success ratio ${t.successRatio ?? '-'}), p50 ${t.p50Ms ?? '-'} ms p99 ${t.p99Ms ?? '-'} ms`,
      );
      return t;
    };
    const txnOwnKeys = await txnPhase('own', clients, clients, 'txn own keys');
    const txnHotKeys = await txnPhase('hot', KV_HOT_CLIENTS, KV_HOT_KEYS, 'txn hot keys');
    onStep('done');
    return {
      systemVersion: flexPaxosVersion(),
      nodes,
      replication,
      election,
      leader,
      clients,
      valueSizeBytes: options.valueSizeBytes,
      warmupS: options.warmupS,
      durationS: options.durationS,
      watcherPlacement:
        'one watcher process (one FlexPaxosClient), separate from the writer process; watcher i created at node (i mod N) + 1',
      lagMeasuredFrom: 'the put being sent (its send time is in the value) to the event arriving',
      fanout,
      keepalive,
      txnOwnKeys,
      txnHotKeys,
      loadAvgAtStart,
      loadAvgAtEnd: loadavg(),
    };
  } finally {
    for (const w of workers) w.send({ type: 'stop' });
    await Promise.all(
      workers.map((w) => Promise.race([w.child.exited, sleep(2_000)]).then(() => w.child.kill())),
    );
    await control?.close().catch(() => undefined);
    await cluster?.stop();
  }
}

function n(v: number | null, digits = 0): string {
  if (v === null) return '-';
  return digits === 0
    ? Math.round(v).toLocaleString('en-US')
    : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(v: number | null): string {
  return v === null ? '-' : v.toFixed(2);
}

/** The result as three Markdown tables (fan-out, keep-alives, transactions). */
export function formatKvTable(r: KvResult): string {
  const fan = [
    `Watch fan-out: N=${r.nodes} P=${r.replication} L=${r.election}, writer ${r.clients} closed-loop clients putting ${r.valueSizeBytes}-byte values (one process), watchers in a separate process spread over the nodes; lag from the put being sent to the event arriving`,
    '',
    '| watchers | writes/s | vs 0 watchers | write p50 ms | write p99 ms | events/s delivered | events/s per watcher | delivered share | lag p50 ms | lag p99 ms | drain ms | complete | gaps | duplicates | resumes |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...r.fanout.map((f) => {
      const i = f.integrity;
      const cells = [
        String(f.watchers),
        n(f.writesPerSec),
        f.writesVsNoWatchers === null ? '-' : f.writesVsNoWatchers.toFixed(2),
        ms(f.writeP50Ms),
        ms(f.writeP99Ms),
        n(f.eventsPerSec),
        n(f.eventsPerSecPerWatcher),
        f.deliveredShare === null ? '-' : f.deliveredShare.toFixed(2),
        ms(f.lagP50Ms),
        ms(f.lagP99Ms),
        i === null ? '-' : n(i.drainMs),
        i === null ? '-' : `${i.complete}/${i.watchers}`,
        i === null ? '-' : String(i.gaps),
        i === null ? '-' : String(i.duplicates),
        i === null ? '-' : String(i.resumes),
      ];
      return `| ${cells.join(' | ')} |`;
    }),
  ];
  const k = r.keepalive;
  const ka = [
    `Lease keep-alives: one client process, ${k.callers} concurrent callers on ${k.leases} leases; CPU of every process (nodes, nats-server, both worker processes)`,
    '',
    '| leases | callers | keep-alives/s | p50 ms | p99 ms | errors | cpu µs/keep-alive | of which nodes | cores busy |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    `| ${k.leases} | ${k.callers} | ${n(k.keepalivesPerSec)} | ${ms(k.p50Ms)} | ${ms(k.p99Ms)} | ${k.errors} | ${n(k.cpuUsPerKeepalive, 1)} | ${n(k.cpuUsPerKeepaliveByRole?.['nodes'] ?? null, 1)} | ${n(k.cpu.cpuCoresBusy, 2)} |`,
  ];
  const txnRow = (t: KvTxn): string =>
    `| ${t.clients} | ${t.keys} | ${n(t.txnsPerSec)} | ${n(t.committedPerSec)} | ${t.successRatio === null ? '-' : t.successRatio.toFixed(3)} | ${ms(t.p50Ms)} | ${ms(t.p99Ms)} | ${t.errors} | ${n(t.cpu.cpuUsPerOp, 1)} |`;
  const tx = [
    'Compare-and-swap transactions (compare mod-revision; success: put, get; failure: get), one client process',
    '',
    '| clients | keys | txns/s | committed/s | success ratio | p50 ms | p99 ms | errors | cpu µs/txn |',
    '| --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    txnRow(r.txnOwnKeys),
    txnRow(r.txnHotKeys),
  ];
  return [...fan, '', ...ka, '', ...tx].join('\n');
}

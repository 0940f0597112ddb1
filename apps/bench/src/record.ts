/**
 * The result of one benchmark point, as written to `--json` and shown in the table: the system
 * and the point (N, P, L, clients, thrifty, delays), throughput and latency over the measured
 * window of every client process (histograms merged), errors, the CPU of every process
 * involved per acknowledged write, and failover time when asked.
 */
import { mergeHistograms, summarize } from './histogram.js';
import type { LinkDelayMatrix } from './delay.js';
import type { BenchPoint } from './plan.js';
import type { CpuRole, CpuSummary, ProcessCpu } from './proc-cpu.js';
import type { BenchSystem } from './system.js';
import type { WorkerReport } from './worker-protocol.js';

/** One point's record (`--json` holds one per point). Latencies in ms, rates per second. */
export interface BenchRecord {
  /** The system measured (`flexpaxos`, or a `--compare` system). */
  readonly system: BenchSystem;
  /** What ran, e.g. `flexpaxos 0.1.0 (from source)`, `nats-server v2.9.10`, `etcd 3.4.23`. */
  readonly systemVersion: string;
  /** Servers (FlexPaxos nodes, nats-servers, etcd members). */
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly clients: number;
  readonly clientProcesses: number;
  readonly thrifty: boolean;
  /** The `--delay` variant (`none`, `2`, `node:...`, `zones:...`). */
  readonly delays: string;
  /** One-way delay of link i -> j at `[i - 1][j - 1]`, ms. */
  readonly linkDelaysMs: LinkDelayMatrix;
  readonly valueSizeBytes: number;
  readonly readRatio: number;
  readonly readMode: string;
  readonly warmupS: number;
  /** Measured window (mean over client processes), seconds. */
  readonly durationS: number;
  /** All operations (writes and reads) acknowledged per second. */
  readonly opsPerSec: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number | null;
  /** Operations that failed (timeout, unavailable, ...) in the window. */
  readonly errors: number;
  readonly errorsByCode: Readonly<Record<string, number>>;
  readonly writeOpsPerSec: number;
  readonly writeP50Ms: number | null;
  readonly writeP99Ms: number | null;
  readonly writeP999Ms: number | null;
  /** Read figures: null when `readRatio` is 0. */
  readonly readOpsPerSec: number | null;
  readonly readP50Ms: number | null;
  readonly readP99Ms: number | null;
  readonly readP999Ms: number | null;
  /** Leader during the window (node id). */
  readonly leader: number | null;
  /** Kill -9 of the leader to the first acknowledged write issued after it, ms (null: not asked, or none within the wait). */
  readonly failoverMs: number | null;
  /** Busiest client process's CPU over the window, % of one core (near 100: the client may be the bottleneck). */
  readonly clientCpuMaxPct: number;
  /**
   * CPU time (utime + stime, `/proc/PID/stat`) of every process involved — nodes, broker,
   * client processes — over the window, in µs per acknowledged write. Null without writes or
   * without `/proc`.
   */
  readonly cpuUsPerWrite: number | null;
  /** `cpuUsPerWrite` split by role (`broker`: the FlexPaxos nats-server; 0 for systems without one). */
  readonly cpuUsPerWriteByRole: Readonly<Record<CpuRole, number>> | null;
  /** CPU seconds of all those processes per second of window: cores kept busy (the machine's count is in the meta). */
  readonly cpuCoresBusy: number | null;
  /** CPU of each process over the window. */
  readonly cpuProcesses: readonly ProcessCpu[];
  /** 1-minute load average of the machine at the end of the window. */
  readonly loadAvg1: number;
  readonly startedAt: string;
}

/** What besides the point and the reports goes into a record. */
export interface RecordContext {
  readonly systemVersion: string;
  /** CPU over the window (null: `/proc` unavailable). */
  readonly cpu: CpuSummary | null;
  readonly thrifty: boolean;
  readonly linkDelaysMs: LinkDelayMatrix;
  readonly valueSizeBytes: number;
  readonly readRatio: number;
  readonly readMode: string;
  readonly warmupS: number;
  readonly leader: number | null;
  readonly failoverMs: number | null;
  readonly loadAvg1: number;
  readonly startedAt: string;
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Builds a point's record from every client process's report (histograms merged, counts summed). */
export function buildRecord(
  point: BenchPoint,
  reports: readonly WorkerReport[],
  ctx: RecordContext,
): BenchRecord {
  if (reports.length === 0) throw new Error('buildRecord: no client reports');
  const windowS = reports.reduce((s, r) => s + r.windowMs, 0) / reports.length / 1000;
  const writes = reports.reduce((s, r) => s + r.writes, 0);
  const reads = reports.reduce((s, r) => s + r.reads, 0);
  const errorsByCode: Record<string, number> = {};
  for (const r of reports) {
    for (const [code, n] of Object.entries(r.errorsByCode))
      errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  }
  const all = mergeHistograms(reports.map((r) => r.allHistogram));
  const w = mergeHistograms(reports.map((r) => r.writeHistogram));
  const rd = mergeHistograms(reports.map((r) => r.readHistogram));
  const sAll = summarize(all);
  const sW = summarize(w);
  const sR = summarize(rd);
  for (const h of [all, w, rd]) h.destroy();
  const hasReads = ctx.readRatio > 0;
  return {
    system: point.system,
    systemVersion: ctx.systemVersion,
    nodes: point.nodes,
    replication: point.replication,
    election: point.election,
    clients: point.clients,
    clientProcesses: reports.length,
    thrifty: ctx.thrifty,
    delays: point.delay.label,
    linkDelaysMs: ctx.linkDelaysMs,
    valueSizeBytes: ctx.valueSizeBytes,
    readRatio: ctx.readRatio,
    readMode: ctx.readMode,
    warmupS: ctx.warmupS,
    durationS: round(windowS, 3),
    opsPerSec: round((writes + reads) / windowS),
    p50Ms: sAll.p50Ms,
    p99Ms: sAll.p99Ms,
    p999Ms: sAll.p999Ms,
    maxMs: sAll.maxMs,
    errors: reports.reduce((s, r) => s + r.errors, 0),
    errorsByCode,
    writeOpsPerSec: round(writes / windowS),
    writeP50Ms: sW.p50Ms,
    writeP99Ms: sW.p99Ms,
    writeP999Ms: sW.p999Ms,
    readOpsPerSec: hasReads ? round(reads / windowS) : null,
    readP50Ms: hasReads ? sR.p50Ms : null,
    readP99Ms: hasReads ? sR.p99Ms : null,
    readP999Ms: hasReads ? sR.p999Ms : null,
    leader: ctx.leader,
    failoverMs: ctx.failoverMs === null ? null : Math.round(ctx.failoverMs),
    clientCpuMaxPct: Math.round(Math.max(...reports.map((r) => r.cpuPct))),
    cpuUsPerWrite: ctx.cpu?.cpuUsPerWrite ?? null,
    cpuUsPerWriteByRole: ctx.cpu?.cpuUsPerWriteByRole ?? null,
    cpuCoresBusy: ctx.cpu?.cpuCoresBusy ?? null,
    cpuProcesses: ctx.cpu?.processes ?? [],
    loadAvg1: round(ctx.loadAvg1, 2),
    startedAt: ctx.startedAt,
  };
}

/** The keys every record has, in order (tests check the JSON shape against it). */
export const RECORD_KEYS: readonly (keyof BenchRecord)[] = [
  'system',
  'systemVersion',
  'nodes',
  'replication',
  'election',
  'clients',
  'clientProcesses',
  'thrifty',
  'delays',
  'linkDelaysMs',
  'valueSizeBytes',
  'readRatio',
  'readMode',
  'warmupS',
  'durationS',
  'opsPerSec',
  'p50Ms',
  'p99Ms',
  'p999Ms',
  'maxMs',
  'errors',
  'errorsByCode',
  'writeOpsPerSec',
  'writeP50Ms',
  'writeP99Ms',
  'writeP999Ms',
  'readOpsPerSec',
  'readP50Ms',
  'readP99Ms',
  'readP999Ms',
  'leader',
  'failoverMs',
  'clientCpuMaxPct',
  'cpuUsPerWrite',
  'cpuUsPerWriteByRole',
  'cpuCoresBusy',
  'cpuProcesses',
  'loadAvg1',
  'startedAt',
];

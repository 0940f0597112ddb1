import { NO_DELAY, encodeHistogram, newLatencyHistogram, recordMs } from '../src/index.js';
import type { BenchPoint, BenchRecord, WorkerReport } from '../src/index.js';

/** A synthetic client report: `writes` ops at `writeMs`, `reads` at `readMs`, over `windowMs`. */
export function report(
  index: number,
  o: {
    writes: number;
    reads?: number;
    writeMs: number;
    readMs?: number;
    windowMs: number;
    errors?: Record<string, number>;
  },
): WorkerReport {
  const w = newLatencyHistogram();
  const r = newLatencyHistogram();
  const all = newLatencyHistogram();
  for (let i = 0; i < o.writes; i++) {
    recordMs(w, o.writeMs);
    recordMs(all, o.writeMs);
  }
  for (let i = 0; i < (o.reads ?? 0); i++) {
    recordMs(r, o.readMs ?? 1);
    recordMs(all, o.readMs ?? 1);
  }
  const errors = o.errors ?? {};
  return {
    type: 'report',
    index,
    windowMs: o.windowMs,
    writes: o.writes,
    reads: o.reads ?? 0,
    errors: Object.values(errors).reduce((s, n) => s + n, 0),
    errorsByCode: errors,
    writeHistogram: encodeHistogram(w),
    readHistogram: encodeHistogram(r),
    allHistogram: encodeHistogram(all),
    cpuPct: 10 + index,
  };
}

/** A point of N, P (L = N - P + 1), 64 clients, no delay. */
export function point(nodes: number, replication: number): BenchPoint {
  return {
    system: 'flexpaxos',
    nodes,
    replication,
    election: nodes - replication + 1,
    clients: 64,
    delay: NO_DELAY,
  };
}

/** A plausible record for charts and tables. */
export function fakeRecord(
  nodes: number,
  replication: number,
  opsPerSec: number,
  p99Ms: number,
): BenchRecord {
  return {
    system: 'flexpaxos',
    systemVersion: 'flexpaxos 0.1.0',
    nodes,
    replication,
    election: nodes - replication + 1,
    clients: 64,
    clientProcesses: 1,
    thrifty: false,
    delays: 'none',
    linkDelaysMs: [],
    valueSizeBytes: 100,
    readRatio: 0,
    readMode: 'lease',
    warmupS: 2,
    durationS: 5,
    opsPerSec,
    p50Ms: p99Ms / 3,
    p99Ms,
    p999Ms: p99Ms * 2,
    maxMs: p99Ms * 3,
    errors: 0,
    errorsByCode: {},
    writeOpsPerSec: opsPerSec,
    writeP50Ms: p99Ms / 3,
    writeP99Ms: p99Ms,
    writeP999Ms: p99Ms * 2,
    readOpsPerSec: null,
    readP50Ms: null,
    readP99Ms: null,
    readP999Ms: null,
    leader: 1,
    failoverMs: null,
    clientCpuMaxPct: 20,
    cpuUsPerWrite: 150,
    cpuUsPerWriteByRole: { nodes: 100, broker: 20, clients: 30 },
    cpuCoresBusy: 1.5,
    cpuProcesses: [],
    loadAvg1: 1.5,
    startedAt: '2026-11-29T10:40:00.000Z',
  };
}

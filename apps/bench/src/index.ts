/**
 * `@flexpaxos/bench`: the benchmark program (`pnpm bench`, `src/cli.ts`) and its parts, exported
 * for tests and for scripts that want to run points themselves.
 */
export {
  FULL_DEFAULTS,
  QUICK_DEFAULTS,
  USAGE,
  parseBenchArgs,
  parseIntList,
  parseSeconds,
} from './args.js';
export type { BenchOptions, BenchReadMode, ParsedArgs } from './args.js';
export { chartSpec, renderChart, variantLabel } from './chart.js';
export { FROM_SOURCE, REPO_ROOT, nodeArgs, serverCommand, startCluster } from './cluster.js';
export type { Cluster, ClusterSpec } from './cluster.js';
export { NO_DELAY, linkDelays, nodeDelayFlags, parseDelay, parseZoneDelay } from './delay.js';
export type { DelaySpec, DelayVariant, LinkDelayMatrix, Parsed, ZoneDelay } from './delay.js';
export {
  LATENCY_MAX_US,
  encodeHistogram,
  mergeHistograms,
  newLatencyHistogram,
  recordMs,
  summarize,
} from './histogram.js';
export type { LatencySummary } from './histogram.js';
export { POINT_OVERHEAD_S, estimateSeconds, planPoints, quorumPairs } from './plan.js';
export type { BenchPoint, Plan, PlanInput } from './plan.js';
export { installCleanupHandlers, killAllNow, liveChildPids } from './processes.js';
export type { Child } from './processes.js';
export { RECORD_KEYS, buildRecord } from './record.js';
export type { BenchRecord, RecordContext } from './record.js';
export { runPoint, splitClients } from './run-point.js';
export type { PointPhase, PointSettings } from './run-point.js';
export { formatTable } from './table.js';
export { epochMs } from './worker-protocol.js';
export type { FromWorker, ToWorker, WorkerConfig, WorkerReport } from './worker-protocol.js';

/**
 * `@flexpaxos/bench`: the benchmark program (`pnpm bench`, `src/cli.ts`) and its parts, exported
 * for tests and for scripts that want to run points themselves.
 */
export {
  FULL_DEFAULTS,
  KV_DEFAULTS,
  QUICK_DEFAULTS,
  USAGE,
  parseBenchArgs,
  parseIntList,
  parseSeconds,
} from './args.js';
export type { BenchOptions, BenchReadMode, ParsedArgs } from './args.js';
export { connectAdapter } from './adapters.js';
export type { AdapterOptions, ClientTarget, KvClientAdapter } from './adapters.js';
export { chartSpec, compareChartSpec, renderChart, seriesLabel, variantLabel } from './chart.js';
export {
  FROM_SOURCE,
  REPO_ROOT,
  flexPaxosVersion,
  nodeArgs,
  serverCommand,
  startCluster,
} from './cluster.js';
export type { Cluster, ClusterSpec } from './cluster.js';
export { NO_DELAY, linkDelays, nodeDelayFlags, parseDelay, parseZoneDelay } from './delay.js';
export type { DelaySpec, DelayVariant, LinkDelayMatrix, Parsed, ZoneDelay } from './delay.js';
export {
  ETCD_INSTALL_HINT,
  EtcdNotFoundError,
  etcdMemberArgs,
  findEtcd,
  startEtcdCluster,
} from './etcd-cluster.js';
export type { FindEtcdOptions } from './etcd-cluster.js';
export {
  LATENCY_MAX_US,
  encodeHistogram,
  mergeHistograms,
  newLatencyHistogram,
  recordMs,
  summarize,
} from './histogram.js';
export type { LatencySummary } from './histogram.js';
export {
  KV_DRAIN_TIMEOUT_MS,
  KV_HOT_CLIENTS,
  KV_HOT_KEYS,
  KV_LEASES,
  KV_LEASE_TTL_MS,
  formatKvTable,
  runKvBench,
} from './kv.js';
export type { KvCpu, KvFanout, KvKeepalive, KvResult, KvStep, KvTxn } from './kv.js';
export type {
  FromKvWorker,
  KvPhase,
  KvReport,
  KvWorkerConfig,
  ToKvWorker,
  WatchIntegrity,
} from './kv-protocol.js';
export { NATS_KV_BUCKET, natsKvServerArgs, startNatsKvCluster } from './natskv-cluster.js';
export { POINT_OVERHEAD_S, estimateSeconds, planPoints, quorumPairs } from './plan.js';
export type { BenchPoint, Plan, PlanInput } from './plan.js';
export {
  ProcCpuError,
  clockTicksPerSecond,
  groupDeltaTicks,
  parseProcStat,
  procCpuAvailable,
  readGroupTicks,
  readProcStat,
  summarizeCpu,
} from './proc-cpu.js';
export type {
  CpuProcess,
  CpuRole,
  CpuSummary,
  GroupTicks,
  ProcStat,
  ProcessCpu,
} from './proc-cpu.js';
export { installCleanupHandlers, killAllNow, liveChildPids } from './processes.js';
export type { Child } from './processes.js';
export { RECORD_KEYS, buildRecord } from './record.js';
export type { BenchRecord, RecordContext } from './record.js';
export { Worker, runPoint, splitClients } from './run-point.js';
export type { PointPhase, PointSettings } from './run-point.js';
export { retryUntil, waitListening } from './system-cluster.js';
export type { SystemCluster } from './system-cluster.js';
export {
  COMPARE_SYSTEMS,
  NATS_KV_MAX_REPLICAS,
  isCompareSystem,
  majority,
  systemName,
} from './system.js';
export type { BenchSystem, CompareSystem } from './system.js';
export { formatTable } from './table.js';
export { epochMs } from './worker-protocol.js';
export type { FromWorker, ToWorker, WorkerConfig, WorkerReport } from './worker-protocol.js';

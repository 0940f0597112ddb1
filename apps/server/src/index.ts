export { FlexPaxosNode } from './node.js';
export type { StopReason } from './node.js';
export {
  CONFIG_DEFAULTS,
  CONFIG_FIELDS,
  formatProblems,
  gatherConfig,
  validateConfig,
} from './config.js';
export type { ConfigField, ConfigProblem, NodeConfig, RawConfig } from './config.js';
export { jsonLogger } from './logger.js';
export type { LogLevel, Logger } from './logger.js';
export {
  Histogram,
  LATENCY_BUCKETS_S,
  NODE_HISTOGRAMS,
  NODE_METRICS,
  NodeMetrics,
  processMetricsRegistry,
} from './metrics.js';
export type {
  HistogramDefinition,
  MetricDefinition,
  NodeHistograms,
  NodeIdentity,
  NodeMetricsSource,
  RoleCounts,
} from './metrics.js';
export {
  CLUSTER_FILE_NAME,
  ClusterFileError,
  DEFAULT_CLUSTER_DIR,
  clusterFilePath,
  isLauncherAlive,
  isProcessAlive,
  readClusterFile,
  resolveClusterTarget,
  writeClusterFile,
} from './cluster-file.js';
export type { ClusterFile, ClusterFileNode } from './cluster-file.js';
export { NATS_INSTALL_HINT, runStart } from './launcher.js';
export type { StartOptions } from './launcher.js';
export { LEASE_RETRIES_MAX, ReadServer, leaseReport, leaseSummary } from './reads.js';
export type {
  LeaseReport,
  ReadCounts,
  ReadOp,
  ReadableReplica,
  ServerStatusReport,
} from './reads.js';

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
export { Histogram, LATENCY_BUCKETS_S, renderPrometheus } from './metrics.js';
export type { MetricSample } from './metrics.js';

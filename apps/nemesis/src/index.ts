/**
 * `@flexpaxos/nemesis`: Jepsen-style fault tests of real `flexpaxos node` processes
 * (`pnpm nemesis`, `src/cli.ts`), and its parts, exported for tests and scripts.
 */
export {
  DEFAULTS,
  FAULT_KINDS,
  SABOTAGES,
  USAGE,
  parseNemesisArgs,
  replayCommand,
} from './args.js';
export type { FaultKind, NemesisOptions, ParsedNemesisArgs, Sabotage } from './args.js';
export { checkDurability } from './checks/durability.js';
export { checkExactlyOnce } from './checks/exactly-once.js';
export { checkLinearizable, inWindows } from './checks/linearizability.js';
export type { ExcusedWindow } from './checks/linearizability.js';
export { byKey, effectiveWrite, formatOp } from './checks/report.js';
export type { CheckReport, CheckStatus, EffectiveWrite } from './checks/report.js';
export { checkStaleReads, findStaleReads } from './checks/stale-reads.js';
export type { StaleReads } from './checks/stale-reads.js';
export {
  CLUSTER_NAME,
  NemesisCluster,
  REPO_ROOT,
  SERVER_CLI,
  buildProblems,
  compareBallotText,
} from './cluster.js';
export type { ClusterSpec } from './cluster.js';
export { Nemesis, clockRateBounds } from './faults.js';
export type { FaultCounts, NemesisContext, SkewWindow } from './faults.js';
export { History, isWrite, keyOf, toCheckerOps } from './history.js';
export type { HistoryOp, NemesisEvent, Outcome, ReadMode } from './history.js';
export { runLeaseNemesis } from './lease-nemesis.js';
export type { LeaseNemesisContext, LeaseNemesisRun } from './lease-nemesis.js';
export { NemesisNode, fileTail, nodeDataDir, nodeFlags } from './node-process.js';
export type {
  NodeClock,
  NodeSettings,
  NodeState,
  NodeStatus,
  UnexpectedExit,
} from './node-process.js';
export { PARTITION_SHAPES, cutsBetween, drawLinks, drawPartition } from './partitions.js';
export type { PartitionPlan, PartitionShape } from './partitions.js';
export { installSignalHandlers, killAllNow, liveGroups, spawnTracked } from './processes.js';
export { TcpProxy } from './proxy.js';
export { defaultOutDir, runNemesis } from './run.js';
export type { NemesisResult } from './run.js';
export { NOWHERE, NatsTopology, pair } from './topology.js';
export type { Pair, TopologyOptions } from './topology.js';
export { Workload } from './workload.js';
export type { WorkloadOptions } from './workload.js';

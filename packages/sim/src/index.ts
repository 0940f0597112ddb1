export { Prng, ratio, NEVER } from './prng.js';
export type { Ratio } from './prng.js';
export { InvariantChecker, INVARIANTS } from './checker.js';
export type { InvariantNumber, Violation } from './checker.js';
export { SimCluster, SimNode, defaultClusterConfig } from './cluster.js';
export type {
  ClusterConfig,
  ClusterLeaseConfig,
  Sabotage,
  ApplyListener,
  PendingRead,
  ReadListener,
  ReadFailedListener,
  ReadOutcome,
} from './cluster.js';
export { SimNetwork, describePartition } from './network.js';
export type { NetworkConfig, Partition, PartitionKind } from './network.js';
export { SimDisk } from './disk.js';
export type { DurableState } from './disk.js';
export { SimStateMachine } from './state-machine.js';
export type { ApplyOutcome, CommandOutcome } from './state-machine.js';
export { encodeCommand, encodeWrite, commandId, valueKey, describeValue, bytesToText, textToBytes } from './commands.js';
export { ClientContext, SimClient } from './clients.js';
export type { ClientConfig, ClientReadMode } from './clients.js';
export { SimClock } from './clock.js';
export { FaultInjector, drawPartition } from './faults.js';
export type { FaultConfig, FaultCounts } from './faults.js';
export { runSeed, resolveShape, replayCommand, drawLease } from './simulation.js';
export type { SeedOptions, SeedResult, Shape } from './simulation.js';
export { runSeeds } from './run.js';
export type { RunOptions, RunSummary } from './run.js';
export { unsafeCountingQuorum } from './unsafe-quorum.js';
export { formatMessage, formatPersist, formatValue } from './format.js';
export { runTraceScript, runTraceFile, TRACE_SEPARATOR } from './trace.js';
export type { TraceResult } from './trace.js';
export { paxosReplicaFactory } from './paxos-factory.js';
export { compareBallots, formatBallot } from './core-types.js';
export type {
  ReplicaFactory,
  SimAcceptedEntry,
  SimBallot,
  SimChosenEntry,
  SimHardState,
  SimLeaseOptions,
  SimMonotonicClock,
  SimReadMode,
  SimReadResult,
  SimMessage,
  SimPersistRequest,
  SimProposeResult,
  SimReady,
  SimRecoveredState,
  SimReplica,
  SimReplicaOptions,
  SimSlotValue,
  SimSnapshot,
} from './core-types.js';

export { AssertionError, assert } from './assert.js';
export { ZERO_BALLOT, ballotEquals, compareBallots, formatBallot, maxBallot } from './ballot.js';
export {
  LEARNER_CATCH_UP_SLOTS_DEFAULT,
  LEARNER_CATCH_UP_TIMEOUT_ELECTIONS,
  ReplicaConfigError,
  validateReplicaConfig,
} from './config.js';
export {
  QuorumCache,
  configVoters,
  configurationsEqual,
  describeConfigState,
  isVoterIn,
  stateMembers,
  stateVoters,
  validateConfiguration,
} from './configuration.js';
export type {
  ConfigState,
  Configuration,
  ConfigurationProblem,
  QuorumFactory,
} from './configuration.js';
export type { PeerProgress } from './membership.js';
export { AUTO_SUBSET_DEFAULTS } from './auto-subset.js';
export type { AutoSubsetConfig, AutoSubsetStatus } from './auto-subset.js';
export type { ChangeConfigResult, ChangeOutcome, ChangeStep, PendingChange } from './reconfig.js';
export type { ConfigProblem, MonotonicClock, ReplicaConfig, ReplicaLeaseConfig } from './config.js';
export type {
  AcceptMessage,
  AcceptedMessage,
  ChosenMessage,
  FetchMessage,
  HeartbeatMessage,
  HeartbeatReplyMessage,
  Message,
  MessageType,
  PrepareMessage,
  PromiseMessage,
  RejectMessage,
  SnapshotMessage,
} from './messages.js';
export type { AfterPersistMessage, CompletedRead, FailedRead, Ready } from './ready.js';
export { Replica } from './replica.js';
export type {
  ConfigStatus,
  LeaseStatus,
  ProposeResult,
  ReadMode,
  ReadResult,
  ReadUnavailableReason,
  ReplicaStatus,
  Role,
  TransferResult,
} from './replica-status.js';
export { NOOP, chunkEntries, slotValuesEqual, valueBytes } from './slot-value.js';
export {
  MemoryLogStorage,
  MemoryStateStorage,
  applyPersistRequest,
  recoverState,
} from './storage.js';
export type { LogStorage, StateStorage } from './storage.js';
export type {
  AcceptedEntry,
  Ballot,
  Brand,
  ChosenEntry,
  HardState,
  NodeId,
  PersistRequest,
  RandomSource,
  RecoveredState,
  Round,
  Slot,
  SlotValue,
  Snapshot,
  SnapshotMeta,
} from './types.js';

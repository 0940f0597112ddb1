export type { Operation } from './history.js';
export { HistoryRecorder } from './history.js';
export type { Model, StepResult } from './model.js';
export { STEP_REJECTED, hashString } from './model.js';
export type { CheckOptions, CheckResult, Counterexample, Verdict } from './linearizability.js';
export { checkLinearizability } from './linearizability.js';
export type { PorcupineKvInput, PorcupineKvOutput } from './models/porcupine-kv.js';
export { partitionBy, porcupineKvModel } from './models/porcupine-kv.js';
export type { RegisterInput, RegisterOutput, RegisterValue } from './models/register.js';
export { registerModel } from './models/register.js';
export type {
  FlexKvCompare,
  FlexKvEntry,
  FlexKvInput,
  FlexKvOutput,
  FlexKvTxnOpInput,
  FlexKvTxnOpOutput,
} from './models/flexpaxos-kv-types.js';
export type { FlexKvState } from './models/flexpaxos-kv.js';
export { compareCodePoints, flexKvModel } from './models/flexpaxos-kv.js';
export type { ParseResult } from './parsers.js';
export { parseFlexKvJson, parseJepsenRegister, parsePorcupineKv } from './parsers.js';
export type {
  KvCompareLike,
  KvOpLike,
  KvResultLike,
  KvTxnOpLike,
} from './models/flexpaxos-kv-adapter.js';
export { fromKvOp, fromKvResult } from './models/flexpaxos-kv-adapter.js';
export type {
  WatchCheckOptions,
  WatchCheckResult,
  WatchDelivery,
  WatchEventRecord,
  WatchProblem,
  WatchedRange,
} from './watch-delivery.js';
export { checkWatchDelivery } from './watch-delivery.js';
export type {
  LeaseExpiryOptions,
  LeaseExpiryProblem,
  LeaseExpiryResult,
  LeaseTimeline,
  LeasedKeyLoss,
} from './lease-expiry.js';
export { checkLeaseExpiry } from './lease-expiry.js';

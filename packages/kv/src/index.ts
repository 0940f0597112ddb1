export type { StateSpace, StateWrite } from './state-write.js';
export { STATE_SPACES } from './state-write.js';
export type { LeaseId, SessionId } from './ids.js';
export { leaseId, sessionId } from './ids.js';
export type {
  CasOp,
  ClientSession,
  CloseSessionOp,
  CompareOp,
  Decoded,
  DeleteOp,
  GetOp,
  KvCommand,
  KvCommandOp,
  KvOp,
  KvQueryOp,
  KvReadOp,
  KvWriteOp,
  LeaseGrantOp,
  LeaseKeepaliveOp,
  LeaseListOp,
  LeaseOp,
  LeaseRevokeOp,
  LeaseTtlOp,
  LessorEpochOp,
  OpenSessionOp,
  PutOp,
  RangeOp,
  SessionKeepaliveOp,
  SessionOp,
  SessionRef,
  TxnCompare,
  TxnOp,
  TxnRequest,
} from './types.js';
export type {
  CasResult,
  CloseSessionResult,
  DeleteResult,
  ErrorResult,
  GetResult,
  KeyValue,
  KvErrorCode,
  KvReply,
  KvResult,
  LeaseGrantResult,
  LeaseKeepaliveResult,
  LeaseListResult,
  LeaseRevokeResult,
  LeaseSummary,
  LeaseTtlResult,
  LessorEpochResult,
  OpenSessionResult,
  PutResult,
  RangeResult,
  SessionKeepaliveResult,
  TxnOpResult,
  TxnResult,
} from './results.js';
export type { KvEvent, LeaseChange } from './events.js';
export {
  CLIENT_ID_BYTES_MAX,
  KEY_BYTES_MAX,
  LEASE_TTL_MS_MAX,
  LEASE_TTL_MS_MIN,
  LESSOR_HOLDER_BYTES_MAX,
  RANGE_LIMIT_MAX,
  TXN_BYTES_MAX,
  TXN_OPS_MAX,
  TXN_READ_KEYS_MAX,
  VALUE_BYTES_MAX,
} from './limits.js';
export {
  KV_FORMAT_VERSION,
  commandSessionKey,
  decodeCommand,
  decodeCommandView,
  encodeCommand,
} from './command-codec.js';
export { decodeReply, decodeResult, encodeResult } from './result-codec.js';
export { validateCommand } from './validate.js';
export type { KvConfig, KvConfigProblem } from './kv-config.js';
export { DEFAULT_KV_CONFIG, validateKvConfig } from './kv-config.js';
export type { LeaseInfo } from './kv-state.js';
export type {
  ApplyResult,
  LessorEpochInfo,
  SlotApplyResult,
  SlotValueLike,
} from './state-machine.js';
export { KvStateMachine } from './state-machine.js';
export type { KeepaliveOutcome, LessorConfig, LessorLease, LessorRole } from './lessor.js';
export { DEFAULT_LESSOR_CONFIG, Lessor, validateLessorConfig } from './lessor.js';
export type {
  WatchCancelReason,
  WatchCreateResult,
  WatchHubConfig,
  WatchId,
  WatchOutput,
  WatchSpec,
} from './watch-hub.js';
export { DEFAULT_WATCH_HUB_CONFIG, WatchHub, validateWatchHubConfig } from './watch-hub.js';
export {
  kvCas,
  kvCloseSession,
  kvCommand,
  kvCompare,
  kvDelete,
  kvGet,
  kvLeaseExpire,
  kvLeaseGrant,
  kvLeaseKeepalive,
  kvLeaseList,
  kvLeaseRevoke,
  kvLeaseTtl,
  kvLessorEpoch,
  kvOpenSession,
  kvPut,
  kvRange,
  kvSessionCommand,
  kvSessionKeepalive,
  kvTxn,
} from './ops.js';
export { bytesToUtf8, compareBytes, toBytes } from './bytes.js';

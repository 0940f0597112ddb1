export type { StateSpace, StateWrite } from './state-write.js';
export { STATE_SPACES } from './state-write.js';
export type {
  CasOp,
  CasResult,
  ClientSession,
  Decoded,
  DeleteOp,
  DeleteResult,
  ErrorResult,
  GetOp,
  GetResult,
  KeyValue,
  KvCommand,
  KvErrorCode,
  KvOp,
  KvReadOp,
  KvResult,
  KvWriteOp,
  PutOp,
  PutResult,
  RangeOp,
  RangeResult,
} from './types.js';
export { CLIENT_ID_BYTES_MAX, KEY_BYTES_MAX, RANGE_LIMIT_MAX, VALUE_BYTES_MAX } from './types.js';
export {
  KV_FORMAT_VERSION,
  commandSessionKey,
  decodeCommand,
  decodeCommandView,
  decodeResult,
  encodeCommand,
  encodeResult,
  validateCommand,
} from './codec.js';
export type { ApplyResult, KvConfig, SlotApplyResult, SlotValueLike } from './state-machine.js';
export { DEFAULT_KV_CONFIG, KvStateMachine, validateKvConfig } from './state-machine.js';
export { kvCas, kvCommand, kvDelete, kvGet, kvPut, kvRange } from './ops.js';
export { bytesToUtf8, compareBytes, toBytes } from './bytes.js';

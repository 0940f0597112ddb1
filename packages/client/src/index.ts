export { ADMIN_TIMEOUT_MS, FlexPaxosClient } from './client.js';
export { adminRequestProblems } from './admin.js';
export type { AdminReply, AdminRequest, ConfigReport, QuorumReport } from './admin.js';
export type {
  CallOptions,
  CasOutcome,
  ClientOptions,
  DeleteOutcome,
  Entry,
  PutOptions,
  PutOutcome,
  RangeOutcome,
  ReadOptions,
} from './client.js';
export {
  ClientClosedError,
  FlexPaxosClientError,
  IndeterminateError,
  InvalidArgumentError,
  InvalidKeyError,
  LeaseNotFoundError,
  RejectedError,
  TimeoutError,
  UnavailableError,
  ValueTooLargeError,
  WatchCompactedError,
} from './errors.js';
export type { ClientErrorCode } from './errors.js';
export type {
  LeaseGrantOutcome,
  LeaseKeepaliveOutcome,
  LeaseListEntry,
  LeaseListOutcome,
  LeaseRevokeOutcome,
  LeaseTtlOutcome,
} from './leases.js';
export type {
  TxnCompareSpec,
  TxnNumericTarget,
  TxnOpOutcome,
  TxnOpSpec,
  TxnOutcome,
  TxnSpec,
} from './txn.js';
export {
  CLIENT_QUEUE_GROUP,
  PROTOCOL_VERSION,
  WATCH_INBOX_BYTES_MAX,
  clusterClientSubject,
  clusterStatusSubject,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  nodeClientSubject,
} from './protocol.js';
export type {
  DecodeResult,
  ErrorCode,
  NodeStatusReport,
  ReadMode,
  Request,
  Response,
  WatchControlOp,
  WatchReply,
} from './protocol.js';
export {
  WATCH_FRAME_KIND,
  FrameAssembler,
  WatchCursor,
  decodeWatchFrame,
  decodeWatchMessage,
  encodeWatchFrames,
  encodeWatchMessage,
} from './watch-stream.js';
export type {
  AssembleResult,
  WatchFrame,
  WatchItem,
  WatchStreamCancelReason,
  WireEvent,
  WireKeyValue,
} from './watch-stream.js';
export { WATCH_KEEPALIVE_INTERVAL_MS, WATCH_STALL_MS, Watch } from './watch.js';
export type { WatchEvent, WatchKeyValue, WatchOptions } from './watch.js';

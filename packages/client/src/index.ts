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
  InvalidArgumentError,
  InvalidKeyError,
  LeaseNotFoundError,
  RejectedError,
  TimeoutError,
  UnavailableError,
  ValueTooLargeError,
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
} from './protocol.js';

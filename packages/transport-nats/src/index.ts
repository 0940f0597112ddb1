/**
 * `@flexpaxos/transport-nats`: peer messaging between FlexPaxos nodes over NATS. See the
 * package README for subjects, the frame format, limits and metrics.
 */
export { NatsPeerTransport, validateTransportOptions } from './transport.js';
export type { MessageHandler, NatsPeerTransportOptions, TransportMetrics } from './transport.js';
export { TransportConfigError, TransportConnectError } from './errors.js';
export type { TransportConfigProblem } from './errors.js';
export {
  FRAME_BYTES_MIN,
  FRAME_KIND,
  FRAME_VERSION,
  FrameEncoder,
  MESSAGE_TYPE_TAGS,
  decodeEntry,
  decodeFrame,
  encodeEntry,
} from './frame.js';
export type { Chunk, DecodedFrame, EncodedFrame, PeerMessage } from './frame.js';
export { ChunkReassembler } from './reassembler.js';
export type { ReassemblerLimits, ReassemblyResult } from './reassembler.js';
export {
  CLUSTER_NAME_LENGTH_MAX,
  SUBJECT_ROOT,
  clusterNameProblem,
  isValidClusterName,
  peerSubject,
} from './subjects.js';

/**
 * The client <-> node wire format over NATS request-reply. One NATS message is one frame; the
 * KV command and result bytes inside are `@flexpaxos/kv`'s own codec, so this layer only adds
 * what the state machine does not know: a protocol version, the kind of request, the read mode,
 * and how a node says "not me" or "cannot now".
 *
 * ```
 * request  = version:u8 (= 1) kind:u8 body
 *   kind 1 (command): readMode:u8 (0 none, 1 lease, 2 quorum, 3 stale) kvCommandBytes
 *   kind 2 (status):  (empty)
 *   kind 3 (batch):   count:u32be (len:u32be requestFrame){count}   (command frames only)
 *   kind 4 (admin):   JSON utf8 (AdminRequest, `admin.ts`)
 * response = version:u8 (= 1) kind:u8 body
 *   kind 1 (result):     kvResultBytes
 *   kind 2 (not-leader): leaderId:u32be (0 = unknown)
 *   kind 3 (error):      code:u8 message:utf8
 *   kind 4 (status):     JSON utf8 (NodeStatusReport)
 *   kind 5 (batch):      count:u32be (len:u32be responseFrame){count}, in request order
 *   kind 6 (admin):      JSON utf8 (AdminReply, `admin.ts`)
 * ```
 *
 * Which KV commands go where (the node decides from the command inside a kind-1 frame):
 *
 * - reads, served without the log by the read mode: `get`, `range`, `lease-ttl` (its
 *   `remainingMs` comes from the leader's lessor when the leader answers), `lease-list`;
 * - writes, through the log, under the client's session (exactly once): `put` (with or without
 *   a lease), `delete`, `cas`, `txn`, `lease-grant`, `lease-revoke`;
 * - `lease-keepalive` (no session, read mode none): never through the log. The leader's lessor
 *   answers it with a result frame (a `lease-keepalive` result, or a `lease-not-found` error
 *   result) while the node could serve a lease read (it holds its leader lease, no transfer
 *   runs); otherwise `not-leader` (not leading, no leader lease, a transfer began) or error
 *   `unavailable` (the new leader's lessor is starting). The client retries both at the leader.
 *   Chosen over a request kind of its own so keep-alives batch with other commands and reuse
 *   the KV codec;
 * - host-only, refused with an `invalid` error result: `lessor-epoch` and an expiry
 *   `lease-revoke` (only the leader's lessor proposes them).
 *
 * Decoders never throw: they return `{ ok: false, error }` on malformed input.
 */

import { adminRequestProblems } from './admin.js';
import type { AdminReply, AdminRequest, ConfigReport } from './admin.js';

/** Version byte of every frame; a node answers a request of another version with an error. */
export const PROTOCOL_VERSION = 1;

/** How a read is served; writes ignore it. See the design brief, "Reads". */
export type ReadMode = 'lease' | 'quorum' | 'stale';

const READ_MODE_CODES: Record<ReadMode | 'none', number> = {
  none: 0,
  lease: 1,
  quorum: 2,
  stale: 3,
};
const READ_MODES_BY_CODE: readonly (ReadMode | 'none')[] = ['none', 'lease', 'quorum', 'stale'];

/** Why a node refused a request (besides not being the leader). */
export type ErrorCode =
  /** The request frame did not decode, or a write came without a session. */
  | 'bad-request'
  /** No leader is known, the node is shutting down, or its storage failed. */
  | 'unavailable'
  /** The request frame was larger than the node accepts. */
  | 'too-large'
  /** An admin request breaks a rule (the message names it), or its change was abandoned. */
  | 'refused';

const ERROR_CODES: readonly ErrorCode[] = ['bad-request', 'unavailable', 'too-large', 'refused'];

/** A decoded request frame. */
export type Request =
  | { readonly kind: 'command'; readonly readMode: ReadMode | 'none'; readonly command: Uint8Array }
  | { readonly kind: 'status' }
  | { readonly kind: 'admin'; readonly admin: AdminRequest }
  /** Several request frames in one NATS message (client-side coalescing). */
  | { readonly kind: 'batch'; readonly items: readonly Uint8Array[] };

/** One node's status as `status` requests report it (also served at `/status` over HTTP). */
export interface NodeStatusReport {
  readonly id: number;
  readonly cluster: string;
  readonly role: 'follower' | 'candidate' | 'leader';
  /** The promised ballot, formatted `round.nodeId`. */
  readonly ballot: string;
  readonly leader: number | null;
  readonly committed: number;
  readonly applied: number;
  /** The voters of the configuration in force (empty while a joining node waits to be added). */
  readonly members: readonly number[];
  /** P: phase-2 quorum size of the configuration in force (0 while not joined). */
  readonly replication: number;
  /** L: phase-1 quorum size of the configuration in force (0 while not joined). */
  readonly election: number;
  /** This node's part: `voter`, `learner` or `none` (joining, or removed). */
  readonly membership?: 'voter' | 'learner' | 'none';
  /** The configuration in force, its index and (at the leader) a pending change; null while not joined. */
  readonly config?: ConfigReport | null;
  /**
   * At the leader: every other member's last reported committed index and whether it was
   * heard from recently (empty elsewhere).
   */
  readonly peers?: readonly {
    readonly id: number;
    readonly committed: number | null;
    readonly recent: boolean;
  }[];
  /**
   * The lease state in one word: `held` (leader, serving lease reads), `held (not serving)`,
   * `granted:<round.nodeId>` (this acceptor grants that leader's ballot) or `none`.
   */
  readonly lease: string;
  /** Lease details (servers from 2026-11-29 on; absent from older ones). */
  readonly leaseState?: {
    readonly held: boolean;
    /** Milliseconds left on the leader's lease, on its own clock; null when not held. */
    readonly remainingMs: number | null;
    readonly servesReads: boolean;
    /** The ballot this acceptor grants, `round.nodeId`, or null. */
    readonly grantedTo: string | null;
    /** Prepares dropped because a grant ran or the restart wait had not ended. */
    readonly preparesRefused: number;
  };
  /** Reads served by this node since it started, by how they were served. */
  readonly reads?: {
    readonly stale: number;
    readonly lease: number;
    readonly quorum: number;
    readonly leaseFallbacks: number;
    readonly leaseRetries: number;
    readonly redirected: number;
    readonly unavailable: number;
  };
  /**
   * Bytes of the node's database (RocksDB SST files plus memtables); absent from older
   * servers and while the store is closed.
   */
  readonly dbBytes?: number;
  readonly pid: number;
  /** `http://host:port` of the node's HTTP endpoint, or null when it has none. */
  readonly http: string | null;
}

/** A decoded response frame. */
export type Response =
  | { readonly kind: 'result'; readonly result: Uint8Array }
  | { readonly kind: 'not-leader'; readonly leader: number | undefined }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'status'; readonly status: NodeStatusReport }
  | { readonly kind: 'admin'; readonly reply: AdminReply }
  /** One response frame per item of a batch request, in order. */
  | { readonly kind: 'batch'; readonly items: readonly Uint8Array[] };

/** Decoding outcome; decoders never throw. */
export type DecodeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

/** Encodes a request frame. */
export function encodeRequest(request: Request): Uint8Array {
  if (request.kind === 'status') {
    return Uint8Array.of(PROTOCOL_VERSION, 2);
  }
  if (request.kind === 'batch') return encodeBatch(3, request.items);
  if (request.kind === 'admin') return jsonFrame(4, request.admin);
  const out = new Uint8Array(3 + request.command.byteLength);
  out[0] = PROTOCOL_VERSION;
  out[1] = 1;
  out[2] = READ_MODE_CODES[request.readMode];
  out.set(request.command, 3);
  return out;
}

/** Decodes a request frame. */
export function decodeRequest(bytes: Uint8Array): DecodeResult<Request> {
  if (bytes.byteLength < 2) return { ok: false, error: 'request frame shorter than 2 bytes' };
  if (bytes[0] !== PROTOCOL_VERSION) {
    return {
      ok: false,
      error: `unsupported protocol version ${bytes[0]} (this node speaks ${PROTOCOL_VERSION})`,
    };
  }
  switch (bytes[1] ?? -1) {
    case 1: {
      const mode = bytes.byteLength >= 3 ? READ_MODES_BY_CODE[bytes[2] ?? 255] : undefined;
      if (mode === undefined)
        return { ok: false, error: 'command request without a valid read mode' };
      return { ok: true, value: { kind: 'command', readMode: mode, command: bytes.slice(3) } };
    }
    case 2:
      return { ok: true, value: { kind: 'status' } };
    case 3: {
      const items = decodeBatch(bytes);
      return items === undefined
        ? { ok: false, error: 'malformed batch request' }
        : { ok: true, value: { kind: 'batch', items } };
    }
    case 4: {
      const parsed = parseJson(bytes);
      if (!parsed.ok) return { ok: false, error: `admin request ${parsed.error}` };
      const problems = adminRequestProblems(parsed.value);
      return problems.length > 0
        ? { ok: false, error: `admin request: ${problems.join('; ')}` }
        : { ok: true, value: { kind: 'admin', admin: parsed.value as AdminRequest } };
    }
    default:
      return { ok: false, error: `unknown request kind ${bytes[1]}` };
  }
}

/** Encodes a response frame. */
export function encodeResponse(response: Response): Uint8Array {
  switch (response.kind) {
    case 'batch':
      return encodeBatch(5, response.items);
    case 'result': {
      const out = new Uint8Array(2 + response.result.byteLength);
      out[0] = PROTOCOL_VERSION;
      out[1] = 1;
      out.set(response.result, 2);
      return out;
    }
    case 'not-leader': {
      const out = new Uint8Array(6);
      out[0] = PROTOCOL_VERSION;
      out[1] = 2;
      new DataView(out.buffer).setUint32(2, response.leader ?? 0);
      return out;
    }
    case 'error': {
      const msg = enc.encode(response.message);
      const out = new Uint8Array(3 + msg.byteLength);
      out[0] = PROTOCOL_VERSION;
      out[1] = 3;
      out[2] = ERROR_CODES.indexOf(response.code);
      out.set(msg, 3);
      return out;
    }
    case 'status':
      return jsonFrame(4, response.status);
    case 'admin':
      return jsonFrame(6, response.reply);
  }
}

/** Decodes a response frame. */
export function decodeResponse(bytes: Uint8Array): DecodeResult<Response> {
  if (bytes.byteLength < 2) return { ok: false, error: 'response frame shorter than 2 bytes' };
  if (bytes[0] !== PROTOCOL_VERSION) {
    return { ok: false, error: `unsupported protocol version ${bytes[0]}` };
  }
  switch (bytes[1] ?? -1) {
    case 1:
      return { ok: true, value: { kind: 'result', result: bytes.slice(2) } };
    case 2: {
      if (bytes.byteLength !== 6) return { ok: false, error: 'not-leader frame must be 6 bytes' };
      const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
      return { ok: true, value: { kind: 'not-leader', leader: id === 0 ? undefined : id } };
    }
    case 3: {
      const code = ERROR_CODES[bytes[2] ?? 255];
      if (code === undefined) return { ok: false, error: 'error frame with an unknown code' };
      return { ok: true, value: { kind: 'error', code, message: dec.decode(bytes.subarray(3)) } };
    }
    case 5: {
      const items = decodeBatch(bytes);
      return items === undefined
        ? { ok: false, error: 'malformed batch response' }
        : { ok: true, value: { kind: 'batch', items } };
    }
    case 4: {
      try {
        const status = JSON.parse(dec.decode(bytes.subarray(2))) as NodeStatusReport;
        if (typeof status !== 'object' || status === null || typeof status.id !== 'number') {
          return { ok: false, error: 'status frame without an id' };
        }
        return { ok: true, value: { kind: 'status', status } };
      } catch (err) {
        return { ok: false, error: `status frame is not JSON: ${String(err)}` };
      }
    }
    case 6: {
      const parsed = parseJson(bytes);
      if (!parsed.ok) return { ok: false, error: `admin reply ${parsed.error}` };
      const reply = parsed.value as AdminReply | null;
      if (typeof reply !== 'object' || reply === null || typeof reply.config !== 'object') {
        return { ok: false, error: 'admin reply without a configuration' };
      }
      return { ok: true, value: { kind: 'admin', reply } };
    }
    default:
      return { ok: false, error: `unknown response kind ${bytes[1]}` };
  }
}

/** The subject a node serves client requests on: `flexpaxos.<cluster>.client.<nodeId>`. */
export function nodeClientSubject(cluster: string, nodeId: number): string {
  return `flexpaxos.${cluster}.client.${nodeId}`;
}

/**
 * The shared subject every node of a cluster serves in one queue group (discovery: whichever
 * node answers names the leader): `flexpaxos.<cluster>.client`.
 */
export function clusterClientSubject(cluster: string): string {
  return `flexpaxos.${cluster}.client`;
}

/** Every node answers a status request on this subject (no queue group): `flexpaxos.<cluster>.status`. */
export function clusterStatusSubject(cluster: string): string {
  return `flexpaxos.${cluster}.status`;
}

/** The queue group of the shared client subject. */
export const CLIENT_QUEUE_GROUP = 'flexpaxos-nodes';

function jsonFrame(kind: number, value: unknown): Uint8Array {
  const body = enc.encode(JSON.stringify(value));
  const out = new Uint8Array(2 + body.byteLength);
  out[0] = PROTOCOL_VERSION;
  out[1] = kind;
  out.set(body, 2);
  return out;
}

function parseJson(bytes: Uint8Array): DecodeResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(dec.decode(bytes.subarray(2))) as unknown };
  } catch (err) {
    return { ok: false, error: `is not JSON: ${String(err)}` };
  }
}

function encodeBatch(kind: number, items: readonly Uint8Array[]): Uint8Array {
  let size = 6;
  for (const it of items) size += 4 + it.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = PROTOCOL_VERSION;
  out[1] = kind;
  view.setUint32(2, items.length);
  let off = 6;
  for (const it of items) {
    view.setUint32(off, it.byteLength);
    out.set(it, off + 4);
    off += 4 + it.byteLength;
  }
  return out;
}

/**
 * The items of a batch frame, or undefined when the lengths do not add up exactly. The items
 * are views of `bytes` (no copies): `decodeRequest` and `decodeResponse` copy what they keep.
 */
function decodeBatch(bytes: Uint8Array): Uint8Array[] | undefined {
  if (bytes.byteLength < 6) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(2);
  if (count > bytes.byteLength) return undefined;
  const items: Uint8Array[] = [];
  let off = 6;
  for (let i = 0; i < count; i++) {
    if (off + 4 > bytes.byteLength) return undefined;
    const len = view.getUint32(off);
    if (off + 4 + len > bytes.byteLength) return undefined;
    items.push(bytes.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return off === bytes.byteLength ? items : undefined;
}

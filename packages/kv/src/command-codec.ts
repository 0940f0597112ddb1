/**
 * The compact, versioned binary encoding of commands (what travels through the log).
 *
 * Layout (integers are unsigned LEB128 varints, byte strings are length-prefixed):
 *
 * ```
 * command: version (2) | session | op
 * session: 0 (none) | 1 clientId seq (client-chosen id) | 2 sessionId seq (registered)
 * op:      tag | fields
 *   get=1 key | range=2 prefix limit | put=3 key value | delete=4 key
 *   cas=5 key expectedVersion value | put-with-lease=6 key value lease (lease >= 1)
 *   txn=7 n compare* n op* n op* (success, then failure; ops: get, range, put, put-with-lease,
 *         delete) | lease-grant=8 ttlMs | lease-revoke=9 lease reason (1 client | 2 expired
 *         epoch) | lease-keepalive=10 lease | lease-ttl=11 lease keys(0|1) | lease-list=12
 *   open-session=13 | close-session=14 | session-keepalive=15 | lessor-epoch=16 holder
 * compare: target (1 version, 2 create-revision, 3 mod-revision, 4 lease, 5 value)
 *          op (1 =, 2 !=, 3 <, 4 >) key (operand | value)
 * ```
 *
 * Format version 1 (the first release) is the same layout restricted to session flags 0 and 1
 * and tags 1..5; its commands still decode, so a log written by it replays unchanged. Every
 * encoding is canonical: a decoded command encodes back to the same bytes.
 *
 * Decoders return `{ ok: false, error }` on any malformed input and never throw, so a bad
 * command in the log cannot crash a replica. Limits are checked apart, by `validateCommand`.
 */
import { assertNever } from './assert.js';
import { bytesToBinaryString } from './bytes.js';
import type {
  ClientSession,
  CompareOp,
  Decoded,
  KvCommand,
  KvCommandOp,
  SessionRef,
  TxnCompare,
  TxnOp,
} from './types.js';
import type { LeaseId, SessionId } from './ids.js';
import { ByteReader, ByteWriter, varintSize } from './wire.js';

/** Format version written as the first byte of every command and result. */
export const KV_FORMAT_VERSION = 2;
/** The first format version; its commands (basic operations only) still decode. */
const KV_FORMAT_VERSION_1 = 1;

const OP_TAGS = {
  get: 1,
  range: 2,
  put: 3,
  delete: 4,
  cas: 5,
  putWithLease: 6,
  txn: 7,
  'lease-grant': 8,
  'lease-revoke': 9,
  'lease-keepalive': 10,
  'lease-ttl': 11,
  'lease-list': 12,
  'open-session': 13,
  'close-session': 14,
  'session-keepalive': 15,
  'lessor-epoch': 16,
} as const;
const V1_TAG_MAX = 5;

const COMPARE_TARGETS = ['version', 'create-revision', 'mod-revision', 'lease', 'value'] as const;
const COMPARE_OPS: readonly CompareOp[] = ['=', '!=', '<', '>'];

function bytesSize(b: Uint8Array): number {
  return varintSize(b.length) + b.length;
}

function compareSize(c: TxnCompare): number {
  return 2 + bytesSize(c.key) + (c.target === 'value' ? bytesSize(c.value) : varintSize(c.operand));
}

/** The exact encoded size of an operation, tag included. */
function opSize(op: KvCommandOp): number {
  switch (op.type) {
    case 'get':
    case 'delete':
      return 1 + bytesSize(op.key);
    case 'range':
      return 1 + bytesSize(op.prefix) + varintSize(op.limit);
    case 'put':
      return (
        1 +
        bytesSize(op.key) +
        bytesSize(op.value) +
        (op.lease === undefined ? 0 : varintSize(op.lease))
      );
    case 'cas':
      return 1 + bytesSize(op.key) + varintSize(op.expectedVersion) + bytesSize(op.value);
    case 'txn': {
      let n = 1 + varintSize(op.compare.length);
      for (const c of op.compare) n += compareSize(c);
      n += varintSize(op.success.length) + varintSize(op.failure.length);
      for (const o of op.success) n += opSize(o);
      for (const o of op.failure) n += opSize(o);
      return n;
    }
    case 'lease-grant':
      return 1 + varintSize(op.ttlMs);
    case 'lease-revoke':
      return 2 + varintSize(op.lease) + (op.reason === 'expired' ? varintSize(op.epoch) : 0);
    case 'lease-keepalive':
      return 1 + varintSize(op.lease);
    case 'lease-ttl':
      return 2 + varintSize(op.lease);
    case 'lease-list':
    case 'open-session':
    case 'close-session':
    case 'session-keepalive':
      return 1;
    case 'lessor-epoch':
      return 1 + bytesSize(op.holder);
    default:
      return assertNever(op, 'op');
  }
}

function sessionSize(command: KvCommand): number {
  if (command.sessionRef !== undefined)
    return 1 + varintSize(command.sessionRef.sessionId) + varintSize(command.sessionRef.seq);
  const s = command.session;
  return 1 + (s === undefined ? 0 : bytesSize(s.clientId) + varintSize(s.seq));
}

function writeCompare(w: ByteWriter, c: TxnCompare): void {
  w.u8(COMPARE_TARGETS.indexOf(c.target) + 1)
    .u8(COMPARE_OPS.indexOf(c.op) + 1)
    .bytes(c.key);
  if (c.target === 'value') w.bytes(c.value);
  else w.varint(c.operand);
}

function writeOp(w: ByteWriter, op: KvCommandOp): void {
  switch (op.type) {
    case 'get':
    case 'delete':
      w.u8(OP_TAGS[op.type]).bytes(op.key);
      break;
    case 'range':
      w.u8(OP_TAGS.range).bytes(op.prefix).varint(op.limit);
      break;
    case 'put':
      if (op.lease === undefined) w.u8(OP_TAGS.put).bytes(op.key).bytes(op.value);
      else w.u8(OP_TAGS.putWithLease).bytes(op.key).bytes(op.value).varint(op.lease);
      break;
    case 'cas':
      w.u8(OP_TAGS.cas).bytes(op.key).varint(op.expectedVersion).bytes(op.value);
      break;
    case 'txn':
      w.u8(OP_TAGS.txn).varint(op.compare.length);
      for (const c of op.compare) writeCompare(w, c);
      w.varint(op.success.length);
      for (const o of op.success) writeOp(w, o);
      w.varint(op.failure.length);
      for (const o of op.failure) writeOp(w, o);
      break;
    case 'lease-grant':
      w.u8(OP_TAGS[op.type]).varint(op.ttlMs);
      break;
    case 'lease-revoke':
      w.u8(OP_TAGS[op.type]).varint(op.lease);
      if (op.reason === 'client') w.u8(1);
      else w.u8(2).varint(op.epoch);
      break;
    case 'lease-keepalive':
      w.u8(OP_TAGS[op.type]).varint(op.lease);
      break;
    case 'lease-ttl':
      w.u8(OP_TAGS[op.type])
        .varint(op.lease)
        .u8(op.keys ? 1 : 0);
      break;
    case 'lease-list':
    case 'open-session':
    case 'close-session':
    case 'session-keepalive':
      w.u8(OP_TAGS[op.type]);
      break;
    case 'lessor-epoch':
      w.u8(OP_TAGS[op.type]).bytes(op.holder);
      break;
    default:
      assertNever(op, 'op');
  }
}

/** Encodes a command for the log (one exact-size allocation). */
export function encodeCommand(command: KvCommand): Uint8Array {
  const w = new ByteWriter(1 + sessionSize(command) + opSize(command.op)).u8(KV_FORMAT_VERSION);
  if (command.sessionRef !== undefined)
    w.u8(2).varint(command.sessionRef.sessionId).varint(command.sessionRef.seq);
  else if (command.session === undefined) w.u8(0);
  else w.u8(1).bytes(command.session.clientId).varint(command.session.seq);
  writeOp(w, command.op);
  return w.finish();
}

/** Decodes a command; structural problems only (limits are checked by `validateCommand`). */
export function decodeCommand(bytes: Uint8Array): Decoded<KvCommand> {
  return decodeCommandWith(bytes, false);
}

/**
 * Like {@link decodeCommand}, but the byte strings of the result are views of `bytes` (no
 * copies): for callers that copy what they keep and never mutate `bytes`.
 */
export function decodeCommandView(bytes: Uint8Array): Decoded<KvCommand> {
  return decodeCommandWith(bytes, true);
}

class OpReader {
  readonly r: ByteReader;
  private readonly views: boolean;
  constructor(r: ByteReader, views: boolean) {
    this.r = r;
    this.views = views;
  }
  str(): Uint8Array {
    return this.views ? this.r.bytesView() : this.r.bytes();
  }

  compare(): TxnCompare {
    const r = this.r;
    const t = r.u8();
    const o = r.u8();
    const target = COMPARE_TARGETS[t - 1];
    const op = COMPARE_OPS[o - 1];
    if (target === undefined) r.fail(`unknown compare target ${t}`);
    if (op === undefined) r.fail(`unknown compare operator ${o}`);
    const key = this.str();
    if (target === 'value') return { target, key, op: op ?? '=', value: this.str() };
    return { target: target ?? 'version', key, op: op ?? '=', operand: r.varint() };
  }

  txnOp(): TxnOp | undefined {
    const tag = this.r.u8();
    const op = this.op(tag, true);
    if (op === undefined) return undefined;
    if (op.type === 'get' || op.type === 'range' || op.type === 'put' || op.type === 'delete')
      return op;
    this.r.fail(`op ${op.type} is not allowed in a transaction`);
    return undefined;
  }

  list<T>(read: () => T | undefined): T[] {
    const n = this.r.varint();
    const out: T[] = [];
    // Every element takes at least one byte, so a bogus count stops at the end of the input.
    for (let i = 0; i < n && this.r.error === undefined; i++) {
      const x = read();
      if (x !== undefined) out.push(x);
    }
    return out;
  }

  op(tag: number, v2: boolean): KvCommandOp | undefined {
    const r = this.r;
    if (!v2 && tag > V1_TAG_MAX) {
      r.fail(`op tag ${tag} needs format version ${KV_FORMAT_VERSION}`);
      return undefined;
    }
    switch (tag) {
      case OP_TAGS.get:
        return { type: 'get', key: this.str() };
      case OP_TAGS.range:
        return { type: 'range', prefix: this.str(), limit: r.varint() };
      case OP_TAGS.put:
        return { type: 'put', key: this.str(), value: this.str() };
      case OP_TAGS.delete:
        return { type: 'delete', key: this.str() };
      case OP_TAGS.cas:
        return { type: 'cas', key: this.str(), expectedVersion: r.varint(), value: this.str() };
      case OP_TAGS.putWithLease: {
        const key = this.str();
        const value = this.str();
        const lease = r.varint();
        if (lease === 0) r.fail('put-with-lease names lease 0 (use a plain put)');
        return { type: 'put', key, value, lease: lease as LeaseId };
      }
      case OP_TAGS.txn: {
        const compare = this.list(() => this.compare());
        const success = this.list(() => this.txnOp());
        const failure = this.list(() => this.txnOp());
        return { type: 'txn', compare, success, failure };
      }
      case OP_TAGS['lease-grant']:
        return { type: 'lease-grant', ttlMs: r.varint() };
      case OP_TAGS['lease-revoke']: {
        const lease = r.varint() as LeaseId;
        const reason = r.u8();
        if (reason === 1) return { type: 'lease-revoke', lease, reason: 'client' };
        if (reason !== 2) r.fail(`unknown revoke reason ${reason}`);
        return { type: 'lease-revoke', lease, reason: 'expired', epoch: r.varint() };
      }
      case OP_TAGS['lease-keepalive']:
        return { type: 'lease-keepalive', lease: r.varint() as LeaseId };
      case OP_TAGS['lease-ttl']:
        return { type: 'lease-ttl', lease: r.varint() as LeaseId, keys: r.bool() };
      case OP_TAGS['lease-list']:
        return { type: 'lease-list' };
      case OP_TAGS['open-session']:
        return { type: 'open-session' };
      case OP_TAGS['close-session']:
        return { type: 'close-session' };
      case OP_TAGS['session-keepalive']:
        return { type: 'session-keepalive' };
      case OP_TAGS['lessor-epoch']:
        return { type: 'lessor-epoch', holder: this.str() };
      default:
        r.fail(`unknown op tag ${tag}`);
        return undefined;
    }
  }
}

function decodeCommandWith(bytes: Uint8Array, views: boolean): Decoded<KvCommand> {
  const r = new ByteReader(bytes);
  const reader = new OpReader(r, views);
  const version = r.u8();
  const v2 = version === KV_FORMAT_VERSION;
  if (r.error === undefined && !v2 && version !== KV_FORMAT_VERSION_1)
    r.fail(`unsupported format version ${version}`);
  const flag = r.u8();
  let session: ClientSession | undefined;
  let sessionRef: SessionRef | undefined;
  if (flag === 1) session = { clientId: reader.str(), seq: r.varint() };
  else if (flag === 2 && v2) sessionRef = { sessionId: r.varint() as SessionId, seq: r.varint() };
  else if (flag !== 0) r.fail(`bad session flag ${flag}`);
  const op = reader.op(r.u8(), v2);
  r.end();
  if (r.error !== undefined || op === undefined) return { ok: false, error: r.error ?? 'no op' };
  if (sessionRef !== undefined) return { ok: true, value: { sessionRef, op } };
  return { ok: true, value: { session, op } };
}

/**
 * A string naming the session of an encoded command, (client id, seq) or (session id, seq),
 * without decoding the rest: equal for two commands exactly when both have the same kind of
 * session with the same id and seq. Undefined for a command without a session or whose header
 * does not decode.
 */
export function commandSessionKey(bytes: Uint8Array): string | undefined {
  const version = bytes[0];
  if (version !== KV_FORMAT_VERSION && version !== KV_FORMAT_VERSION_1) return undefined;
  const flag = bytes[1];
  if (flag !== 1 && !(flag === 2 && version === KV_FORMAT_VERSION)) return undefined;
  const r = new ByteReader(bytes.subarray(2));
  if (flag === 1) r.bytesView();
  else r.varint();
  r.varint();
  if (r.error !== undefined) return undefined;
  // The flag byte keeps the two kinds apart; a flat string in one call (a map key hashes it
  // without flattening a concatenation).
  return bytesToBinaryString(bytes.subarray(1, 2 + r.position));
}

/**
 * The compact, versioned binary encoding of commands and results.
 *
 * Layout (all integers are unsigned LEB128 varints, byte strings are length-prefixed):
 *
 * ```
 * command: 0x01 (format version) | session flag (0|1) [clientId seq] | op tag | fields
 *   get=1 key | range=2 prefix limit | put=3 key value | delete=4 key
 *   cas=5 key expectedVersion value
 * result:  0x01 | result tag | fields
 *   get=1 found(0|1) [kv] | range=2 count kv* more(0|1) | put=3 version revision
 *   delete=4 deleted(0|1) prevVersion revision | cas=5 succeeded(0|1) version revision
 *   error=6 code(1..4) message(UTF-8)
 * kv: key value version revision
 * ```
 *
 * Decoders return `{ ok: false, error }` on any malformed input and never throw, so a bad
 * command in the log cannot crash a replica.
 */
import { assertNever } from './assert.js';
import { bytesToBinaryString, bytesToUtf8, toBytes } from './bytes.js';
import type {
  ClientSession,
  Decoded,
  KeyValue,
  KvCommand,
  KvErrorCode,
  KvOp,
  KvResult,
} from './types.js';
import { CLIENT_ID_BYTES_MAX, KEY_BYTES_MAX, RANGE_LIMIT_MAX, VALUE_BYTES_MAX } from './types.js';
import { ByteReader, ByteWriter, varintSize } from './wire.js';

/** Format version written as the first byte of every command and result. */
export const KV_FORMAT_VERSION = 1;

const OP_TAGS = { get: 1, range: 2, put: 3, delete: 4, cas: 5 } as const;
const RESULT_TAGS = { get: 1, range: 2, put: 3, delete: 4, cas: 5, error: 6 } as const;
const ERROR_CODES: readonly KvErrorCode[] = [
  'bad-command',
  'invalid',
  'stale-sequence',
  'session-expired',
];

function bytesSize(b: Uint8Array): number {
  return varintSize(b.length) + b.length;
}

/** The exact encoded size of a command (so the writer allocates once and never copies). */
function commandSize(command: KvCommand): number {
  const s = command.session;
  let n = 3 + (s === undefined ? 0 : bytesSize(s.clientId) + varintSize(s.seq));
  const op = command.op;
  switch (op.type) {
    case 'get':
    case 'delete':
      return n + bytesSize(op.key);
    case 'range':
      return n + bytesSize(op.prefix) + varintSize(op.limit);
    case 'put':
      return n + bytesSize(op.key) + bytesSize(op.value);
    case 'cas':
      n += bytesSize(op.key) + varintSize(op.expectedVersion) + bytesSize(op.value);
      return n;
    default:
      return assertNever(op, 'op');
  }
}

/** Encodes a command for the log. */
export function encodeCommand(command: KvCommand): Uint8Array {
  const w = new ByteWriter(commandSize(command)).u8(KV_FORMAT_VERSION);
  if (command.session === undefined) w.u8(0);
  else w.u8(1).bytes(command.session.clientId).varint(command.session.seq);
  const op = command.op;
  w.u8(OP_TAGS[op.type]);
  switch (op.type) {
    case 'get':
      w.bytes(op.key);
      break;
    case 'range':
      w.bytes(op.prefix).varint(op.limit);
      break;
    case 'put':
      w.bytes(op.key).bytes(op.value);
      break;
    case 'delete':
      w.bytes(op.key);
      break;
    case 'cas':
      w.bytes(op.key).varint(op.expectedVersion).bytes(op.value);
      break;
    default:
      assertNever(op, 'op');
  }
  return w.finish();
}

function readVersion(r: ByteReader): void {
  const v = r.u8();
  if (r.error === undefined && v !== KV_FORMAT_VERSION) r.fail(`unsupported format version ${v}`);
}

/** Decodes a command; structural problems only (limits are checked by {@link validateCommand}). */
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

function decodeCommandWith(bytes: Uint8Array, views: boolean): Decoded<KvCommand> {
  const r = new ByteReader(bytes);
  const str = views ? (): Uint8Array => r.bytesView() : (): Uint8Array => r.bytes();
  readVersion(r);
  const flag = r.u8();
  let session: ClientSession | undefined;
  if (flag === 1) session = { clientId: str(), seq: r.varint() };
  else if (flag !== 0) r.fail(`bad session flag ${flag}`);
  const tag = r.u8();
  let op: KvOp | undefined;
  switch (tag) {
    case OP_TAGS.get:
      op = { type: 'get', key: str() };
      break;
    case OP_TAGS.range:
      op = { type: 'range', prefix: str(), limit: r.varint() };
      break;
    case OP_TAGS.put:
      op = { type: 'put', key: str(), value: str() };
      break;
    case OP_TAGS.delete:
      op = { type: 'delete', key: str() };
      break;
    case OP_TAGS.cas:
      op = { type: 'cas', key: str(), expectedVersion: r.varint(), value: str() };
      break;
    default:
      r.fail(`unknown op tag ${tag}`);
  }
  r.end();
  if (r.error !== undefined || op === undefined) return { ok: false, error: r.error ?? 'no op' };
  return { ok: true, value: { session, op } };
}

/**
 * A string naming the session of an encoded command, (client id, seq), without decoding the
 * rest: equal for two commands exactly when both have a session with the same client id and
 * seq. Undefined for a command without a session or whose header does not decode.
 */
export function commandSessionKey(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== KV_FORMAT_VERSION || bytes[1] !== 1) return undefined;
  const r = new ByteReader(bytes.subarray(2));
  r.bytesView();
  r.varint();
  if (r.error !== undefined) return undefined;
  // A flat string in one call (a map key hashes it without flattening a concatenation).
  return bytesToBinaryString(bytes.subarray(2, 2 + r.position));
}

function checkKey(key: Uint8Array, field: string, problems: string[], allowEmpty = false): void {
  if (!allowEmpty && key.length === 0) problems.push(`${field}: must not be empty`);
  if (key.length > KEY_BYTES_MAX)
    problems.push(`${field}: ${key.length} bytes exceeds KEY_BYTES_MAX (${KEY_BYTES_MAX})`);
}

function checkValue(value: Uint8Array, problems: string[]): void {
  if (value.length > VALUE_BYTES_MAX)
    problems.push(`value: ${value.length} bytes exceeds VALUE_BYTES_MAX (${VALUE_BYTES_MAX})`);
}

/** Every limit a command breaks (empty when valid), each naming the field and the rule. */
export function validateCommand(command: KvCommand): string[] {
  const problems: string[] = [];
  const s = command.session;
  if (s !== undefined) {
    if (s.clientId.length === 0 || s.clientId.length > CLIENT_ID_BYTES_MAX)
      problems.push(`session.clientId: must be 1..${CLIENT_ID_BYTES_MAX} bytes`);
    if (!Number.isSafeInteger(s.seq) || s.seq < 1)
      problems.push('session.seq: must be a positive safe integer');
  }
  const op = command.op;
  switch (op.type) {
    case 'get':
    case 'delete':
      checkKey(op.key, 'key', problems);
      break;
    case 'range':
      checkKey(op.prefix, 'prefix', problems, true);
      if (!Number.isSafeInteger(op.limit) || op.limit < 1 || op.limit > RANGE_LIMIT_MAX)
        problems.push(`limit: must be 1..${RANGE_LIMIT_MAX}`);
      break;
    case 'put':
      checkKey(op.key, 'key', problems);
      checkValue(op.value, problems);
      break;
    case 'cas':
      checkKey(op.key, 'key', problems);
      checkValue(op.value, problems);
      if (!Number.isSafeInteger(op.expectedVersion) || op.expectedVersion < 0)
        problems.push('expectedVersion: must be a non-negative safe integer');
      break;
    default:
      assertNever(op, 'op');
  }
  return problems;
}

function writeKv(w: ByteWriter, kv: KeyValue): void {
  w.bytes(kv.key).bytes(kv.value).varint(kv.version).varint(kv.revision);
}

function readKv(r: ByteReader): KeyValue {
  return { key: r.bytes(), value: r.bytes(), version: r.varint(), revision: r.varint() };
}

/** The exact encoded size of the small results (writes); a first guess for the others. */
function resultSize(result: KvResult): number {
  switch (result.type) {
    case 'put':
      return 2 + varintSize(result.version) + varintSize(result.revision);
    case 'delete':
      return 3 + varintSize(result.prevVersion) + varintSize(result.revision);
    case 'cas':
      return 3 + varintSize(result.version) + varintSize(result.revision);
    case 'get':
    case 'range':
    case 'error':
      return 64;
    default:
      return assertNever(result, 'result');
  }
}

/** Encodes a result (the reply a replica sends and the session table records). */
export function encodeResult(result: KvResult): Uint8Array {
  const w = new ByteWriter(resultSize(result)).u8(KV_FORMAT_VERSION).u8(RESULT_TAGS[result.type]);
  switch (result.type) {
    case 'get':
      if (result.kv === undefined) w.u8(0);
      else writeKv(w.u8(1), result.kv);
      break;
    case 'range':
      w.varint(result.kvs.length);
      for (const kv of result.kvs) writeKv(w, kv);
      w.u8(result.more ? 1 : 0);
      break;
    case 'put':
      w.varint(result.version).varint(result.revision);
      break;
    case 'delete':
      w.u8(result.deleted ? 1 : 0)
        .varint(result.prevVersion)
        .varint(result.revision);
      break;
    case 'cas':
      w.u8(result.succeeded ? 1 : 0)
        .varint(result.version)
        .varint(result.revision);
      break;
    case 'error':
      w.u8(ERROR_CODES.indexOf(result.code) + 1).raw(toBytes(result.message));
      break;
    default:
      assertNever(result, 'result');
  }
  return w.finish();
}

/** Decodes a result; never throws. */
export function decodeResult(bytes: Uint8Array): Decoded<KvResult> {
  const r = new ByteReader(bytes);
  readVersion(r);
  const tag = r.u8();
  let result: KvResult | undefined;
  switch (tag) {
    case RESULT_TAGS.get: {
      const found = r.bool();
      result = { type: 'get', kv: found ? readKv(r) : undefined };
      break;
    }
    case RESULT_TAGS.range: {
      const n = r.varint();
      const kvs: KeyValue[] = [];
      // Each kv takes at least 4 bytes, so a bogus count stops at the end of the input.
      for (let i = 0; i < n && r.error === undefined; i++) kvs.push(readKv(r));
      result = { type: 'range', kvs, more: r.bool() };
      break;
    }
    case RESULT_TAGS.put:
      result = { type: 'put', version: r.varint(), revision: r.varint() };
      break;
    case RESULT_TAGS.delete:
      result = { type: 'delete', deleted: r.bool(), prevVersion: r.varint(), revision: r.varint() };
      break;
    case RESULT_TAGS.cas:
      result = { type: 'cas', succeeded: r.bool(), version: r.varint(), revision: r.varint() };
      break;
    case RESULT_TAGS.error: {
      const c = r.u8();
      const code = ERROR_CODES[c - 1];
      if (code === undefined) r.fail(`unknown error code ${c}`);
      result = { type: 'error', code: code ?? 'bad-command', message: bytesToUtf8(r.rest()) };
      break;
    }
    default:
      r.fail(`unknown result tag ${tag}`);
  }
  r.end();
  if (r.error !== undefined || result === undefined)
    return { ok: false, error: r.error ?? 'no result' };
  return { ok: true, value: result };
}

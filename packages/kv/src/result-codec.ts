/**
 * The binary encoding of results (replies to clients, and the replies the session table
 * records). Same conventions as the command codec: format version byte, type tag, varints and
 * length-prefixed byte strings.
 *
 * ```
 * result: version (2) | tag | fields
 *   get=1 found(0|1) [kv] | range=2 n kv* more(0|1) | put=3 version revision
 *   delete=4 deleted(0|1) prevVersion revision | cas=5 succeeded(0|1) version revision
 *   error=6 code(1..6) message(UTF-8, to the end)
 *   txn=7 succeeded(0|1) revision n (tag fields)* (tags get, range, put, delete)
 *   lease-grant=8 lease ttlMs revision | lease-revoke=9 revoked(0|1) deleted revision
 *   lease-keepalive=10 lease ttlMs
 *   lease-ttl=11 lease ttlMs grantedRevision known(0|1) [remainingMs] n key*
 *   lease-list=12 n (lease ttlMs)* | open-session=13 sessionId revision
 *   close-session=14 revision | session-keepalive=15 revision | lessor-epoch=16 epoch revision
 * kv: key value version revision createRevision lease
 * ```
 */
import { assertNever } from './assert.js';
import { bytesToUtf8, toBytes } from './bytes.js';
import { KV_FORMAT_VERSION } from './command-codec.js';
import type { LeaseId, SessionId } from './ids.js';
import type {
  KeyValue,
  KvErrorCode,
  KvReply,
  KvResult,
  LeaseSummary,
  TxnOpResult,
} from './results.js';
import type { Decoded } from './types.js';
import { ByteReader, ByteWriter, varintSize } from './wire.js';

const RESULT_TAGS = {
  get: 1,
  range: 2,
  put: 3,
  delete: 4,
  cas: 5,
  error: 6,
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
const ERROR_CODES: readonly KvErrorCode[] = [
  'bad-command',
  'invalid',
  'stale-sequence',
  'session-expired',
  'lease-not-found',
  'limit-exceeded',
];

function writeKv(w: ByteWriter, kv: KeyValue): void {
  w.bytes(kv.key)
    .bytes(kv.value)
    .varint(kv.version)
    .varint(kv.revision)
    .varint(kv.createRevision)
    .varint(kv.lease);
}

function readKv(r: ByteReader): KeyValue {
  return {
    key: r.bytes(),
    value: r.bytes(),
    version: r.varint(),
    revision: r.varint(),
    createRevision: r.varint(),
    lease: r.varint() as LeaseId | 0,
  };
}

/** A positive id; 0 is malformed. */
function readId(r: ByteReader, what: string): number {
  const n = r.varint();
  if (n === 0) r.fail(`${what} 0`);
  return n;
}

/** The exact encoded size of the small results (writes); a first guess for the others. */
function resultSize(result: KvReply): number {
  const t = result.type;
  if (t === 'put') return 2 + varintSize(result.version) + varintSize(result.revision);
  if (t === 'cas') return 3 + varintSize(result.version) + varintSize(result.revision);
  if (t === 'delete') return 3 + varintSize(result.prevVersion) + varintSize(result.revision);
  if (t === 'open-session') return 2 + varintSize(result.sessionId) + varintSize(result.revision);
  if (t === 'close-session' || t === 'session-keepalive') return 2 + varintSize(result.revision);
  return 64;
}

function writeBody(w: ByteWriter, result: KvReply): void {
  w.u8(RESULT_TAGS[result.type]);
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
    case 'txn':
      w.u8(result.succeeded ? 1 : 0)
        .varint(result.revision)
        .varint(result.results.length);
      for (const r of result.results) writeBody(w, r);
      break;
    case 'lease-grant':
      w.varint(result.lease).varint(result.ttlMs).varint(result.revision);
      break;
    case 'lease-revoke':
      w.u8(result.revoked ? 1 : 0)
        .varint(result.deleted)
        .varint(result.revision);
      break;
    case 'lease-keepalive':
      w.varint(result.lease).varint(result.ttlMs);
      break;
    case 'lease-ttl':
      w.varint(result.lease).varint(result.ttlMs).varint(result.grantedRevision);
      if (result.remainingMs === undefined) w.u8(0);
      else w.u8(1).varint(result.remainingMs);
      w.varint(result.keys.length);
      for (const k of result.keys) w.bytes(k);
      break;
    case 'lease-list':
      w.varint(result.leases.length);
      for (const l of result.leases) w.varint(l.lease).varint(l.ttlMs);
      break;
    case 'open-session':
      w.varint(result.sessionId).varint(result.revision);
      break;
    case 'close-session':
    case 'session-keepalive':
      w.varint(result.revision);
      break;
    case 'lessor-epoch':
      w.varint(result.epoch).varint(result.revision);
      break;
    default:
      assertNever(result, 'result');
  }
}

/** Encodes a result (the reply a replica sends and the session table records). */
export function encodeResult(result: KvReply): Uint8Array {
  const w = new ByteWriter(resultSize(result)).u8(KV_FORMAT_VERSION);
  writeBody(w, result);
  return w.finish();
}

function readList<T>(r: ByteReader, read: () => T): T[] {
  const n = r.varint();
  const out: T[] = [];
  // Every element takes at least one byte, so a bogus count stops at the end of the input.
  for (let i = 0; i < n && r.error === undefined; i++) out.push(read());
  return out;
}

function readBody(r: ByteReader, inTxn: boolean): KvReply | undefined {
  const tag = r.u8();
  switch (tag) {
    case RESULT_TAGS.get: {
      const found = r.bool();
      return { type: 'get', kv: found ? readKv(r) : undefined };
    }
    case RESULT_TAGS.range: {
      const kvs = readList(r, () => readKv(r));
      return { type: 'range', kvs, more: r.bool() };
    }
    case RESULT_TAGS.put:
      return { type: 'put', version: r.varint(), revision: r.varint() };
    case RESULT_TAGS.delete:
      return { type: 'delete', deleted: r.bool(), prevVersion: r.varint(), revision: r.varint() };
    default:
      if (inTxn) {
        r.fail(`result tag ${tag} is not allowed in a transaction result`);
        return undefined;
      }
  }
  switch (tag) {
    case RESULT_TAGS.cas:
      return { type: 'cas', succeeded: r.bool(), version: r.varint(), revision: r.varint() };
    case RESULT_TAGS.error: {
      const c = r.u8();
      const code = ERROR_CODES[c - 1];
      if (code === undefined) r.fail(`unknown error code ${c}`);
      return { type: 'error', code: code ?? 'bad-command', message: bytesToUtf8(r.rest()) };
    }
    case RESULT_TAGS.txn: {
      const succeeded = r.bool();
      const revision = r.varint();
      const results = readList(r, () => readBody(r, true)).filter(
        (x): x is TxnOpResult => x !== undefined,
      );
      return { type: 'txn', succeeded, revision, results };
    }
    case RESULT_TAGS['lease-grant']:
      return {
        type: 'lease-grant',
        lease: readId(r, 'lease') as LeaseId,
        ttlMs: r.varint(),
        revision: r.varint(),
      };
    case RESULT_TAGS['lease-revoke']:
      return { type: 'lease-revoke', revoked: r.bool(), deleted: r.varint(), revision: r.varint() };
    case RESULT_TAGS['lease-keepalive']:
      return { type: 'lease-keepalive', lease: readId(r, 'lease') as LeaseId, ttlMs: r.varint() };
    case RESULT_TAGS['lease-ttl']: {
      const lease = readId(r, 'lease') as LeaseId;
      const ttlMs = r.varint();
      const grantedRevision = r.varint();
      const remainingMs = r.bool() ? r.varint() : undefined;
      const keys = readList(r, () => r.bytes());
      return { type: 'lease-ttl', lease, ttlMs, grantedRevision, remainingMs, keys };
    }
    case RESULT_TAGS['lease-list']: {
      const leases = readList(r, (): LeaseSummary => ({
        lease: readId(r, 'lease') as LeaseId,
        ttlMs: r.varint(),
      }));
      return { type: 'lease-list', leases };
    }
    case RESULT_TAGS['open-session']:
      return {
        type: 'open-session',
        sessionId: readId(r, 'session id') as SessionId,
        revision: r.varint(),
      };
    case RESULT_TAGS['close-session']:
      return { type: 'close-session', revision: r.varint() };
    case RESULT_TAGS['session-keepalive']:
      return { type: 'session-keepalive', revision: r.varint() };
    case RESULT_TAGS['lessor-epoch']:
      return { type: 'lessor-epoch', epoch: r.varint(), revision: r.varint() };
    default:
      r.fail(`unknown result tag ${tag}`);
      return undefined;
  }
}

/** Decodes any result; never throws. */
export function decodeReply(bytes: Uint8Array): Decoded<KvReply> {
  const r = new ByteReader(bytes);
  const v = r.u8();
  if (r.error === undefined && v !== KV_FORMAT_VERSION) r.fail(`unsupported format version ${v}`);
  const result = readBody(r, false);
  r.end();
  if (r.error !== undefined || result === undefined)
    return { ok: false, error: r.error ?? 'no result' };
  return { ok: true, value: result };
}

/**
 * Decodes the result of a basic key-value operation (get, range, put, delete, cas) or an
 * error; never throws. Any other result is reported as `{ ok: false }` naming its type: decode
 * replies to transactions, lease and session operations with {@link decodeReply}.
 */
export function decodeResult(bytes: Uint8Array): Decoded<KvResult> {
  const d = decodeReply(bytes);
  if (!d.ok) return d;
  const v = d.value;
  if (
    v.type === 'get' ||
    v.type === 'range' ||
    v.type === 'put' ||
    v.type === 'delete' ||
    v.type === 'cas' ||
    v.type === 'error'
  )
    return { ok: true, value: v };
  return { ok: false, error: `a ${v.type} result is not a basic result: use decodeReply` };
}

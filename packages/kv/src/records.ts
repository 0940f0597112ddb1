/**
 * The records the state machine hands to storage (see `state-write.ts`) and reads back in
 * `KvStateMachine.fromRecords`. Opaque to the store; defined here, versioned here.
 *
 * `data` space: key = the user key; value = `2 | version | revision | createRevision | lease |
 * value` (varints, then the raw value).
 *
 * `sessions` space (the machine's own replicated metadata), key = one tag byte + payload:
 *
 * | tag    | payload              | value                                                |
 * | ------ | -------------------- | ---------------------------------------------------- |
 * | `0x01` | client id            | `2 | lastSeq | lastSlot | reply` (client-chosen session) |
 * | `0x02` | session id, u64 BE   | `2 | lastSeq | lastSlot | reply` (registered session)  |
 * | `0x03` | lease id, u64 BE     | `2 | ttlMs | grantedRevision`                         |
 * | `0x04` | (none)               | `2 | nextSessionId | nextLeaseId | epoch | holder`       |
 *
 * Ids are big-endian so the keys sort by id. Records of format 1 (before leases and registered
 * sessions) are refused with a message that says so: they cannot be upgraded in place.
 */
import { assert } from './assert.js';
import { binaryStringToBytes, bytesToBinaryString } from './bytes.js';
import { ByteReader, ByteWriter, varintSize } from './wire.js';

/** The version byte every record starts with. */
export const RECORD_VERSION = 2;

/** First key byte of each kind of `sessions`-space record. */
export const META_TAGS = { clientSession: 0x01, session: 0x02, lease: 0x03, meta: 0x04 } as const;

/** One key's state: the data record, encoded once and kept, and views into it. */
export interface Entry {
  /** A view of the end of `record` (never mutated). */
  readonly value: Uint8Array;
  readonly version: number;
  readonly revision: number;
  readonly createRevision: number;
  /** 0 for none. */
  readonly lease: number;
  readonly record: Uint8Array;
}

/** A new entry and its data record: one allocation, `value` copied into it. */
export function makeEntry(
  value: Uint8Array,
  version: number,
  revision: number,
  createRevision: number,
  lease: number,
): Entry {
  const head =
    1 + varintSize(version) + varintSize(revision) + varintSize(createRevision) + varintSize(lease);
  const record = new ByteWriter(head + value.length)
    .u8(RECORD_VERSION)
    .varint(version)
    .varint(revision)
    .varint(createRevision)
    .varint(lease)
    .raw(value)
    .finish();
  return { value: record.subarray(head), version, revision, createRevision, lease, record };
}

function checkVersion(r: ByteReader, what: string): void {
  const v = r.u8();
  assert(
    v === RECORD_VERSION,
    v === 1
      ? `${what} record of format 1 was written by an earlier release that had no leases or ` +
          'registered sessions: it cannot be upgraded in place (start from an empty data ' +
          'directory or restore a snapshot taken by this release)'
      : `${what} record version ${v} is not ${RECORD_VERSION}`,
  );
}

/** Decodes a data record (stored by this machine: corruption is a broken invariant). */
export function decodeEntry(bytes: Uint8Array): Entry {
  const r = new ByteReader(bytes);
  checkVersion(r, 'data');
  const version = r.varint();
  const revision = r.varint();
  const createRevision = r.varint();
  const lease = r.varint();
  const value = r.view(r.remaining()); // copied once, by makeEntry
  assert(r.error === undefined && version >= 1, `corrupt data record: ${r.error}`);
  return makeEntry(value, version, revision, createRevision, lease);
}

/** A session: the last command's sequence number and reply, and the slot it was last used. */
export interface SessionRecord {
  readonly lastSeq: number;
  readonly lastSlot: number;
  readonly reply: Uint8Array;
}

/** Encodes a session record. */
export function encodeSession(s: SessionRecord): Uint8Array {
  return new ByteWriter(1 + varintSize(s.lastSeq) + varintSize(s.lastSlot) + s.reply.length)
    .u8(RECORD_VERSION)
    .varint(s.lastSeq)
    .varint(s.lastSlot)
    .raw(s.reply)
    .finish();
}

/** Decodes a session record. */
export function decodeSession(bytes: Uint8Array): SessionRecord {
  const r = new ByteReader(bytes);
  checkVersion(r, 'session');
  const lastSeq = r.varint();
  const lastSlot = r.varint();
  const reply = r.rest();
  assert(r.error === undefined, `corrupt session record: ${r.error}`);
  return { lastSeq, lastSlot, reply };
}

/** A lease as the replicated state keeps it (the deadline lives only in the leader's lessor). */
export interface LeaseRecord {
  readonly ttlMs: number;
  readonly grantedRevision: number;
}

/** Encodes a lease record. */
export function encodeLease(l: LeaseRecord): Uint8Array {
  return new ByteWriter(1 + varintSize(l.ttlMs) + varintSize(l.grantedRevision))
    .u8(RECORD_VERSION)
    .varint(l.ttlMs)
    .varint(l.grantedRevision)
    .finish();
}

/** Decodes a lease record. */
export function decodeLease(bytes: Uint8Array): LeaseRecord {
  const r = new ByteReader(bytes);
  checkVersion(r, 'lease');
  const ttlMs = r.varint();
  const grantedRevision = r.varint();
  r.end();
  assert(r.error === undefined && ttlMs >= 1, `corrupt lease record: ${r.error}`);
  return { ttlMs, grantedRevision };
}

/** Counters for the ids the machine hands out, and the current lessor epoch. */
export interface MetaRecord {
  readonly nextSessionId: number;
  readonly nextLeaseId: number;
  /** 0 before the first `lessor-epoch`. */
  readonly epoch: number;
  readonly holder: Uint8Array;
}

/** The state of a machine that has handed out nothing. */
export const INITIAL_META: MetaRecord = {
  nextSessionId: 1,
  nextLeaseId: 1,
  epoch: 0,
  holder: new Uint8Array(0),
};

/** Encodes the meta record. */
export function encodeMeta(m: MetaRecord): Uint8Array {
  return new ByteWriter()
    .u8(RECORD_VERSION)
    .varint(m.nextSessionId)
    .varint(m.nextLeaseId)
    .varint(m.epoch)
    .bytes(m.holder)
    .finish();
}

/** Decodes the meta record. */
export function decodeMeta(bytes: Uint8Array): MetaRecord {
  const r = new ByteReader(bytes);
  checkVersion(r, 'meta');
  const m = {
    nextSessionId: r.varint(),
    nextLeaseId: r.varint(),
    epoch: r.varint(),
    holder: r.bytes(),
  };
  r.end();
  assert(
    r.error === undefined && m.nextSessionId >= 1 && m.nextLeaseId >= 1,
    `corrupt meta record: ${r.error}`,
  );
  return m;
}

/** `n` (a safe integer) as 8 big-endian bytes after `tag`, as a binary string. */
export function idKey(tag: number, n: number): string {
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  return String.fromCharCode(
    tag,
    (hi >>> 24) & 0xff,
    (hi >>> 16) & 0xff,
    (hi >>> 8) & 0xff,
    hi & 0xff,
    (lo >>> 24) & 0xff,
    (lo >>> 16) & 0xff,
    (lo >>> 8) & 0xff,
    lo & 0xff,
  );
}

/** The id in an {@link idKey}. */
export function idOfKey(key: string): number {
  assert(key.length === 9, 'an id key is 9 bytes');
  let hi = 0;
  let lo = 0;
  for (let i = 1; i <= 4; i++) hi = hi * 256 + key.charCodeAt(i);
  for (let i = 5; i <= 8; i++) lo = lo * 256 + key.charCodeAt(i);
  const n = hi * 0x1_0000_0000 + lo;
  assert(Number.isSafeInteger(n), 'an id is a safe integer');
  return n;
}

/** The key of a client-chosen session record. */
export function clientSessionKey(clientId: Uint8Array): string {
  return String.fromCharCode(META_TAGS.clientSession) + bytesToBinaryString(clientId);
}

/** The key of the meta record. */
export const META_KEY = String.fromCharCode(META_TAGS.meta);

/** A binary-string key as the bytes a `StateWrite` carries. */
export function keyBytes(key: string): Uint8Array {
  return binaryStringToBytes(key);
}

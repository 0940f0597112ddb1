/**
 * The wire format of peer messages: a compact, versioned binary frame around
 * msgpack-encoded message bodies. One frame is one NATS message, never larger than the
 * sender's frame bound (itself at most the server's `max_payload`).
 *
 * ```
 * frame    = version:u8 kind:u8 rest
 * version  = 1
 * kind 1   = batch: from:varint to:varint count:varint entry{count}
 * kind 2   = chunk: from:varint to:varint incarnation:u32be transferId:varint
 *                   index:varint count:varint totalBytes:varint offset:varint bytes...
 * entry    = tag:u8 [nameLength:varint name:utf8 when tag = 0] bodyLength:varint body
 * body     = msgpack map (standard msgpack, no records extension) of the message's fields
 *            other than `type`, `from` and `to`
 * varint   = unsigned LEB128, at most 2^53 - 1
 * ```
 *
 * `type` travels as a one-byte tag for the core's known message types and as a string (tag 0)
 * for any other, so a message type added to the core later is carried without a format change.
 * `from` and `to` are hoisted into the frame header: a frame carries messages of one sender to
 * one receiver. A message whose entry does not fit in one frame (a snapshot) is split into
 * chunk frames; the receiver reassembles the entry bytes (see `reassembler.ts`) and decodes
 * them like a batch entry.
 *
 * Decoding never throws: it returns what it could decode and the problems it met, so a bad
 * frame or entry is counted and dropped by the transport.
 */
import { Packr, Unpackr } from 'msgpackr';
import { assert } from './assert.js';

/** The frame format version written by this code and the only one it reads. */
export const FRAME_VERSION = 1;

/** Frame kinds (second byte of every frame). */
export const FRAME_KIND = { batch: 1, chunk: 2 } as const;

/** Bytes reserved for a batch frame header (version, kind, from, to, count as varints). */
export const BATCH_HEADER_BYTES_MAX = 2 + 8 + 8 + 8;

/** Bytes reserved for a chunk frame header. */
export const CHUNK_HEADER_BYTES_MAX = 2 + 8 + 8 + 4 + 8 * 5;

/** The smallest frame bound accepted: room for headers and some payload. */
export const FRAME_BYTES_MIN = 256;

/**
 * One-byte tags of the core's message types (format version 1). Append only: a tag is never
 * reused for another type. A type missing here is sent with tag 0 and its name as a string.
 */
export const MESSAGE_TYPE_TAGS: Readonly<Record<string, number>> = Object.freeze({
  prepare: 1,
  promise: 2,
  accept: 3,
  accepted: 4,
  reject: 5,
  heartbeat: 6,
  'heartbeat-reply': 7,
  fetch: 8,
  chosen: 9,
  snapshot: 10,
  'pre-prepare': 11,
  'pre-promise': 12,
});

const TAG_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(MESSAGE_TYPE_TAGS).map(([name, tag]) => [tag, name]),
);

/** Tag of an entry whose type name is carried as a string. */
const TAG_NAMED = 0;

/** The longest type name carried with tag 0. */
const TYPE_NAME_LENGTH_MAX = 64;

/**
 * What the transport needs of a peer message: a string `type` tag and the sender and
 * receiver node ids (positive safe integers). Everything else is plain data (numbers, strings,
 * booleans, null, arrays, plain objects, Uint8Array) that the transport does not interpret.
 * The Paxos core's `Message` union satisfies this.
 */
export interface PeerMessage {
  readonly type: string;
  readonly from: number;
  readonly to: number;
}

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  // Decoded byte strings are copies: they never pin a large received frame in memory, and as
  // plain Uint8Array (the input is given as one) `slice` copies like the core expects.
  copyBuffers: true,
  int64AsType: 'number',
});
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Whether `n` is a valid node id on the wire: a positive safe integer. */
export function isWireNodeId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

// ---------------------------------------------------------------------------------------------
// varints

/** Bytes an unsigned LEB128 varint of `n` takes. */
export function varintLength(n: number): number {
  assert(Number.isSafeInteger(n) && n >= 0, `varint out of range: ${n}`);
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len += 1;
  }
  return len;
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  assert(Number.isSafeInteger(n) && n >= 0, `varint out of range: ${n}`);
  while (n >= 0x80) {
    buf[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

/** A frame or entry that cannot be decoded. Internal: decoding functions return problems. */
class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

class Reader {
  pos: number;
  readonly bytes: Uint8Array;
  readonly end: number;

  constructor(bytes: Uint8Array, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) {
      throw new DecodeError('truncated');
    }
    return this.bytes[this.pos++] as number;
  }

  u32(): number {
    if (this.remaining() < 4) {
      throw new DecodeError('truncated');
    }
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (
      ((b[p] as number) * 0x1000000 +
        (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))) >>>
      0
    );
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) {
          throw new DecodeError('varint too large');
        }
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError('varint too long');
  }

  take(n: number): Uint8Array {
    if (n > this.remaining()) {
      throw new DecodeError('truncated');
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// entries

/**
 * Encodes one message as a frame entry (tag, optional type name, length-prefixed msgpack body).
 * Throws (assertion) when the message lacks a string `type` or has a value msgpack cannot
 * encode.
 */
export function encodeEntry(message: PeerMessage): Uint8Array {
  const {
    type,
    from: _from,
    to: _to,
    ...fields
  } = message as PeerMessage & Record<string, unknown>;
  assert(typeof type === 'string' && type.length > 0, 'message.type must be a non-empty string');
  const body = packr.pack(fields);
  const tag = MESSAGE_TYPE_TAGS[type];
  let name: Uint8Array | undefined;
  let headerLen = 1 + varintLength(body.length);
  if (tag === undefined) {
    name = utf8Encoder.encode(type);
    assert(
      name.length <= TYPE_NAME_LENGTH_MAX,
      `message type name longer than ${TYPE_NAME_LENGTH_MAX} bytes`,
    );
    headerLen += varintLength(name.length) + name.length;
  }
  const out = new Uint8Array(headerLen + body.length);
  let pos = 0;
  out[pos++] = tag ?? TAG_NAMED;
  if (name !== undefined) {
    pos = writeVarint(out, pos, name.length);
    out.set(name, pos);
    pos += name.length;
  }
  pos = writeVarint(out, pos, body.length);
  out.set(body, pos);
  return out;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    return false;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Reads one entry at the reader's position; throws DecodeError on a malformed entry. */
function readEntry(reader: Reader, from: number, to: number): PeerMessage {
  const tag = reader.u8();
  let type: string | undefined;
  if (tag === TAG_NAMED) {
    const nameLen = reader.varint();
    if (nameLen === 0 || nameLen > TYPE_NAME_LENGTH_MAX) {
      throw new DecodeError(`bad type name length ${nameLen}`);
    }
    try {
      type = utf8Decoder.decode(reader.take(nameLen));
    } catch (e) {
      if (e instanceof DecodeError) {
        throw e;
      }
      throw new DecodeError('type name is not UTF-8');
    }
  } else {
    type = TAG_NAMES.get(tag);
    if (type === undefined) {
      throw new DecodeError(`unknown type tag ${tag}`);
    }
  }
  const bodyLen = reader.varint();
  const body = reader.take(bodyLen);
  let fields: unknown;
  try {
    fields = unpackr.unpack(body);
  } catch (e) {
    throw new DecodeError(`bad msgpack body: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isPlainRecord(fields)) {
    throw new DecodeError('body is not a map');
  }
  if ('type' in fields || 'from' in fields || 'to' in fields) {
    throw new DecodeError('body repeats an envelope field');
  }
  return { type, from, to, ...fields };
}

// ---------------------------------------------------------------------------------------------
// frames

/** A chunk of one large entry, as decoded from a chunk frame. */
export interface Chunk {
  readonly from: number;
  readonly to: number;
  /** Random per sender instance: keeps transfers of a restarted sender apart. */
  readonly incarnation: number;
  readonly transferId: number;
  readonly index: number;
  readonly count: number;
  readonly totalBytes: number;
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** What {@link decodeFrame} found in one frame. */
export type DecodedFrame =
  | {
      readonly kind: 'batch';
      readonly from: number;
      readonly to: number;
      /** Entries that decoded. */
      readonly messages: PeerMessage[];
      /** One reason per entry (or unreadable tail) that did not decode. */
      readonly errors: string[];
    }
  | { readonly kind: 'chunk'; readonly chunk: Chunk }
  | { readonly kind: 'invalid'; readonly reason: string };

function readNodeId(reader: Reader, what: string): number {
  const id = reader.varint();
  if (!isWireNodeId(id)) {
    throw new DecodeError(`${what} is not a positive node id`);
  }
  return id;
}

/**
 * Decodes one frame. Never throws: a frame with a bad header is `invalid`; in a batch, each
 * entry that does not decode adds one problem to `errors` while the others are returned (an
 * entry with an unreadable length ends the batch: the rest cannot be located).
 */
export function decodeFrame(input: Uint8Array): DecodedFrame {
  // A plain Uint8Array view (no copy), so msgpackr's copied byte strings are plain too.
  const bytes =
    Object.getPrototypeOf(input) === Uint8Array.prototype
      ? input
      : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const reader = new Reader(bytes);
  try {
    const version = reader.u8();
    if (version !== FRAME_VERSION) {
      return { kind: 'invalid', reason: `unsupported frame version ${version}` };
    }
    const kind = reader.u8();
    const from = readNodeId(reader, 'from');
    const to = readNodeId(reader, 'to');
    if (kind === FRAME_KIND.batch) {
      const count = reader.varint();
      if (count === 0 || count > reader.remaining()) {
        return { kind: 'invalid', reason: `bad entry count ${count}` };
      }
      const messages: PeerMessage[] = [];
      const errors: string[] = [];
      for (let i = 0; i < count; i++) {
        const start = reader.pos;
        try {
          messages.push(readEntry(reader, from, to));
        } catch (e) {
          if (!(e instanceof DecodeError)) {
            throw e;
          }
          errors.push(`entry ${i}: ${e.message}`);
          // Skip a well-delimited bad entry; give up on the rest if its bounds are unknown.
          const skipped = skipEntry(bytes, start, reader.end);
          if (skipped === undefined) {
            errors.push(`entries ${i + 1}..${count - 1}: unreadable after a malformed entry`);
            break;
          }
          reader.pos = skipped;
        }
      }
      if (messages.length === count && reader.remaining() !== 0) {
        errors.push(`${reader.remaining()} trailing bytes`);
      }
      return { kind: 'batch', from, to, messages, errors };
    }
    if (kind === FRAME_KIND.chunk) {
      const incarnation = reader.u32();
      const transferId = reader.varint();
      const index = reader.varint();
      const count = reader.varint();
      const totalBytes = reader.varint();
      const offset = reader.varint();
      const chunkBytes = reader.take(reader.remaining());
      if (count < 2 || index >= count) {
        return { kind: 'invalid', reason: `bad chunk index ${index} of ${count}` };
      }
      if (chunkBytes.length === 0 || offset + chunkBytes.length > totalBytes) {
        return { kind: 'invalid', reason: 'chunk outside its transfer' };
      }
      return {
        kind: 'chunk',
        chunk: {
          from,
          to,
          incarnation,
          transferId,
          index,
          count,
          totalBytes,
          offset,
          bytes: chunkBytes,
        },
      };
    }
    return { kind: 'invalid', reason: `unknown frame kind ${kind}` };
  } catch (e) {
    if (e instanceof DecodeError) {
      return { kind: 'invalid', reason: e.message };
    }
    return { kind: 'invalid', reason: `unexpected: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The position after the entry at `start`, if its header is readable and in bounds. */
function skipEntry(bytes: Uint8Array, start: number, end: number): number | undefined {
  const r = new Reader(bytes, start, end);
  try {
    const tag = r.u8();
    if (tag === TAG_NAMED) {
      r.take(r.varint());
    }
    r.take(r.varint());
    return r.pos;
  } catch {
    return undefined;
  }
}

/**
 * Decodes a reassembled entry (the concatenated chunks of one large message). Returns the
 * message or the reason it does not decode.
 */
export function decodeEntry(
  entry: Uint8Array,
  from: number,
  to: number,
):
  | { readonly ok: true; readonly message: PeerMessage }
  | { readonly ok: false; readonly reason: string } {
  const reader = new Reader(entry);
  try {
    const message = readEntry(reader, from, to);
    if (reader.remaining() !== 0) {
      return { ok: false, reason: `${reader.remaining()} trailing bytes` };
    }
    return { ok: true, message };
  } catch (e) {
    if (e instanceof DecodeError) {
      return { ok: false, reason: e.message };
    }
    return { ok: false, reason: `unexpected: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function writeBatchFrame(
  from: number,
  to: number,
  entries: readonly Uint8Array[],
  bytes: number,
): Uint8Array {
  const headerLen = 2 + varintLength(from) + varintLength(to) + varintLength(entries.length);
  const out = new Uint8Array(headerLen + bytes);
  out[0] = FRAME_VERSION;
  out[1] = FRAME_KIND.batch;
  let pos = writeVarint(out, 2, from);
  pos = writeVarint(out, pos, to);
  pos = writeVarint(out, pos, entries.length);
  for (const e of entries) {
    out.set(e, pos);
    pos += e.length;
  }
  assert(pos === out.length, 'batch frame length');
  return out;
}

/** One frame to publish and how many messages it completes. */
export interface EncodedFrame {
  readonly bytes: Uint8Array;
  /** Messages this frame carries whole (a chunk frame: 1 for the last chunk, else 0). */
  readonly messages: number;
  readonly kind: 'batch' | 'chunk';
}

/**
 * Encodes messages from one sender to one receiver into frames of at most `frameBytesMax`
 * bytes, keeping their order. Consecutive messages share batch frames; a message too large for
 * a batch frame becomes a run of chunk frames.
 *
 * Invariant: every returned frame is at most `frameBytesMax` bytes long.
 */
export class FrameEncoder {
  readonly #incarnation: number;
  #nextTransferId = 0;

  /** @param incarnation a random u32 that differs between runs of the same node. */
  constructor(incarnation: number) {
    assert(
      Number.isInteger(incarnation) && incarnation >= 0 && incarnation <= 0xffffffff,
      'incarnation is a u32',
    );
    this.#incarnation = incarnation;
  }

  /**
   * Frames for `entries` (from {@link encodeEntry}) sent by `from` to `to`. Throws (assertion)
   * when `frameBytesMax` is below {@link FRAME_BYTES_MIN}.
   */
  encode(
    from: number,
    to: number,
    entries: readonly Uint8Array[],
    frameBytesMax: number,
  ): EncodedFrame[] {
    assert(
      Number.isSafeInteger(frameBytesMax) && frameBytesMax >= FRAME_BYTES_MIN,
      `frameBytesMax below ${FRAME_BYTES_MIN}`,
    );
    assert(isWireNodeId(from) && isWireNodeId(to), 'from and to must be positive safe integers');
    const batchBytesMax = frameBytesMax - BATCH_HEADER_BYTES_MAX;
    const frames: EncodedFrame[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pending.length > 0) {
        frames.push({
          bytes: writeBatchFrame(from, to, pending, pendingBytes),
          messages: pending.length,
          kind: 'batch',
        });
        pending = [];
        pendingBytes = 0;
      }
    };
    for (const entry of entries) {
      if (entry.length > batchBytesMax) {
        flush();
        this.#chunk(from, to, entry, frameBytesMax, frames);
        continue;
      }
      if (pendingBytes + entry.length > batchBytesMax) {
        flush();
      }
      pending.push(entry);
      pendingBytes += entry.length;
    }
    flush();
    return frames;
  }

  #chunk(
    from: number,
    to: number,
    entry: Uint8Array,
    frameBytesMax: number,
    frames: EncodedFrame[],
  ): void {
    const chunkBytesMax = frameBytesMax - CHUNK_HEADER_BYTES_MAX;
    const count = Math.ceil(entry.length / chunkBytesMax);
    const transferId = this.#nextTransferId++;
    for (let index = 0; index < count; index++) {
      const offset = index * chunkBytesMax;
      const slice = entry.subarray(offset, Math.min(entry.length, offset + chunkBytesMax));
      const headerLen =
        2 +
        varintLength(from) +
        varintLength(to) +
        4 +
        varintLength(transferId) +
        varintLength(index) +
        varintLength(count) +
        varintLength(entry.length) +
        varintLength(offset);
      const out = new Uint8Array(headerLen + slice.length);
      out[0] = FRAME_VERSION;
      out[1] = FRAME_KIND.chunk;
      let pos = writeVarint(out, 2, from);
      pos = writeVarint(out, pos, to);
      const inc = this.#incarnation;
      out[pos++] = (inc >>> 24) & 0xff;
      out[pos++] = (inc >>> 16) & 0xff;
      out[pos++] = (inc >>> 8) & 0xff;
      out[pos++] = inc & 0xff;
      pos = writeVarint(out, pos, transferId);
      pos = writeVarint(out, pos, index);
      pos = writeVarint(out, pos, count);
      pos = writeVarint(out, pos, entry.length);
      pos = writeVarint(out, pos, offset);
      out.set(slice, pos);
      assert(out.length <= frameBytesMax, 'chunk frame exceeds its bound');
      frames.push({ bytes: out, messages: index === count - 1 ? 1 : 0, kind: 'chunk' });
    }
  }
}

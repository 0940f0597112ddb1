/**
 * The watch stream: what a node publishes to a watch's inbox (layout in `protocol.ts`), and the
 * pure parts of the client that read it.
 *
 * - A **message** is what one delivery of the node's watch hub holds: whole revisions of
 *   events, maybe a progress notification, maybe (last) a cancellation. It is cut into
 *   **frames** no larger than the NATS server's `max_payload`, numbered per watch from seq 1.
 * - {@link FrameAssembler} puts frames back together and reports a gap (a frame lost, say while
 *   NATS reconnected): the watch must then be re-created from the last revision seen.
 * - {@link WatchCursor} is the resume point: the first revision the caller has not fully
 *   received. A revision is never split across messages, so after the events of revision R (or
 *   a progress notification naming R) everything up to R has been received and a new watch
 *   starts at R + 1, on any node (every node applies the same log).
 *
 * No I/O, no clocks: `watch.ts` drives these from NATS callbacks and timers.
 */
import { PROTOCOL_VERSION, getU64, setU64 } from './protocol.js';
import type { DecodeResult } from './protocol.js';

/** Frame kind of a watch stream frame (after the version byte). */
export const WATCH_FRAME_KIND = 16;
/** Header bytes of a stream frame before its chunk. */
export const WATCH_FRAME_HEADER_BYTES = 11;

/** A key with its value and metadata as a watch event carries it. */
export interface WireKeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly version: number;
  readonly revision: number;
  readonly createRevision: number;
  readonly lease: number;
}

/** One change of one key (a delete carries the key, an empty value, version 0). */
export interface WireEvent {
  readonly type: 'put' | 'delete';
  readonly kv: WireKeyValue;
  readonly prev?: WireKeyValue | undefined;
}

/** Why a node cancelled a watch. */
export type WatchStreamCancelReason =
  /** The consumer did not keep up: the node's queue for it went over its bound. */
  | 'slow'
  /** The node's history dropped revisions the watch still needed. */
  | 'compacted'
  /** The node installed a snapshot: its history is gone. */
  | 'reset'
  /** The client did not refresh the watch in time. */
  | 'expired'
  /** The node is shutting down. */
  | 'shutdown';

const CANCEL_REASONS: readonly WatchStreamCancelReason[] = [
  'slow',
  'compacted',
  'reset',
  'expired',
  'shutdown',
];

/** One item of a watch message. */
export type WatchItem =
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly WireEvent[] }
  | { readonly kind: 'progress'; readonly revision: number }
  | {
      readonly kind: 'cancelled';
      readonly reason: WatchStreamCancelReason;
      readonly message: string;
      readonly resumeRevision: number;
    };

/** A decoded stream frame. */
export interface WatchFrame {
  readonly watchId: number;
  readonly seq: number;
  /** The last frame of its message. */
  readonly final: boolean;
  readonly chunk: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

function kvSize(kv: WireKeyValue): number {
  return 40 + kv.key.byteLength + kv.value.byteLength;
}

/** Bytes of the encoded message of `items`. */
function messageSize(items: readonly WatchItem[], messages: Uint8Array[]): number {
  let n = 4;
  for (const it of items) {
    if (it.kind === 'events') {
      n += 13;
      for (const e of it.events)
        n += 2 + kvSize(e.kv) + (e.prev === undefined ? 0 : kvSize(e.prev));
    } else if (it.kind === 'progress') n += 9;
    else {
      const m = enc.encode(it.message);
      messages.push(m);
      n += 14 + m.byteLength;
    }
  }
  return n;
}

/** Encodes one watch message (layout in `protocol.ts`). */
export function encodeWatchMessage(items: readonly WatchItem[]): Uint8Array {
  const messages: Uint8Array[] = [];
  const out = new Uint8Array(messageSize(items, messages));
  const view = new DataView(out.buffer);
  let off = 0;
  const kv = (k: WireKeyValue): void => {
    view.setUint32(off, k.key.byteLength);
    out.set(k.key, off + 4);
    off += 4 + k.key.byteLength;
    view.setUint32(off, k.value.byteLength);
    out.set(k.value, off + 4);
    off += 4 + k.value.byteLength;
    setU64(view, off, k.version);
    setU64(view, off + 8, k.revision);
    setU64(view, off + 16, k.createRevision);
    setU64(view, off + 24, k.lease);
    off += 32;
  };
  view.setUint32(0, items.length);
  off = 4;
  let m = 0;
  for (const it of items) {
    if (it.kind === 'events') {
      out[off] = 1;
      setU64(view, off + 1, it.revision);
      view.setUint32(off + 9, it.events.length);
      off += 13;
      for (const e of it.events) {
        out[off] = e.type === 'put' ? 1 : 2;
        out[off + 1] = e.prev === undefined ? 0 : 1;
        off += 2;
        kv(e.kv);
        if (e.prev !== undefined) kv(e.prev);
      }
    } else if (it.kind === 'progress') {
      out[off] = 2;
      setU64(view, off + 1, it.revision);
      off += 9;
    } else {
      const text = messages[m++] ?? new Uint8Array(0);
      out[off] = 3;
      out[off + 1] = CANCEL_REASONS.indexOf(it.reason) + 1;
      setU64(view, off + 2, it.resumeRevision);
      view.setUint32(off + 10, text.byteLength);
      out.set(text, off + 14);
      off += 14 + text.byteLength;
    }
  }
  return out;
}

/** Decodes a watch message; never throws. */
export function decodeWatchMessage(bytes: Uint8Array): DecodeResult<WatchItem[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  let off = 0;
  let problem: string | undefined;
  const need = (n: number, what: string): boolean => {
    if (off + n <= len) return true;
    problem ??= `watch message: ${what} runs past the end`;
    return false;
  };
  const u64 = (what: string): number => {
    const v = getU64(view, off);
    off += 8;
    if (v === undefined) problem ??= `watch message: ${what} out of range`;
    return v ?? 0;
  };
  const bytesField = (what: string): Uint8Array => {
    if (!need(4, what)) return new Uint8Array(0);
    const n = view.getUint32(off);
    off += 4;
    if (!need(n, what)) return new Uint8Array(0);
    const b = bytes.slice(off, off + n);
    off += n;
    return b;
  };
  const kv = (): WireKeyValue | undefined => {
    const key = bytesField('key');
    const value = bytesField('value');
    if (problem !== undefined || !need(32, 'key metadata')) return undefined;
    return {
      key,
      value,
      version: u64('version'),
      revision: u64('revision'),
      createRevision: u64('createRevision'),
      lease: u64('lease'),
    };
  };
  if (!need(4, 'count')) return { ok: false, error: problem ?? 'watch message' };
  const count = view.getUint32(0);
  off = 4;
  const items: WatchItem[] = [];
  for (let i = 0; i < count && problem === undefined; i++) {
    if (!need(1, 'item tag')) break;
    const tag = bytes[off++];
    if (tag === 1) {
      if (!need(12, 'events header')) break;
      const revision = u64('revision');
      const n = view.getUint32(off);
      off += 4;
      if (n > len) {
        problem = 'watch message: event count larger than the message';
        break;
      }
      const events: WireEvent[] = [];
      for (let j = 0; j < n && problem === undefined; j++) {
        if (!need(2, 'event header')) break;
        const type = bytes[off];
        const hasPrev = bytes[off + 1];
        off += 2;
        if ((type !== 1 && type !== 2) || (hasPrev !== 0 && hasPrev !== 1)) {
          problem = `watch message: event type ${type} / prev flag ${hasPrev}`;
          break;
        }
        const k = kv();
        const p = hasPrev === 1 ? kv() : undefined;
        if (k === undefined || problem !== undefined) break;
        events.push({
          type: type === 1 ? 'put' : 'delete',
          kv: k,
          ...(p === undefined ? {} : { prev: p }),
        });
      }
      items.push({ kind: 'events', revision, events });
    } else if (tag === 2) {
      if (!need(8, 'progress')) break;
      items.push({ kind: 'progress', revision: u64('revision') });
    } else if (tag === 3) {
      if (!need(13, 'cancelled')) break;
      const reason = CANCEL_REASONS[(bytes[off] ?? 0) - 1];
      off += 1;
      const resumeRevision = u64('resumeRevision');
      const text = bytesField('message');
      if (reason === undefined) {
        problem = 'watch message: unknown cancel reason';
        break;
      }
      items.push({ kind: 'cancelled', reason, resumeRevision, message: dec.decode(text) });
    } else {
      problem = `watch message: unknown item tag ${tag}`;
    }
  }
  if (problem !== undefined) return { ok: false, error: problem };
  if (off !== len) return { ok: false, error: 'watch message: trailing bytes' };
  return { ok: true, value: items };
}

/**
 * Cuts `message` into stream frames of at most `frameBytesMax` bytes each (header included),
 * numbered from `firstSeq`; the last one is final.
 */
export function encodeWatchFrames(
  watchId: number,
  firstSeq: number,
  message: Uint8Array,
  frameBytesMax: number,
): Uint8Array[] {
  const room = Math.max(1, frameBytesMax - WATCH_FRAME_HEADER_BYTES);
  const frames: Uint8Array[] = [];
  let off = 0;
  let seq = firstSeq;
  do {
    const end = Math.min(message.byteLength, off + room);
    const out = new Uint8Array(WATCH_FRAME_HEADER_BYTES + end - off);
    const view = new DataView(out.buffer);
    out[0] = PROTOCOL_VERSION;
    out[1] = WATCH_FRAME_KIND;
    view.setUint32(2, watchId);
    view.setUint32(6, seq++ >>> 0);
    out[10] = end === message.byteLength ? 1 : 0;
    out.set(message.subarray(off, end), WATCH_FRAME_HEADER_BYTES);
    frames.push(out);
    off = end;
  } while (off < message.byteLength);
  return frames;
}

/** Decodes a stream frame; never throws. The chunk is a view of `bytes`. */
export function decodeWatchFrame(bytes: Uint8Array): DecodeResult<WatchFrame> {
  if (bytes.byteLength < WATCH_FRAME_HEADER_BYTES)
    return { ok: false, error: 'watch frame shorter than its header' };
  if (bytes[0] !== PROTOCOL_VERSION)
    return { ok: false, error: `watch frame of protocol version ${bytes[0]}` };
  if (bytes[1] !== WATCH_FRAME_KIND)
    return { ok: false, error: `not a watch frame (kind ${bytes[1]})` };
  if (bytes[10] !== 0 && bytes[10] !== 1) return { ok: false, error: 'watch frame: final flag' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    ok: true,
    value: {
      watchId: view.getUint32(2),
      seq: view.getUint32(6),
      final: bytes[10] === 1,
      chunk: bytes.subarray(WATCH_FRAME_HEADER_BYTES),
    },
  };
}

/** What {@link FrameAssembler.push} made of a frame. */
export type AssembleResult =
  /** A whole message; `lastSeq` is the seq of its final frame (what an ack names). */
  | { readonly kind: 'message'; readonly items: WatchItem[]; readonly lastSeq: number }
  /** A frame of a message not complete yet. */
  | { readonly kind: 'partial' }
  /** A frame is missing, or a message did not decode: the stream cannot go on. */
  | { readonly kind: 'broken'; readonly reason: string };

/**
 * Puts the frames of one watch stream (one inbox, one watch) back into messages, in seq order
 * from 1. Holds at most one message's chunks. After `broken` every frame is broken.
 */
export class FrameAssembler {
  #expected = 1;
  #chunks: Uint8Array[] = [];
  #broken: string | undefined;

  /** The next seq it expects. */
  get expectedSeq(): number {
    return this.#expected;
  }

  push(frame: WatchFrame): AssembleResult {
    if (this.#broken !== undefined) return { kind: 'broken', reason: this.#broken };
    if (frame.seq !== this.#expected) {
      this.#broken = `stream frame ${frame.seq} arrived when ${this.#expected} was due`;
      this.#chunks = [];
      return { kind: 'broken', reason: this.#broken };
    }
    this.#expected = (this.#expected + 1) >>> 0;
    this.#chunks.push(frame.chunk);
    if (!frame.final) return { kind: 'partial' };
    const chunks = this.#chunks;
    this.#chunks = [];
    let bytes: Uint8Array;
    if (chunks.length === 1) bytes = chunks[0] ?? new Uint8Array(0);
    else {
      bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.byteLength;
      }
    }
    const d = decodeWatchMessage(bytes);
    if (!d.ok) {
      this.#broken = d.error;
      return { kind: 'broken', reason: d.error };
    }
    return { kind: 'message', items: d.value, lastSeq: frame.seq };
  }
}

/**
 * The resume point of a watch across the nodes that serve it in turn: `next` is the first
 * revision not fully received (undefined until the first node says where it starts).
 * {@link accept} filters what a node sends: events below `next` (never sent by a correct node)
 * are dropped, so the caller sees each revision once, in order.
 */
export class WatchCursor {
  #next: number | undefined;

  constructor(fromRevision?: number) {
    this.#next = fromRevision;
  }

  /** First revision not fully received; undefined before the first watch is created. */
  get next(): number | undefined {
    return this.#next;
  }

  /** Everything at or below this revision has been received (0 before anything). */
  get revision(): number {
    return this.#next === undefined ? 0 : this.#next - 1;
  }

  /** A node created the watch from `startRevision` (the node's next one when none was asked). */
  created(startRevision: number): void {
    if (this.#next === undefined || startRevision > this.#next) this.#next = startRevision;
  }

  /**
   * One item from the node serving the watch now. Returns the events the caller gets (an
   * `events` item at or above `next`; nothing for older ones) and moves `next` past it; a
   * progress notification moves `next` past its revision.
   */
  accept(item: WatchItem): readonly WireEvent[] {
    if (item.kind === 'events') {
      if (this.#next !== undefined && item.revision < this.#next) return [];
      this.#next = item.revision + 1;
      return item.events;
    }
    if (item.kind === 'progress') {
      if (this.#next === undefined || item.revision + 1 > this.#next)
        this.#next = item.revision + 1;
    }
    return [];
  }
}

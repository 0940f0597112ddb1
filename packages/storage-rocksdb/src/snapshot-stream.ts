/**
 * The snapshot stream: a point-in-time copy of the KV state (data and sessions) with the
 * applied index it corresponds to, cut into chunks of at most `maxChunkBytes`.
 *
 * Byte format (chunk boundaries fall anywhere, even inside a record):
 *
 * ```
 * header  : "FPSN" | version u8 (=1) | index u64
 * record* : space u8 (1 data, 2 sessions) | keyLength u32 | key | valueLength u32 | value
 * trailer : 0x00 | recordCount u64
 * ```
 *
 * The trailer makes a truncated stream detectable; the concatenation of all chunks is also
 * the `Snapshot.data` this adapter accepts in a `PersistRequest`.
 */
import { assert } from '@flexpaxos/paxos';
import type { StateSpace } from './contract-types.js';
import { SnapshotInvalidError } from './errors.js';
import { readU64, writeU64 } from './key-layout.js';

const MAGIC = Buffer.from('FPSN', 'latin1');
const STREAM_VERSION = 1;
const HEADER_BYTES = 13;
const TAG_END = 0;
const TAG_DATA = 1;
const TAG_SESSIONS = 2;

/** Whether `data` starts like a snapshot stream (its magic bytes). */
export function isSnapshotStream(data: Uint8Array): boolean {
  return data.length >= 4 && Buffer.from(data.buffer, data.byteOffset, 4).equals(MAGIC);
}

/** One KV record inside a snapshot. */
export interface SnapshotRecord {
  readonly space: StateSpace;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Cuts a byte stream into chunks of exactly `maxChunkBytes` (the last one shorter). */
class Chunker {
  private current: Buffer;
  private filled = 0;
  private readonly ready: Uint8Array[] = [];
  private readonly maxChunkBytes: number;

  constructor(maxChunkBytes: number) {
    this.maxChunkBytes = maxChunkBytes;
    this.current = Buffer.allocUnsafe(maxChunkBytes);
  }

  push(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, this.maxChunkBytes - this.filled);
      this.current.set(bytes.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.maxChunkBytes) {
        this.ready.push(this.current);
        this.current = Buffer.allocUnsafe(this.maxChunkBytes);
        this.filled = 0;
      }
    }
  }

  /** Chunks completed so far (removed from the chunker). */
  take(): Uint8Array[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** The last, partial chunk, if any. */
  finish(): Uint8Array[] {
    const rest = this.take();
    if (this.filled > 0) rest.push(this.current.subarray(0, this.filled));
    this.filled = 0;
    return rest;
  }
}

/**
 * Encodes `records` (already in key order) as a snapshot stream at `index`, yielding chunks
 * of at most `maxChunkBytes`.
 */
export async function* encodeSnapshotStream(
  index: number,
  records: AsyncIterable<SnapshotRecord>,
  maxChunkBytes: number,
): AsyncGenerator<Uint8Array> {
  assert(
    Number.isSafeInteger(maxChunkBytes) && maxChunkBytes >= 1,
    'maxChunkBytes must be a positive integer',
  );
  const chunker = new Chunker(maxChunkBytes);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[4] = STREAM_VERSION;
  writeU64(header, 5, index);
  chunker.push(header);
  let count = 0;
  const lengths = Buffer.allocUnsafe(5);
  for await (const r of records) {
    lengths[0] = r.space === 'data' ? TAG_DATA : TAG_SESSIONS;
    lengths.writeUInt32BE(r.key.length, 1);
    chunker.push(lengths);
    chunker.push(r.key);
    lengths.writeUInt32BE(r.value.length, 0);
    chunker.push(lengths.subarray(0, 4));
    chunker.push(r.value);
    count++;
    yield* chunker.take();
  }
  const trailer = Buffer.allocUnsafe(9);
  trailer[0] = TAG_END;
  writeU64(trailer, 1, count);
  chunker.push(trailer);
  yield* chunker.finish();
}

/**
 * Incremental decoder of a snapshot stream: `push` chunks as they arrive, then `finish`.
 * Malformed input throws `SnapshotInvalidError`.
 */
export class SnapshotDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private indexValue: number | undefined;
  private ended = false;
  private count = 0;
  private readonly records: SnapshotRecord[] = [];

  /** Feeds the next chunk. */
  push(chunk: Uint8Array): void {
    if (this.ended) {
      if (chunk.length > 0)
        throw new SnapshotInvalidError('snapshot stream has bytes after its trailer');
      return;
    }
    this.pending =
      this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.parse();
  }

  private parse(): void {
    let off = 0;
    const buf = this.pending;
    if (this.indexValue === undefined) {
      if (buf.length < HEADER_BYTES) return;
      if (!buf.subarray(0, 4).equals(MAGIC))
        throw new SnapshotInvalidError('not a snapshot stream (bad magic)');
      if (buf[4] !== STREAM_VERSION) {
        throw new SnapshotInvalidError(
          `snapshot stream version ${buf[4]} is not supported (expected ${STREAM_VERSION})`,
        );
      }
      this.indexValue = readU64(buf, 5);
      off = HEADER_BYTES;
    }
    for (;;) {
      if (off >= buf.length) break;
      const tag = buf[off];
      if (tag === TAG_END) {
        if (buf.length - off < 9) break;
        const declared = readU64(buf, off + 1);
        if (declared !== this.count) {
          throw new SnapshotInvalidError(
            `snapshot trailer declares ${declared} records, stream has ${this.count}`,
          );
        }
        off += 9;
        this.ended = true;
        if (off !== buf.length)
          throw new SnapshotInvalidError('snapshot stream has bytes after its trailer');
        break;
      }
      if (tag !== TAG_DATA && tag !== TAG_SESSIONS)
        throw new SnapshotInvalidError(`snapshot record has unknown space tag ${tag}`);
      if (buf.length - off < 5) break;
      const keyLen = buf.readUInt32BE(off + 1);
      if (buf.length - off < 5 + keyLen + 4) break;
      const valueLen = buf.readUInt32BE(off + 5 + keyLen);
      const end = off + 9 + keyLen + valueLen;
      if (buf.length < end) break;
      this.records.push({
        space: tag === TAG_DATA ? 'data' : 'sessions',
        key: new Uint8Array(buf.subarray(off + 5, off + 5 + keyLen)),
        value: new Uint8Array(buf.subarray(off + 9 + keyLen, end)),
      });
      this.count++;
      off = end;
    }
    this.pending = buf.subarray(off);
  }

  /** Ends the stream: returns the snapshot index and its records, or throws if truncated. */
  finish(): { index: number; records: readonly SnapshotRecord[] } {
    if (this.indexValue === undefined || !this.ended) {
      throw new SnapshotInvalidError('snapshot stream is truncated (no trailer)');
    }
    return { index: this.indexValue, records: this.records };
  }
}

/** Decodes a whole snapshot stream held in one buffer. */
export function decodeSnapshotStream(data: Uint8Array): {
  index: number;
  records: readonly SnapshotRecord[];
} {
  const decoder = new SnapshotDecoder();
  decoder.push(data);
  return decoder.finish();
}

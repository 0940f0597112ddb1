/**
 * The WAL watermark: an independent witness of how far the RocksDB write-ahead log must
 * reach, kept in `<dir>/WAL_WATERMARK`.
 *
 * Why: the binding opens RocksDB with `kPointInTimeRecovery` (it cannot be changed), which
 * treats a corrupted record in the middle of the WAL as the end of the log and silently drops
 * every acknowledged write after it: a forgotten promise breaks Paxos safety. After each synced
 * group write the store records RocksDB's latest sequence number here (an O_DSYNC write) before it
 * releases that group's replies. On open, a recovered sequence below the watermark means
 * acknowledged writes were lost, and the store refuses to open.
 *
 * Invariant: the watermark only ever holds a sequence number that was already durable in the
 * WAL when it was written, so an ordinary crash (torn tail of unacknowledged writes) never
 * trips it.
 *
 * File format: 16 bytes, `sequence u64 | ~sequence u64`; a torn or foreign file reads as "no
 * watermark" (a crash mid-write of this 16-byte record is the only way to tear it).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { readU64, writeU64 } from './key-layout.js';

/** Name of the watermark file inside the data directory. */
export const WAL_WATERMARK_FILE = 'WAL_WATERMARK';

const RECORD_BYTES = 16;
const MAX_U32 = 0xffff_ffff;

function encode(sequence: number): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_BYTES);
  writeU64(buf, 0, sequence);
  const hi = Math.floor(sequence / 0x1_0000_0000);
  buf.writeUInt32BE(MAX_U32 - hi, 8);
  buf.writeUInt32BE(MAX_U32 - (sequence >>> 0), 12);
  return buf;
}

function decode(buf: Buffer): number | undefined {
  if (buf.length < RECORD_BYTES) return undefined;
  const hi = buf.readUInt32BE(0);
  const lo = buf.readUInt32BE(4);
  if (buf.readUInt32BE(8) !== MAX_U32 - hi || buf.readUInt32BE(12) !== MAX_U32 - lo)
    return undefined;
  return readU64(buf, 0);
}

/** An open watermark file. */
export class WalWatermark {
  private readonly file: FileHandle;
  /** The sequence number last read or written. */
  value: number | undefined;

  private constructor(file: FileHandle, value: number | undefined) {
    this.file = file;
    this.value = value;
  }

  /** Opens (creating if missing) the watermark of the data directory `dir`. */
  static async open(dir: string): Promise<WalWatermark> {
    const file = await open(
      join(dir, WAL_WATERMARK_FILE),
      // O_DSYNC: each write returns only once it is durable (as write + fdatasync), in one
      // thread-pool round trip instead of two.
      constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC,
      0o644,
    );
    const buf = Buffer.alloc(RECORD_BYTES);
    const { bytesRead } = await file.read(buf, 0, RECORD_BYTES, 0);
    return new WalWatermark(file, decode(buf.subarray(0, bytesRead)));
  }

  /** Durably records `sequence` (overwrites the record in place; O_DSYNC makes the write synchronous I/O). */
  async write(sequence: number): Promise<void> {
    const { bytesWritten } = await this.file.write(encode(sequence), 0, RECORD_BYTES, 0);
    if (bytesWritten !== RECORD_BYTES) {
      throw new Error(`short write of the WAL watermark: ${bytesWritten} of ${RECORD_BYTES} bytes`);
    }
    this.value = sequence;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.file.close();
  }
}

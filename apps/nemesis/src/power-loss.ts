/**
 * Power loss of a node, emulated: after kill -9, drop every write-ahead-log record the node had
 * not yet made durable, as the operating system may when the machine loses power.
 *
 * Why an emulation is needed: kill -9 of a process loses nothing that reached the kernel. A
 * write that was handed to the operating system but not fsynced survives in the page cache and
 * is there when the node restarts; only an OS crash or a power cut loses it (Jepsen tests this
 * with lazyfs). So a node that acknowledges before its fsync completes
 * (`--unsafe-ack-before-fsync`) is almost never caught by kill -9 alone: its write follows
 * its early reply within a fraction of a millisecond.
 *
 * What counts as durable: the storage (`@flexpaxos/storage-rocksdb`) writes, after each synced
 * group write, RocksDB's latest sequence number to `<data-dir>/WAL_WATERMARK`, and releases
 * the group's replies only then. Everything at or below the watermark was fsynced and may have
 * been acknowledged; everything after it (lazy bundles not yet covered by a synced write, a
 * group whose fsync or watermark had not completed) was acknowledged by no correct node, so
 * dropping it is a state a real crash can leave (a crash just before that fsync). This
 * truncates each RocksDB WAL file (`<data-dir>/rocksdb/*.log`) before the first WriteBatch
 * whose sequence number is above the watermark.
 *
 * RocksDB's log format (db/log_format.h): 32 KiB blocks of physical records, each a 7-byte
 * header (masked crc32c, u16 length, u8 type; 11 bytes with the log number for the recyclable
 * types 5-8) and a payload; a logical record is a FULL record or FIRST, MIDDLE..., LAST; block
 * trailers shorter than a header are zero padding. A WriteBatch starts with its sequence number
 * (u64 LE) and count (u32 LE). The store opens RocksDB with uncompressed WAL records; a WAL
 * written with compression (the binding's default) starts with a `kSetCompressionType` record
 * (type 9) naming the codec (7: ZSTD, one frame per record, decompressed with `fzstd`), which
 * is read too.
 * Other metadata record types are skipped.
 */
import { existsSync, readFileSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from 'fzstd';

const BLOCK_BYTES = 32 * 1024;
const HEADER_BYTES = 7;
const RECYCLABLE_HEADER_BYTES = 11;

/** What {@link dropUnsyncedWal} did to one data directory. */
export interface PowerLossReport {
  /** The watermark (last durable sequence), or undefined when there is none (nothing dropped). */
  readonly watermark: number | undefined;
  /** WAL files truncated, with the bytes dropped from each. */
  readonly truncated: readonly { readonly file: string; readonly droppedBytes: number }[];
  /** WriteBatches dropped. */
  readonly droppedBatches: number;
}

/** Reads `<dir>/WAL_WATERMARK` (`sequence u64 BE | ~sequence u64 BE`); undefined if absent or torn. */
export function readWatermark(dir: string): number | undefined {
  const file = join(dir, 'WAL_WATERMARK');
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  if (buf.length < 16) return undefined;
  const hi = buf.readUInt32BE(0);
  const lo = buf.readUInt32BE(4);
  if (buf.readUInt32BE(8) !== 0xffff_ffff - hi || buf.readUInt32BE(12) !== 0xffff_ffff - lo)
    return undefined;
  return hi * 0x1_0000_0000 + lo;
}

/** One logical WAL record: where its first fragment starts, and its (decompressed) payload. */
export interface WalRecord {
  readonly offset: number;
  readonly payload: Uint8Array;
}

const SET_COMPRESSION_TYPE = 9;
const ZSTD = 7;

/** Parses the logical records of a RocksDB WAL file (stops at a torn or zeroed tail). */
export function walRecords(buf: Buffer): WalRecord[] {
  const out: WalRecord[] = [];
  let pos = 0;
  let start = -1;
  let parts: Buffer[] = [];
  let compression = 0;
  const logical = (offset: number, data: Buffer): void => {
    if (compression === 0) out.push({ offset, payload: data });
    else if (compression === ZSTD) out.push({ offset, payload: decompress(data) });
    else throw new Error(`WAL compression type ${compression} is not supported`);
  };
  while (pos + HEADER_BYTES <= buf.length) {
    const left = BLOCK_BYTES - (pos % BLOCK_BYTES);
    if (left < HEADER_BYTES) {
      pos += left;
      continue;
    }
    const length = buf.readUInt16LE(pos + 4);
    const type = buf[pos + 6] ?? 0;
    if (type === 0) break; // zero padding or preallocated space: the end
    const header = type >= 5 && type <= 8 ? RECYCLABLE_HEADER_BYTES : HEADER_BYTES;
    if (pos + header + length > buf.length) break; // torn tail
    const payload = buf.subarray(pos + header, pos + header + length);
    switch (type) {
      case 1:
      case 5:
        logical(pos, payload);
        parts = [];
        start = -1;
        break;
      case 2:
      case 6:
        start = pos;
        parts = [payload];
        break;
      case 3:
      case 7:
        if (start >= 0) parts.push(payload);
        break;
      case 4:
      case 8:
        if (start >= 0) {
          parts.push(payload);
          logical(start, Buffer.concat(parts));
        }
        parts = [];
        start = -1;
        break;
      case SET_COMPRESSION_TYPE:
        compression = payload[0] ?? 0;
        break;
      default:
        // other metadata records (timestamp sizes, ...): not WriteBatches
        break;
    }
    pos += header + length;
  }
  return out;
}

/** The sequence number a WriteBatch payload starts at. */
export function batchSequence(payload: Uint8Array): number | undefined {
  if (payload.length < 12) return undefined;
  return Number(
    new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getBigUint64(0, true),
  );
}

/**
 * Drops every WAL record above the watermark in node data directory `dir` (the node must be
 * down). Without a watermark file nothing is dropped.
 */
export function dropUnsyncedWal(dir: string): PowerLossReport {
  const watermark = readWatermark(dir);
  const dbDir = join(dir, 'rocksdb');
  if (watermark === undefined || !existsSync(dbDir))
    return { watermark, truncated: [], droppedBatches: 0 };
  const truncated: { file: string; droppedBytes: number }[] = [];
  let droppedBatches = 0;
  const logs = readdirSync(dbDir)
    .filter((f) => /^\d+\.log$/.test(f))
    .sort((a, b) => Number(a.split('.')[0]) - Number(b.split('.')[0]));
  for (const name of logs) {
    const file = join(dbDir, name);
    const buf = readFileSync(file);
    const records = walRecords(buf);
    const firstAbove = records.findIndex((r) => (batchSequence(r.payload) ?? 0) > watermark);
    if (firstAbove < 0) continue;
    const at = (records[firstAbove] as WalRecord).offset;
    droppedBatches += records.length - firstAbove;
    truncateSync(file, at);
    truncated.push({ file: name, droppedBytes: buf.length - at });
  }
  return { watermark, truncated, droppedBatches };
}

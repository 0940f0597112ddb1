/**
 * A typed view of the parts of `@nxtedition/rocksdb` (RocksDB 9.7, abstract-level API) this
 * adapter uses. The package ships no type declarations, so it is loaded with `require` and
 * described here.
 *
 * What the binding offers and does not (read from its `binding.cc`, version 12.2.x):
 * - `batch().write({ sync: true })` runs `DB::Write` with `WriteOptions.sync = true`
 *   **synchronously on the calling thread** (the fsync blocks the event loop).
 * - An iterator pins an implicit RocksDB snapshot when it is created: all its reads see one
 *   point in time, even while later writes land.
 * - No `DeleteRange` inside a batch (only `db.clear`, outside any batch, not synced), no
 *   explicit snapshot handles, and **no `wal_recovery_mode` option**: the database always
 *   opens with RocksDB's default `kPointInTimeRecovery` (see the package README).
 */
import { createRequire } from 'node:module';

/** A write batch (native `rocksdb::WriteBatch`). */
export interface RocksBatch {
  put(key: Buffer, value: Buffer): this;
  del(key: Buffer): this;
  write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
  readonly length: number;
}

/** Range and shape options of an iterator. */
export interface RocksIteratorOptions {
  gte?: Buffer;
  gt?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  keys?: boolean;
  values?: boolean;
  reverse?: boolean;
  limit?: number;
}

/** An iterator over one consistent view of the database. */
export interface RocksIterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>;
  close(): Promise<void>;
}

/** The database handle. */
export interface RocksDb {
  /** RocksDB's latest sequence number (`GetLatestSequenceNumber`). */
  readonly sequence: number;
  readonly status: 'opening' | 'open' | 'closing' | 'closed';
  open(options: {
    createIfMissing: boolean;
    errorIfExists?: boolean;
    infoLogLevel?: string;
    /** ZSTD-compress WAL records (the binding's default: true). */
    walCompression?: boolean;
  }): Promise<void>;
  close(): Promise<void>;
  batch(): RocksBatch;
  iterator(options: RocksIteratorOptions): RocksIterator;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  /**
   * A RocksDB property of the default column family (`DB::GetProperty`), as text; synchronous
   * and cheap for the size properties. Throws unless the database is open.
   */
  getProperty(property: string): string;
}

interface RocksModule {
  RocksLevel: new (
    location: string,
    options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' },
  ) => RocksDb;
}

const require = createRequire(import.meta.url);
const rocks = require('@nxtedition/rocksdb') as RocksModule;

/** Creates a (not yet opened) RocksDB handle with buffer keys and values. */
export function createRocksDb(location: string): RocksDb {
  return new rocks.RocksLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
}

/** Rows fetched per `nextv` call when an iterator walks a range. */
export const ITERATOR_BATCH_ROWS = 1000;

/** `bytes` as a Buffer over the same memory (the binding takes Buffers). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

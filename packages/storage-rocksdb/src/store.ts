/**
 * `RocksStore`: one node's durable state on RocksDB: the acceptor's hard state and log, the
 * snapshot metadata, and the KV state machine's data, sessions and applied index. This file
 * is the facade: it checks each call, turns it into a batch builder and queues it with group
 * commit (`group-commit.ts`: batching, fsync, WAL watermark, fail-stop). Opening and recovery
 * are in `recovery.ts`, snapshot create/install/compact in `snapshots.ts`.
 *
 * ## Durability contract
 *
 * - `persist(bundle, held)` resolves with `held` (the replica's `messagesAfterPersist`, for
 *   example) only after the bundle is in RocksDB through a write with `sync: true` (WAL
 *   fsync) and the WAL watermark records it (see `wal-watermark.ts`). The caller never
 *   gets its after-persist messages back before that, so it cannot release a reply for data
 *   that is not durable. The caller must not keep its own reference to `held`.
 * - Everything in one bundle (log entries, hard state, KV writes, applied index) lands in one
 *   RocksDB write batch: applying a slot and recording the applied index are atomic.
 * - Bundles are written in the order `persist` was called; a later bundle never becomes
 *   durable without every earlier one.
 * - `persist(bundle, held, { sync: false })` (a *lazy* bundle) is for what a crash may lose
 *   because it is re-learned: the committed index alone, and the state machine's writes and
 *   applied index (replayed from the log). It takes its place in the same call order, is
 *   written without an fsync of its own, resolves once written (readable), and becomes
 *   durable with the next synced write (RocksDB syncs the WAL up to that write, lazy records
 *   before it included). After a crash the store recovers a prefix of the call order, so a
 *   lazy bundle is never durable without every bundle before it. Which replica persists may
 *   be lazy is the core's decision (`Ready.mustSync` of `@flexpaxos/paxos`), not the store's.
 *
 * ## Fail-stop
 *
 * The first I/O error (disk full, permission, corruption, other I/O) rejects the bundles of
 * that batch and every queued one with a typed error, and is kept in `failure`: every later
 * `persist`, `compact`, `installSnapshot`, `createSnapshot` or read rejects with that same
 * error. A broken invariant met while building a batch stops the store the same way, with the
 * error itself. The node stops acknowledging anything; an operator must fix the cause and
 * restart it.
 */
import { assert, compareBallots } from '@flexpaxos/paxos';
import { encodeConfigState, encodeEntryValue, encodeHardState, encodeU64 } from './codec.js';
import type {
  ConfigState,
  PersistRequest,
  RecoveredState,
  Slot,
  SnapshotMeta,
  StateSpace,
  StateWrite,
} from './contract-types.js';
import { claimDataDir, FORMAT_VERSION } from './data-dir.js';
import type { DataDirIdentity } from './data-dir.js';
import {
  classifyIoError,
  SnapshotInvalidError,
  StorageClosedError,
  StorageConfigError,
} from './errors.js';
import { GroupCommit } from './group-commit.js';
import type { StorageStats } from './group-commit.js';
import {
  entryKey,
  KeyPrefix,
  parseStateKey,
  singletonKey,
  STATE_MACHINE_END,
  stateKey,
} from './key-layout.js';
import { LogSlots } from './log-slots.js';
import { validateStorageOptions } from './options.js';
import type { StorageOptions } from './options.js';
import { openAndRecover } from './recovery.js';
import type { Recovered } from './recovery.js';
import { ITERATOR_BATCH_ROWS, toBuffer } from './rocksdb-binding.js';
import type { RocksBatch, RocksDb, RocksIterator } from './rocksdb-binding.js';
import {
  buildCompact,
  buildInstall,
  decodeSnapshotChunks,
  decodeSnapshotData,
  openSnapshotStream,
} from './snapshots.js';
import type { SnapshotContent, SnapshotDecodeFn, SnapshotStream } from './snapshots.js';
import type { WalWatermark } from './wal-watermark.js';

/** Options of one `persist` call. */
export interface PersistOptions {
  /**
   * `true` (default): resolve only once the bundle is fsynced (and the WAL watermark records
   * it). `false`: a lazy bundle (see {@link RocksStore.persist}): written in call order without
   * an fsync of its own, durable with the next synced write; only for the committed index and
   * state-machine writes, which a crash may lose because they are re-learned.
   */
  readonly sync?: boolean;
}

/** What one `persist` call makes durable, atomically. */
export interface PersistBundle {
  /** The replica's persist request (hard state, entries, snapshot, truncation). */
  readonly request?: PersistRequest | undefined;
  /** KV state-machine writes from applying committed slots. */
  readonly stateWrites?: readonly StateWrite[] | undefined;
  /** The highest slot applied once `stateWrites` are in; written in the same batch. */
  readonly applied?: Slot | undefined;
}

/** A KV record as stored. */
export interface StoredRecord {
  readonly space: StateSpace;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Reads the database under a store; set once by the class body (for `testing.ts` only). */
let databaseOf: ((store: RocksStore) => RocksDb) | undefined;

/**
 * A node's RocksDB store. Create it with `openStorage`. See the module comment for the
 * durability contract and fail-stop.
 *
 * Invariant: the durable promised ballot never decreases (`persist` asserts it).
 */
export class RocksStore {
  /** The data directory. */
  readonly dir: string;
  /** The identity recorded in the directory. */
  readonly identity: DataDirIdentity;
  /** What the replica needs at start, as recovered when the store was opened. */
  readonly recovered: RecoveredState;

  readonly #db: RocksDb;
  readonly #watermark: WalWatermark;
  readonly #commits: GroupCommit;
  /** Slots present in the log (durable or queued), so truncation deletes exactly those. */
  readonly #log: LogSlots;
  /** Iterators handed out through snapshot streams and `records`, closed by `close`. */
  readonly #iterators = new Set<RocksIterator>();
  readonly #decodeSnapshot: SnapshotDecodeFn | undefined;
  #closed = false;
  /** Highest promised ballot durable or queued. */
  #promisedHigh: RecoveredState['hardState']['promised'];
  /** Applied index durable or queued (what `compact` may not exceed). */
  #appliedHigh: number;

  static {
    databaseOf = (store) => store.#db;
  }

  /** @internal use `openStorage`. */
  constructor(args: {
    readonly dir: string;
    readonly identity: DataDirIdentity;
    readonly opened: Recovered;
    readonly grouped: boolean;
    readonly decodeSnapshot: SnapshotDecodeFn | undefined;
  }) {
    const { db, watermark, recovered, logSlots } = args.opened;
    this.dir = args.dir;
    this.identity = args.identity;
    this.recovered = recovered;
    this.#db = db;
    this.#watermark = watermark;
    this.#log = new LogSlots(logSlots);
    this.#decodeSnapshot = args.decodeSnapshot;
    this.#commits = new GroupCommit({
      db,
      witness: watermark,
      where: args.dir,
      grouped: args.grouped,
    });
    this.#promisedHigh = recovered.hardState.promised;
    this.#appliedHigh = recovered.applied;
  }

  /**
   * The error that fail-stopped this store (a typed `StorageFatalError` for an I/O failure, or
   * the broken invariant met while building a batch), or `undefined` while it is healthy.
   */
  get failure(): Error | undefined {
    return this.#commits.failure;
  }

  /** Write counters (for the benchmark and `/metrics`). */
  stats(): StorageStats {
    return this.#commits.stats();
  }

  /**
   * Bytes of the database: its SST files (`rocksdb.total-sst-files-size`) plus its memtables
   * (`rocksdb.cur-size-all-mem-tables`: writes not yet flushed, on disk only in the WAL).
   * Two synchronous property reads, no I/O; `undefined` once the store is closed.
   */
  dbBytes(): number | undefined {
    if (this.#closed || this.#db.status !== 'open') return undefined;
    try {
      const sst = Number(this.#db.getProperty('rocksdb.total-sst-files-size'));
      const mem = Number(this.#db.getProperty('rocksdb.cur-size-all-mem-tables'));
      return Number.isSafeInteger(sst) && Number.isSafeInteger(mem) ? sst + mem : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Makes `bundle` durable (synced) and then resolves with `held`. Rejects with a typed
   * storage error, and fail-stops the store, if the write fails. With `{ sync: false }` the
   * bundle is lazy: written in call order, resolved once written, durable with the next synced
   * write (see the module comment). The caller decides what may be lazy (`Ready.mustSync`).
   */
  persist<H>(bundle: PersistBundle, held: H, options?: PersistOptions): Promise<H> {
    const gate = this.#gate();
    if (gate) return Promise.reject(gate);
    const request = bundle.request;
    const sync = options?.sync ?? true;
    let install: SnapshotContent | undefined;
    if (request?.snapshot) {
      try {
        install = decodeSnapshotData(request.snapshot.data, this.#decodeSnapshot);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (install.index !== request.snapshot.meta.index) {
        return Promise.reject(
          new SnapshotInvalidError(
            `snapshot data is at index ${install.index} but its meta says ${request.snapshot.meta.index}`,
          ),
        );
      }
    }
    if (request?.hardState) {
      assert(
        compareBallots(request.hardState.promised, this.#promisedHigh) >= 0,
        `promised ballot would go back from (${this.#promisedHigh.round}, ${this.#promisedHigh.nodeId}) ` +
          `to (${request.hardState.promised.round}, ${request.hardState.promised.nodeId})`,
      );
      this.#promisedHigh = request.hardState.promised;
    }
    const snapshot = install;
    if (snapshot) this.#appliedHigh = snapshot.index;
    if (bundle.applied !== undefined) this.#appliedHigh = bundle.applied;
    return new Promise<H>((resolve, reject) => {
      this.#commits.enqueue({
        isolated: snapshot !== undefined,
        sync,
        resolve: () => resolve(held),
        reject,
        build: async (batch) => {
          if (snapshot) await buildInstall(this.#db, batch, this.#log, snapshot);
          if (request) this.#buildRequest(batch, request);
          if (bundle.stateWrites) {
            for (const w of bundle.stateWrites) {
              const key = stateKey(w.space, w.key);
              if (w.value === undefined) batch.del(key);
              else batch.put(key, toBuffer(w.value));
            }
          }
          if (bundle.applied !== undefined)
            batch.put(singletonKey(KeyPrefix.applied), encodeU64(bundle.applied));
        },
      });
    });
  }

  /**
   * Compaction: records a snapshot at `index` (which must not exceed the applied index the
   * caller has persisted) and deletes every log entry at or below it, in one synced write.
   * The KV records themselves are the snapshot's content: `createSnapshot` streams them.
   * `baseConfig`, the configuration in force above `index` (`Replica.configAt(index)`), is
   * written in the same batch: the configuration entries at or below `index` go with the log,
   * so a restart right after this write must find the configuration they made.
   */
  compact(index: Slot, baseConfig?: ConfigState): Promise<void> {
    const gate = this.#gate();
    if (gate) return Promise.reject(gate);
    assert(
      index <= this.#appliedHigh,
      `compact(${index}) above the applied index ${this.#appliedHigh}`,
    );
    return new Promise<void>((resolve, reject) => {
      this.#commits.enqueue({
        isolated: false,
        sync: true,
        resolve,
        reject,
        build: (batch) => buildCompact(batch, this.#log, index, baseConfig),
      });
    });
  }

  /**
   * Takes a consistent point-in-time snapshot of the KV state (data, sessions and the applied
   * index, read through one RocksDB iterator) and returns its metadata and its stream in
   * chunks of at most `maxChunkBytes`. Writes that land after this call are not in it.
   */
  async createSnapshot(options: { maxChunkBytes: number }): Promise<SnapshotStream> {
    const gate = this.#gate();
    if (gate) throw gate;
    assert(
      Number.isSafeInteger(options.maxChunkBytes) && options.maxChunkBytes >= 64,
      'maxChunkBytes must be >= 64',
    );
    return openSnapshotStream(this.#db, this.#iterators, options.maxChunkBytes);
  }

  /**
   * Installs a snapshot stream (from `createSnapshot` on any node): in one synced write,
   * clears the KV data and sessions, writes the snapshot's records, sets the applied index
   * and the snapshot metadata to its index, and deletes the log at or below it.
   * The whole snapshot is held in memory until it is written.
   */
  async installSnapshot(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<SnapshotMeta> {
    const gate = this.#gate();
    if (gate) throw gate;
    const snapshot = await decodeSnapshotChunks(chunks);
    this.#appliedHigh = snapshot.index;
    await new Promise<void>((resolve, reject) => {
      this.#commits.enqueue({
        isolated: true,
        sync: true,
        resolve,
        reject,
        build: (batch) => buildInstall(this.#db, batch, this.#log, snapshot),
      });
    });
    return { index: snapshot.index as Slot };
  }

  /**
   * Every KV record of `space` (or both, data first) in key order, read through one
   * consistent view; this is how the KV state machine rebuilds itself at start.
   */
  async *records(space?: StateSpace): AsyncGenerator<StoredRecord> {
    const gate = this.#gate();
    if (gate) throw gate;
    const lo = space === 'sessions' ? KeyPrefix.sessions : KeyPrefix.data;
    const hi = space === 'data' ? KeyPrefix.sessions : STATE_MACHINE_END;
    const it = this.#db.iterator({ gte: singletonKey(lo), lt: singletonKey(hi) });
    this.#iterators.add(it);
    try {
      for (;;) {
        const rows = await it.nextv(ITERATOR_BATCH_ROWS);
        if (rows.length === 0) return;
        for (const [k, v] of rows) yield { ...parseStateKey(k), value: v };
      }
    } finally {
      this.#iterators.delete(it);
      await it.close();
    }
  }

  /** Waits for queued writes, then closes the database. Later calls reject with `StorageClosedError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#commits.idle();
    for (const it of this.#iterators) await it.close().catch(() => undefined);
    this.#iterators.clear();
    await this.#watermark.close().catch(() => undefined);
    try {
      await this.#db.close();
    } catch (err) {
      if (!this.#commits.failure) throw classifyIoError(err, 'closing the database');
    }
  }

  #gate(): Error | undefined {
    const failure = this.#commits.failure;
    if (failure) return failure;
    if (this.#closed) return new StorageClosedError(`store at ${this.dir} is closed`);
    return undefined;
  }

  #buildRequest(batch: RocksBatch, request: PersistRequest): void {
    if (request.truncateBelow !== undefined) this.#log.deleteBelow(batch, request.truncateBelow);
    for (const entry of request.entries) {
      batch.put(entryKey(entry.slot), encodeEntryValue(entry));
      this.#log.add(entry.slot);
    }
    if (request.hardState)
      batch.put(singletonKey(KeyPrefix.hardState), encodeHardState(request.hardState));
    if (request.baseConfig !== undefined)
      batch.put(singletonKey(KeyPrefix.baseConfig), encodeConfigState(request.baseConfig));
  }
}

/**
 * Package-internal (`testing.ts`): the database under `store`, for reads that only tests
 * make. Not exported from the package's index.
 */
export function storeDatabase(store: RocksStore): RocksDb {
  assert(databaseOf !== undefined, 'RocksStore class body ran');
  return databaseOf(store);
}

/**
 * Package-internal: `openStorage` with the group-commit switch (`grouped: false` writes every
 * bundle in a batch of its own, one fsync each: a measurement baseline, reached through
 * `@flexpaxos/storage-rocksdb/testing`).
 */
export async function openStore(options: StorageOptions, grouped: boolean): Promise<RocksStore> {
  const problems = validateStorageOptions(options);
  if (problems.length > 0) throw new StorageConfigError(problems);
  const expected: DataDirIdentity = {
    formatVersion: FORMAT_VERSION,
    clusterId: options.clusterId,
    nodeId: options.nodeId,
  };
  const identity = await claimDataDir(options.dir, expected);
  const opened = await openAndRecover(options.dir, identity);
  return new RocksStore({
    dir: options.dir,
    identity,
    opened,
    grouped,
    decodeSnapshot: options.decodeSnapshot,
  });
}

/**
 * Opens (creating if needed) the store in `options.dir` for `clusterId`/`nodeId`, checks the
 * directory's identity and format, and recovers the replica's state (`recovery.ts`).
 *
 * Throws `StorageConfigError` for invalid options, `DataDirMismatchError` /
 * `DataDirNewerFormatError` / `DataDirInvalidError` for a directory that is not this node's,
 * `StorageLockedError` if another process has it open, or an I/O error class.
 */
export function openStorage(options: StorageOptions): Promise<RocksStore> {
  return openStore(options, true);
}

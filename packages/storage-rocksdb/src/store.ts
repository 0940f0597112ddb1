/**
 * `RocksStore`: one node's durable state on RocksDB: the acceptor's hard state and log, the
 * snapshot metadata, and the KV state machine's data, sessions and applied index.
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
 * ## Group commit
 *
 * At most one synced write is in flight. Bundles that arrive while it runs wait in a queue
 * and all go into the next write batch (one fsync for all). The binding's `write` is
 * synchronous, so the fsync blocks the event loop; messages that arrive meanwhile are
 * queued by libuv, handed to `persist` right after, and land in the next batch. A bundle
 * that installs a snapshot is written in a batch of its own, since it must clear what the
 * earlier bundles wrote.
 *
 * ## Fail-stop
 *
 * The first I/O error (disk full, permission, corruption, other I/O) rejects the bundles of
 * that batch and every queued one with a typed error, and is kept in `failure`: every later
 * `persist`, `compact` or `installSnapshot` rejects with that same error. The node stops
 * acknowledging anything; an operator must fix the cause and restart it.
 */
import { join } from 'node:path';
import { assert } from './assert.js';
import type {
  AcceptedEntry,
  HardState,
  NodeId,
  PersistRequest,
  RecoveredState,
  Round,
  Slot,
  SnapshotMeta,
  StateSpace,
  StateWrite,
} from './contract-types.js';
import {
  decodeEntryValue,
  decodeHardState,
  decodeU64,
  encodeEntryValue,
  encodeHardState,
  encodeU64,
} from './codec.js';
import {
  claimDataDir,
  encodeIdentity,
  FORMAT_VERSION,
  parseIdentity,
  ROCKSDB_DIR,
  checkIdentity,
} from './data-dir.js';
import type { DataDirIdentity } from './data-dir.js';
import {
  classifyIoError,
  DataDirInvalidError,
  StorageClosedError,
  StorageConfigError,
  StorageCorruptionError,
  StorageError,
} from './errors.js';
import type { StorageFatalError, StorageLockedError } from './errors.js';
import {
  entryKey,
  KeyPrefix,
  parseStateKey,
  singletonKey,
  slotOfEntryKey,
  STATE_MACHINE_END,
  stateKey,
} from './key-layout.js';
import { createRocksDb } from './rocksdb-binding.js';
import { WalWatermark } from './wal-watermark.js';
import type { RocksBatch, RocksDb, RocksIterator } from './rocksdb-binding.js';
import {
  decodeSnapshotStream,
  encodeSnapshotStream,
  isSnapshotStream,
  SnapshotDecoder,
} from './snapshot-stream.js';
import type { SnapshotRecord } from './snapshot-stream.js';
import { SnapshotInvalidError } from './errors.js';

/** Options of `openStorage`. */
export interface StorageOptions {
  /** The node's data directory (created if missing). */
  readonly dir: string;
  /** The cluster this node belongs to; recorded in the directory on first open. */
  readonly clusterId: string;
  /** This node's id; recorded in the directory on first open. */
  readonly nodeId: number;
  /**
   * Group commit (default `true`). `false` writes every bundle in its own synced batch (one
   * fsync per bundle); it exists for the benchmark's baseline.
   */
  readonly groupCommit?: boolean;
  /**
   * Decodes a `Snapshot.data` that is not this package's snapshot stream (for example the KV
   * state machine's own snapshot bytes) into its index and records, so `persist` can install
   * it. Without it, `persist` accepts only snapshot streams from `createSnapshot`.
   */
  readonly decodeSnapshot?: SnapshotDecodeFn;
}

/** Turns foreign snapshot bytes into the records to install; throws if they are malformed. */
export type SnapshotDecodeFn = (data: Uint8Array) => {
  readonly index: number;
  readonly records: Iterable<SnapshotRecord>;
};

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

/** Counters for the benchmark and for operators. */
export interface StorageStats {
  /** Synced RocksDB writes (one WAL fsync each). */
  readonly syncedWrites: number;
  /** RocksDB writes of lazy bundles only (no fsync; durable with the next synced write). */
  readonly unsyncedWrites: number;
  /** Milliseconds spent in synced RocksDB writes (the binding fsyncs on the event-loop thread). */
  readonly syncedWriteMs: number;
  /** Milliseconds spent in unsynced RocksDB writes. */
  readonly unsyncedWriteMs: number;
  /** Bundles made durable. */
  readonly bundlesWritten: number;
  /** Synchronous writes of the WAL watermark file (at most one per synced write; one covers every group waiting). */
  readonly watermarkSyncs: number;
}

/** A point-in-time snapshot of the KV state, ready to stream. */
export interface SnapshotStream {
  /** The applied index the snapshot corresponds to. */
  readonly meta: SnapshotMeta;
  /** The snapshot stream (see `snapshot-stream.ts`) in chunks of at most `maxChunkBytes`. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** Collects every problem with `options`, each naming the field and the rule. */
export function validateStorageOptions(options: StorageOptions): string[] {
  const problems: string[] = [];
  if (typeof options.dir !== 'string' || options.dir.length === 0)
    problems.push('dir: must be a non-empty path');
  if (typeof options.clusterId !== 'string' || options.clusterId.length === 0) {
    problems.push('clusterId: must be a non-empty string');
  }
  if (!Number.isSafeInteger(options.nodeId) || options.nodeId < 1) {
    problems.push(`nodeId: must be a positive safe integer, got ${String(options.nodeId)}`);
  }
  return problems;
}

interface Job {
  /** Adds the job's writes to `batch`; may read the database (reads are not I/O failures of the job). */
  readonly build: (batch: RocksBatch) => Promise<void> | void;
  /** Written in a batch of its own (it reads keys that earlier bundles of a batch would write). */
  readonly isolated: boolean;
  /** Needs an fsync before it resolves (false: a lazy bundle). */
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

const ITERATOR_BATCH = 1000;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function compareBallots(a: HardState['promised'], b: HardState['promised']): number {
  return a.round !== b.round ? a.round - b.round : a.nodeId - b.nodeId;
}

/** The zero ballot nobody owns: what an acceptor that never promised has promised. */
const ZERO_HARD_STATE: HardState = {
  promised: { round: 0 as Round, nodeId: 0 as NodeId },
  committed: 0 as Slot,
};

/**
 * A node's RocksDB store. Create it with `openStorage`. See the module comment for the
 * durability contract, group commit and fail-stop.
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

  private readonly db: RocksDb;
  /** Iterators handed out through snapshot streams and `records`, closed by `close`. */
  private readonly openIterators = new Set<RocksIterator>();
  private readonly groupCommit: boolean;
  /** Synced groups waiting for the WAL watermark to record them, oldest first. */
  private readonly durableQueue: { sequence: number; jobs: Job[] }[] = [];
  /** The running loop that drains `durableQueue` (one watermark write for all waiting). */
  private durableLoop: Promise<void> | undefined;
  private readonly decodeSnapshot: SnapshotDecodeFn | undefined;
  private readonly watermark: WalWatermark;
  private readonly queue: Job[] = [];
  private scheduled = false;
  private writing = false;
  private idleWaiters: (() => void)[] = [];
  private failed: StorageFatalError | undefined;
  private closed = false;
  private syncedWrites = 0;
  private unsyncedWrites = 0;
  private syncedWriteMs = 0;
  private unsyncedWriteMs = 0;
  private bundlesWritten = 0;
  private watermarkSyncs = 0;
  /** Slots present in the log (durable or queued), so truncation deletes exactly those. */
  private readonly logSlots: Set<number>;
  /** Highest promised ballot durable or queued. */
  private promisedHigh: HardState['promised'];
  /** Applied index durable or queued (what `compact` may not exceed). */
  private appliedHigh: number;

  /** @internal use `openStorage`. */
  constructor(args: {
    dir: string;
    identity: DataDirIdentity;
    db: RocksDb;
    recovered: RecoveredState;
    logSlots: Set<number>;
    groupCommit: boolean;
    decodeSnapshot: SnapshotDecodeFn | undefined;
    watermark: WalWatermark;
  }) {
    this.decodeSnapshot = args.decodeSnapshot;
    this.watermark = args.watermark;
    this.dir = args.dir;
    this.identity = args.identity;
    this.db = args.db;
    this.recovered = args.recovered;
    this.logSlots = args.logSlots;
    this.groupCommit = args.groupCommit;
    this.promisedHigh = args.recovered.hardState.promised;
    this.appliedHigh = args.recovered.applied;
  }

  /** The error that fail-stopped this store, or `undefined` while it is healthy. */
  get failure(): StorageFatalError | undefined {
    return this.failed;
  }

  /** Write counters (for the benchmark). */
  stats(): StorageStats {
    return {
      syncedWrites: this.syncedWrites,
      unsyncedWrites: this.unsyncedWrites,
      syncedWriteMs: this.syncedWriteMs,
      unsyncedWriteMs: this.unsyncedWriteMs,
      bundlesWritten: this.bundlesWritten,
      watermarkSyncs: this.watermarkSyncs,
    };
  }

  /**
   * Makes `bundle` durable (synced) and then resolves with `held`. Rejects with a typed
   * storage error, and fail-stops the store, if the write fails. With `{ sync: false }` the
   * bundle is lazy: written in call order, resolved once written, durable with the next synced
   * write (see the module comment). The caller decides what may be lazy (`Ready.mustSync`).
   */
  persist<H>(bundle: PersistBundle, held: H, options?: PersistOptions): Promise<H> {
    const gate = this.gate();
    if (gate) return Promise.reject(gate);
    const request = bundle.request;
    const sync = options?.sync ?? true;
    let decoded: { index: number; records: readonly SnapshotRecord[] } | undefined;
    if (request?.snapshot) {
      try {
        decoded = this.decodeSnapshotData(request.snapshot.data);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      if (decoded.index !== request.snapshot.meta.index) {
        return Promise.reject(
          new SnapshotInvalidError(
            `snapshot data is at index ${decoded.index} but its meta says ${request.snapshot.meta.index}`,
          ),
        );
      }
    }
    if (request?.hardState) {
      assert(
        compareBallots(request.hardState.promised, this.promisedHigh) >= 0,
        `promised ballot would go back from (${this.promisedHigh.round}, ${this.promisedHigh.nodeId}) ` +
          `to (${request.hardState.promised.round}, ${request.hardState.promised.nodeId})`,
      );
      this.promisedHigh = request.hardState.promised;
    }
    const install = decoded;
    if (install) this.appliedHigh = install.index;
    if (bundle.applied !== undefined) this.appliedHigh = bundle.applied;
    return new Promise<H>((resolve, reject) => {
      this.enqueue({
        isolated: install !== undefined,
        sync,
        resolve: () => resolve(held),
        reject,
        build: async (batch) => {
          if (install) await this.buildInstall(batch, install.index, install.records);
          if (request) this.buildRequest(batch, request);
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
   */
  compact(index: Slot): Promise<void> {
    const gate = this.gate();
    if (gate) return Promise.reject(gate);
    assert(
      index <= this.appliedHigh,
      `compact(${index}) above the applied index ${this.appliedHigh}`,
    );
    return new Promise<void>((resolve, reject) => {
      this.enqueue({
        isolated: false,
        sync: true,
        resolve,
        reject,
        build: (batch) => {
          batch.put(singletonKey(KeyPrefix.snapshotMeta), encodeU64(index));
          this.deleteLogBelow(batch, index + 1);
        },
      });
    });
  }

  /**
   * Takes a consistent point-in-time snapshot of the KV state (data, sessions and the applied
   * index, read through one RocksDB iterator) and returns its metadata and its stream in
   * chunks of at most `maxChunkBytes`. Writes that land after this call are not in it.
   */
  async createSnapshot(options: { maxChunkBytes: number }): Promise<SnapshotStream> {
    const gate = this.gate();
    if (gate) throw gate;
    assert(
      Number.isSafeInteger(options.maxChunkBytes) && options.maxChunkBytes >= 64,
      'maxChunkBytes must be >= 64',
    );
    const it = this.db.iterator({
      gte: singletonKey(KeyPrefix.applied),
      lt: singletonKey(STATE_MACHINE_END),
    });
    const iterators = this.openIterators;
    iterators.add(it);
    let first: [Buffer, Buffer][];
    try {
      first = await it.nextv(1);
    } catch (err) {
      await it.close().catch(() => undefined);
      throw classifyIoError(err, 'reading a snapshot');
    }
    let index = 0;
    let carry: [Buffer, Buffer] | undefined;
    const head = first[0];
    if (head !== undefined) {
      if (head[0].length === 1 && head[0][0] === KeyPrefix.applied) index = decodeU64(head[1]);
      else carry = head;
    }
    async function* records(): AsyncGenerator<SnapshotRecord> {
      try {
        if (carry) yield { ...parseStateKey(carry[0]), value: carry[1] };
        for (;;) {
          const rows = await it.nextv(ITERATOR_BATCH);
          if (rows.length === 0) return;
          for (const [k, v] of rows) yield { ...parseStateKey(k), value: v };
        }
      } finally {
        iterators.delete(it);
        await it.close();
      }
    }
    return {
      meta: { index: index as Slot },
      chunks: encodeSnapshotStream(index, records(), options.maxChunkBytes),
    };
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
    const gate = this.gate();
    if (gate) throw gate;
    const decoder = new SnapshotDecoder();
    for await (const chunk of chunks) decoder.push(chunk);
    const { index, records } = decoder.finish();
    this.appliedHigh = index;
    await new Promise<void>((resolve, reject) => {
      this.enqueue({
        isolated: true,
        sync: true,
        resolve,
        reject,
        build: (batch) => this.buildInstall(batch, index, records),
      });
    });
    return { index: index as Slot };
  }

  /** Reads one KV record, or `undefined` if absent. */
  async get(space: StateSpace, key: Uint8Array): Promise<Uint8Array | undefined> {
    const gate = this.gate();
    if (gate) throw gate;
    try {
      const [value] = await this.db.getMany([stateKey(space, key)]);
      return value;
    } catch (err) {
      throw classifyIoError(err, 'reading a KV record');
    }
  }

  /** The applied index as currently stored. */
  async readApplied(): Promise<Slot> {
    const gate = this.gate();
    if (gate) throw gate;
    const [value] = await this.db.getMany([singletonKey(KeyPrefix.applied)]);
    return (value === undefined ? 0 : decodeU64(value)) as Slot;
  }

  /**
   * Every KV record of `space` (or both, data first) in key order, read through one
   * consistent view; this is how the KV state machine rebuilds itself at start.
   */
  async *records(space?: StateSpace): AsyncGenerator<StoredRecord> {
    const gate = this.gate();
    if (gate) throw gate;
    const lo = space === 'sessions' ? KeyPrefix.sessions : KeyPrefix.data;
    const hi = space === 'data' ? KeyPrefix.sessions : STATE_MACHINE_END;
    const it = this.db.iterator({ gte: singletonKey(lo), lt: singletonKey(hi) });
    this.openIterators.add(it);
    try {
      for (;;) {
        const rows = await it.nextv(ITERATOR_BATCH);
        if (rows.length === 0) return;
        for (const [k, v] of rows) yield { ...parseStateKey(k), value: v };
      }
    } finally {
      this.openIterators.delete(it);
      await it.close();
    }
  }

  /** Waits for queued writes, then closes the database. Later calls reject with `StorageClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writing || this.scheduled || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    while (this.durableLoop !== undefined) await this.durableLoop;
    for (const it of this.openIterators) await it.close().catch(() => undefined);
    this.openIterators.clear();
    await this.watermark.close().catch(() => undefined);
    try {
      await this.db.close();
    } catch (err) {
      if (!this.failed) throw classifyIoError(err, 'closing the database');
    }
  }

  private decodeSnapshotData(data: Uint8Array): {
    index: number;
    records: readonly SnapshotRecord[];
  } {
    if (isSnapshotStream(data)) return decodeSnapshotStream(data);
    if (this.decodeSnapshot === undefined) {
      throw new SnapshotInvalidError(
        'snapshot data is not a flexpaxos snapshot stream, and openStorage was given no decodeSnapshot for other formats',
      );
    }
    try {
      const { index, records } = this.decodeSnapshot(data);
      return { index, records: [...records] };
    } catch (err) {
      throw new SnapshotInvalidError(`decodeSnapshot rejected the snapshot data: ${String(err)}`, {
        cause: err,
      });
    }
  }

  private gate(): Error | undefined {
    if (this.failed) return this.failed;
    if (this.closed) return new StorageClosedError(`store at ${this.dir} is closed`);
    return undefined;
  }

  private buildRequest(batch: RocksBatch, request: PersistRequest): void {
    if (request.truncateBelow !== undefined) this.deleteLogBelow(batch, request.truncateBelow);
    for (const entry of request.entries) {
      batch.put(entryKey(entry.slot), encodeEntryValue(entry));
      this.logSlots.add(entry.slot);
    }
    if (request.hardState)
      batch.put(singletonKey(KeyPrefix.hardState), encodeHardState(request.hardState));
  }

  private deleteLogBelow(batch: RocksBatch, below: number): void {
    for (const slot of this.logSlots) {
      if (slot < below) {
        batch.del(entryKey(slot));
        this.logSlots.delete(slot);
      }
    }
  }

  private async buildInstall(
    batch: RocksBatch,
    index: number,
    records: readonly SnapshotRecord[],
  ): Promise<void> {
    const it = this.db.iterator({
      gte: singletonKey(KeyPrefix.data),
      lt: singletonKey(STATE_MACHINE_END),
      values: false,
    });
    try {
      for (;;) {
        const rows = await it.nextv(ITERATOR_BATCH);
        if (rows.length === 0) break;
        for (const [k] of rows) batch.del(k);
      }
    } finally {
      await it.close();
    }
    for (const r of records) batch.put(stateKey(r.space, r.key), toBuffer(r.value));
    batch.put(singletonKey(KeyPrefix.applied), encodeU64(index));
    batch.put(singletonKey(KeyPrefix.snapshotMeta), encodeU64(index));
    this.deleteLogBelow(batch, index + 1);
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => void this.round());
  }

  /** One group-commit round: everything queued so far, in as few synced writes as allowed. */
  private async round(): Promise<void> {
    this.scheduled = false;
    this.writing = true;
    const jobs = this.queue.splice(0, this.queue.length);
    let group: Job[] = [];
    for (const job of jobs) {
      if (job.isolated || !this.groupCommit) {
        if (group.length > 0) await this.write(group);
        group = [];
        await this.write([job]);
      } else {
        group.push(job);
      }
    }
    if (group.length > 0) await this.write(group);
    this.writing = false;
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async write(jobs: Job[]): Promise<void> {
    if (this.failed) {
      for (const job of jobs) job.reject(this.failed);
      return;
    }
    const batch = this.db.batch();
    // Lazy bundles alone: no fsync (they become durable with the next synced write).
    const sync = jobs.some((job) => job.sync);
    try {
      for (const job of jobs) await job.build(batch);
      const t0 = performance.now();
      await batch.write({ sync });
      if (sync) this.syncedWriteMs += performance.now() - t0;
      else this.unsyncedWriteMs += performance.now() - t0;
    } catch (err) {
      if (err instanceof StorageError || (err instanceof Error && err.name === 'AssertionError')) {
        // Not an I/O failure: the bundle itself was bad. Reject the batch, stay healthy.
        await batch.close().catch(() => undefined);
        for (const job of jobs) job.reject(err);
        return;
      }
      await batch.close().catch(() => undefined);
      this.failStop(
        classifyIoError(err, `synced write of ${jobs.length} bundle(s) to ${this.dir}`),
        jobs,
      );
      return;
    }
    if (!sync) {
      this.unsyncedWrites++;
      this.bundlesWritten += jobs.length;
      for (const job of jobs) job.resolve();
      return;
    }
    this.syncedWrites++;
    this.durableQueue.push({ sequence: this.db.sequence, jobs });
    this.durableLoop ??= this.drainDurable();
  }

  /**
   * Releases synced groups once the WAL watermark records them: one watermark write (on the
   * thread pool, overlapping the next group's WAL write) with the highest sequence of every
   * group waiting, oldest first.
   */
  private async drainDurable(): Promise<void> {
    // Yield first, so `durableLoop` is set before this loop can finish (even when it awaits nothing).
    await Promise.resolve();
    while (this.durableQueue.length > 0) {
      const groups = this.durableQueue.splice(0, this.durableQueue.length);
      const jobs = groups.flatMap((g) => g.jobs);
      const sequence = Math.max(...groups.map((g) => g.sequence));
      try {
        if (!this.failed) {
          await this.watermark.write(sequence);
          this.watermarkSyncs++;
        }
      } catch (err) {
        if (!this.failed) {
          this.failStop(classifyIoError(err, `writing the WAL watermark in ${this.dir}`), jobs);
          continue;
        }
      }
      if (this.failed) {
        for (const job of jobs) job.reject(this.failed);
        continue;
      }
      this.bundlesWritten += jobs.length;
      for (const job of jobs) job.resolve();
    }
    this.durableLoop = undefined;
  }

  private failStop(error: StorageFatalError | StorageLockedError, jobs: Job[]): void {
    // A lock error cannot happen on an open database; it is fatal like the others if it does.
    const fatal = error as StorageFatalError;
    this.failed = fatal;
    for (const job of jobs) job.reject(fatal);
    for (const job of this.queue.splice(0, this.queue.length)) job.reject(fatal);
  }
}

/**
 * Opens (creating if needed) the store in `options.dir` for `clusterId`/`nodeId`, checks the
 * directory's identity and format, and recovers the replica's state.
 *
 * Throws `StorageConfigError` for invalid options, `DataDirMismatchError` /
 * `DataDirNewerFormatError` / `DataDirInvalidError` for a directory that is not this node's,
 * `StorageLockedError` if another process has it open, or an I/O error class.
 */
export async function openStorage(options: StorageOptions): Promise<RocksStore> {
  const problems = validateStorageOptions(options);
  if (problems.length > 0)
    throw new StorageConfigError(`invalid storage options: ${problems.join('; ')}`);
  const expected: DataDirIdentity = {
    formatVersion: FORMAT_VERSION,
    clusterId: options.clusterId,
    nodeId: options.nodeId,
  };
  const identity = await claimDataDir(options.dir, expected);
  const db = createRocksDb(join(options.dir, ROCKSDB_DIR));
  try {
    await db.open({ createIfMissing: true });
  } catch (err) {
    // abstract-level wraps the RocksDB status (e.g. LEVEL_LOCKED) in LEVEL_DATABASE_NOT_OPEN.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    throw classifyIoError(cause, `opening RocksDB in ${options.dir}`);
  }
  let watermark: WalWatermark | undefined;
  try {
    const { recovered, logSlots, hasMeta } = await recover(db, options.dir, identity);
    try {
      watermark = await WalWatermark.open(options.dir);
    } catch (err) {
      throw classifyIoError(err, `opening the WAL watermark in ${options.dir}`);
    }
    const sequence = db.sequence;
    if (watermark.value !== undefined && sequence < watermark.value) {
      throw new StorageCorruptionError(
        `data directory ${options.dir} lost acknowledged writes: RocksDB recovered its log up to sequence ${sequence}, ` +
          `but writes up to sequence ${watermark.value} were acknowledged (a corrupted record in the middle of the WAL); ` +
          `this node's state cannot be trusted: remove the directory and let the node rejoin from a peer's snapshot`,
      );
    }
    if (!hasMeta) {
      const batch = db.batch();
      batch.put(singletonKey(KeyPrefix.meta), Buffer.from(encodeIdentity(identity)));
      await batch.write({ sync: true });
    }
    return new RocksStore({
      dir: options.dir,
      identity,
      db,
      recovered,
      logSlots,
      groupCommit: options.groupCommit ?? true,
      decodeSnapshot: options.decodeSnapshot,
      watermark,
    });
  } catch (err) {
    await watermark?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    if (err instanceof StorageError) throw err;
    throw classifyIoError(err, `recovering state from ${options.dir}`);
  }
}

async function recover(
  db: RocksDb,
  dir: string,
  identity: DataDirIdentity,
): Promise<{ recovered: RecoveredState; logSlots: Set<number>; hasMeta: boolean }> {
  // One iterator = one consistent view of meta, hard state, log, snapshot meta and applied.
  const it = db.iterator({ gte: singletonKey(KeyPrefix.meta), lt: singletonKey(KeyPrefix.data) });
  let hardState = ZERO_HARD_STATE;
  let snapshotIndex: number | undefined;
  let applied = 0;
  let hasMeta = false;
  const entries: AcceptedEntry[] = [];
  const logSlots = new Set<number>();
  try {
    for (;;) {
      const rows = await it.nextv(ITERATOR_BATCH);
      if (rows.length === 0) break;
      for (const [key, value] of rows) {
        switch (key[0] ?? -1) {
          case KeyPrefix.meta: {
            const stored = parseIdentity(value.toString('utf8'));
            if (typeof stored === 'string') {
              throw new DataDirInvalidError(
                `data directory ${dir} has an unreadable identity record in RocksDB (${stored})`,
              );
            }
            checkIdentity(dir, stored, identity);
            hasMeta = true;
            break;
          }
          case KeyPrefix.hardState:
            hardState = decodeHardState(value);
            break;
          case KeyPrefix.entry: {
            const slot = slotOfEntryKey(key);
            logSlots.add(slot);
            entries.push(decodeEntryValue(slot as Slot, value));
            break;
          }
          case KeyPrefix.snapshotMeta:
            snapshotIndex = decodeU64(value);
            break;
          case KeyPrefix.applied:
            applied = decodeU64(value);
            break;
          default:
            throw new DataDirInvalidError(
              `data directory ${dir} holds an unknown key prefix ${key[0]}`,
            );
        }
      }
    }
  } finally {
    await it.close();
  }
  const above = snapshotIndex ?? 0;
  assert(applied >= above, `applied index ${applied} is below the snapshot index ${above}`);
  return {
    recovered: {
      hardState,
      snapshot: snapshotIndex === undefined ? undefined : { index: snapshotIndex as Slot },
      entries: entries.filter((e) => e.slot > above),
      applied: applied as Slot,
    },
    logSlots,
    hasMeta,
  };
}

/**
 * Group commit: the one place where bundles become RocksDB write batches.
 *
 * - At most one synced write is in flight. Jobs that arrive while it runs wait in a queue and
 *   all go into the next write batch (one fsync for all of them). A round is scheduled with
 *   `setImmediate`, so everything handed over in one event-loop turn shares a batch. The
 *   binding's `write` is synchronous, so the fsync blocks the event loop; messages that arrive
 *   meanwhile are queued by libuv, handed over right after, and land in the next batch.
 * - An *isolated* job (a snapshot install: it reads keys that earlier bundles of a batch would
 *   write) is written in a batch of its own; the jobs queued before it are written first.
 * - A batch of lazy jobs only (`sync: false`) is written without an fsync; it becomes durable
 *   with the next synced write. A batch with any synced job is synced.
 * - Jobs are built into batches, written, and resolved in the order they were queued.
 * - After a synced write, the group waits for the WAL watermark (`wal-watermark.ts`) to record
 *   its sequence before its jobs resolve; one watermark write covers every group waiting for
 *   it and runs on the thread pool, overlapping the next group's WAL write.
 *
 * ## Failures
 *
 * - A job whose build throws a non-fatal typed {@link StorageError} (a bad bundle, such as
 *   `SnapshotInvalidError`) rejects its batch with that error; the store stays healthy.
 * - An I/O error (the batch write, a read inside a build, the watermark) is classified
 *   (`classifyIoError`) and fail-stops: that batch and every queued job reject with it, it is
 *   kept in {@link GroupCommit.failure}, and every later job rejects with that same error.
 * - Anything else thrown by a build is a broken invariant (an `AssertionError`, for example).
 *   It is never absorbed: it fail-stops the same way, and every waiting caller gets the error
 *   itself, unchanged, so the host stops on it.
 */
import type { RocksBatch } from './rocksdb-binding.js';
import { classifyIoError, isFatalStorageError, StorageError } from './errors.js';

/** One unit of work: the writes of one `persist`, `compact` or `installSnapshot` call. */
export interface CommitJob {
  /**
   * Adds the job's writes to `batch`. It may read the database; such reads classify their own
   * I/O errors (`classifyIoError`).
   */
  readonly build: (batch: RocksBatch) => Promise<void> | void;
  /** Written in a batch of its own (it reads keys that earlier jobs of a batch would write). */
  readonly isolated: boolean;
  /** Needs an fsync before it resolves (false: a lazy bundle). */
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** The part of the RocksDB handle that group commit uses. */
export interface GroupCommitDb {
  /** RocksDB's latest sequence number (after a write: that write's last sequence). */
  readonly sequence: number;
  batch(): RocksBatch;
}

/** Where synced sequences are recorded before their jobs resolve (the WAL watermark). */
export interface SequenceWitness {
  write(sequence: number): Promise<void>;
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

/**
 * The group-commit queue of one store. See the module comment.
 *
 * Invariant: at most one `batch.write` is running at any time, and jobs resolve in queue order.
 */
export class GroupCommit {
  readonly #db: GroupCommitDb;
  readonly #witness: SequenceWitness;
  /** Names the store in error messages (its directory). */
  readonly #where: string;
  /** False: every job in a batch of its own (one fsync per bundle; a measurement baseline). */
  readonly #grouped: boolean;
  readonly #queue: CommitJob[] = [];
  #scheduled = false;
  #writing = false;
  #idleWaiters: (() => void)[] = [];
  /** Synced groups waiting for the witness to record them, oldest first. */
  readonly #durableQueue: { sequence: number; jobs: CommitJob[] }[] = [];
  /** The running loop that drains `#durableQueue`. */
  #durableLoop: Promise<void> | undefined;
  #failed: Error | undefined;
  #syncedWrites = 0;
  #unsyncedWrites = 0;
  #syncedWriteMs = 0;
  #unsyncedWriteMs = 0;
  #bundlesWritten = 0;
  #watermarkSyncs = 0;

  constructor(args: {
    readonly db: GroupCommitDb;
    readonly witness: SequenceWitness;
    readonly where: string;
    readonly grouped: boolean;
  }) {
    this.#db = args.db;
    this.#witness = args.witness;
    this.#where = args.where;
    this.#grouped = args.grouped;
  }

  /**
   * The error that fail-stopped the queue: a `StorageFatalError` for an I/O failure, or
   * the broken invariant a build threw; `undefined` while healthy.
   */
  get failure(): Error | undefined {
    return this.#failed;
  }

  /** Write counters. */
  stats(): StorageStats {
    return {
      syncedWrites: this.#syncedWrites,
      unsyncedWrites: this.#unsyncedWrites,
      syncedWriteMs: this.#syncedWriteMs,
      unsyncedWriteMs: this.#unsyncedWriteMs,
      bundlesWritten: this.#bundlesWritten,
      watermarkSyncs: this.#watermarkSyncs,
    };
  }

  /** Queues `job`; it rejects at once with the failure if the queue is fail-stopped. */
  enqueue(job: CommitJob): void {
    if (this.#failed) {
      job.reject(this.#failed);
      return;
    }
    this.#queue.push(job);
    this.#schedule();
  }

  /** Resolves once nothing is queued, written or waiting for the witness. */
  async idle(): Promise<void> {
    if (this.#writing || this.#scheduled || this.#queue.length > 0) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
    while (this.#durableLoop !== undefined) await this.#durableLoop;
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    setImmediate(() => void this.#round());
  }

  /** One round: everything queued so far, in as few writes as allowed. Never rejects. */
  async #round(): Promise<void> {
    this.#scheduled = false;
    this.#writing = true;
    const jobs = this.#queue.splice(0, this.#queue.length);
    let group: CommitJob[] = [];
    for (const job of jobs) {
      if (job.isolated || !this.#grouped) {
        if (group.length > 0) await this.#write(group);
        group = [];
        await this.#write([job]);
      } else {
        group.push(job);
      }
    }
    if (group.length > 0) await this.#write(group);
    this.#writing = false;
    if (this.#queue.length > 0) {
      this.#schedule();
    } else {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  /** Builds and writes one batch. Never rejects: failures go to the jobs (see the module comment). */
  async #write(jobs: CommitJob[]): Promise<void> {
    if (this.#failed) {
      for (const job of jobs) job.reject(this.#failed);
      return;
    }
    const batch = this.#db.batch();
    // Lazy bundles alone: no fsync (they become durable with the next synced write).
    const sync = jobs.some((job) => job.sync);
    try {
      for (const job of jobs) await job.build(batch);
    } catch (err) {
      await batch.close().catch(() => undefined);
      if (err instanceof StorageError && !isFatalStorageError(err)) {
        // A bad bundle (typed by the code that found it): reject this batch, stay healthy.
        for (const job of jobs) job.reject(err);
        return;
      }
      // A fatal storage error from a read, or a broken invariant: stop, passing it on as is.
      this.#failStop(err instanceof Error ? err : new Error(String(err)), jobs);
      return;
    }
    try {
      const t0 = performance.now();
      await batch.write({ sync });
      if (sync) this.#syncedWriteMs += performance.now() - t0;
      else this.#unsyncedWriteMs += performance.now() - t0;
    } catch (err) {
      await batch.close().catch(() => undefined);
      this.#failStop(
        classifyIoError(err, `synced write of ${jobs.length} bundle(s) to ${this.#where}`),
        jobs,
      );
      return;
    }
    if (!sync) {
      this.#unsyncedWrites++;
      this.#bundlesWritten += jobs.length;
      for (const job of jobs) job.resolve();
      return;
    }
    this.#syncedWrites++;
    this.#durableQueue.push({ sequence: this.#db.sequence, jobs });
    this.#durableLoop ??= this.#drainDurable();
  }

  /** Releases synced groups once the witness records them, oldest first. Never rejects. */
  async #drainDurable(): Promise<void> {
    // Yield first, so `#durableLoop` is set before this loop can finish (even when it awaits nothing).
    await Promise.resolve();
    while (this.#durableQueue.length > 0) {
      const groups = this.#durableQueue.splice(0, this.#durableQueue.length);
      const jobs = groups.flatMap((g) => g.jobs);
      const sequence = Math.max(...groups.map((g) => g.sequence));
      if (this.#failed === undefined) {
        try {
          await this.#witness.write(sequence);
          this.#watermarkSyncs++;
        } catch (err) {
          if (this.#failed === undefined) {
            this.#failStop(
              classifyIoError(err, `writing the WAL watermark in ${this.#where}`),
              jobs,
            );
            continue;
          }
        }
      }
      if (this.#failed) {
        for (const job of jobs) job.reject(this.#failed);
        continue;
      }
      this.#bundlesWritten += jobs.length;
      for (const job of jobs) job.resolve();
    }
    this.#durableLoop = undefined;
  }

  #failStop(error: Error, jobs: readonly CommitJob[]): void {
    this.#failed = error;
    for (const job of jobs) job.reject(error);
    for (const job of this.#queue.splice(0, this.#queue.length)) job.reject(error);
  }
}

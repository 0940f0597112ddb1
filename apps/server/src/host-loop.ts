/**
 * The host loop: drives the sans-IO `Replica` through the Ready contract of
 * `@flexpaxos/paxos` (`src/ready.ts`) against the store and the KV state machine.
 *
 * While `replica.hasReady()`:
 * 1. `rd = replica.ready()`; send `rd.messages` at once;
 * 2. `rd.mustSync`: `store.persist({ request: rd.persist }, rd.messagesAfterPersist)`: the
 *    storage hands the held messages back only once the write is fsynced (group commit: one
 *    synced write in flight, the rest queued into the next batch). Otherwise (`persist` only
 *    advances the committed index) it is written lazily (`{ sync: false }`) and not awaited:
 *    the committed index need not be durable (a restarted node re-learns it from its peers);
 * 3. meanwhile apply `rd.committed` to the KV machine; its record writes and the applied index
 *    go into the write-behind buffer (`state-buffer.ts`), written as one lazy bundle (in call
 *    order, durable with the next synced write) once enough records or time gathered, at
 *    drain, or dropped when a snapshot install replaces the KV records;
 *    feed each slot's change events to the watch service (a snapshot install resets it),
 *    hand its lease changes to the lessor and its replies to the client service (after the persist instead when it
 *    installs a snapshot: the store replaced the KV records, so the machine is rebuilt from
 *    them first);
 * 4. await the synced persist and send what came back (Promise, Accepted, heartbeat reply);
 * 5. confirmed and failed quorum reads (`reads.onReady`), `replica.advance(rd)`, then
 *    `reads.afterAdvance` and the node's own after-advance step (compaction check).
 *
 * Only one ready is outstanding at a time; peer messages that arrive while a persist runs are
 * stepped into the replica and come out batched in the next ready. A write that fails (synced
 * or lazy) stops the loop and is reported to the node, which fail-stops.
 *
 * Why replying in step 3 without waiting for any fsync of this ready is safe: a committed
 * slot is durable in the logs of a phase-2 quorum (the leader counts itself only after its
 * own write is durable), and a restarted node re-applies every committed slot above its
 * durable applied index; storage recovers a prefix of the call order, so the applied index
 * is never durable ahead of the log entries it covers, and compaction's synced write makes
 * the KV state it snapshotted durable before it deletes the log below it.
 */
import { KvStateMachine } from '@flexpaxos/kv';
import type { KvConfig, KvEvent, LeaseChange, StateWrite } from '@flexpaxos/kv';
import type { Message, Ready, Slot } from '@flexpaxos/paxos';
import type { PersistBundle, PersistOptions, StoredRecord } from '@flexpaxos/storage-rocksdb';
import type { Logger } from './logger.js';
import { Histogram, LATENCY_BUCKETS_S } from './metrics.js';
import { StateBuffer } from './state-buffer.js';
import type { StateBufferLimits } from './state-buffer.js';

/** The part of `Replica` the loop drives. */
export interface HostReplica {
  hasReady(): boolean;
  ready(): Ready;
  advance(ready: Ready): void;
}

/** The part of `RocksStore` the loop writes to and rebuilds the KV machine from. */
export interface HostStore {
  persist<H>(bundle: PersistBundle, held: H, options?: PersistOptions): Promise<H>;
  records(): AsyncIterable<StoredRecord>;
}

/** The read server's hooks into the loop (`reads.ts`). */
export interface HostReads {
  /** After `rd.committed` is applied: answer its confirmed and failed quorum reads. */
  onReady(ready: Ready): void;
  /** After `replica.advance`. */
  afterAdvance(): void;
}

/** What the loop counts (exported on `/metrics`). */
export interface HostLoopCounts {
  /** Ready bundles handled. */
  readies: number;
  /** Readies whose persist only advanced the committed index (written lazily). */
  lazyPersists: number;
  /** Log slots applied to the state machine. */
  slotsApplied: number;
  /** Client commands applied. */
  commandsApplied: number;
  /** Snapshots received from a peer and installed. */
  snapshotsInstalled: number;
  /** KV records the applied slots changed (before the write-behind buffer coalesced them). */
  stateRecordsChanged: number;
  /** KV records written to the store (one per record per buffer flush). */
  stateRecordsWritten: number;
}

/**
 * Rebuilds the KV state machine from the store's records at `applied`, with `kvConfig` over
 * the defaults (it shapes the replicated state: the same on every node).
 */
export async function loadStateMachine(
  store: Pick<HostStore, 'records'>,
  applied: number,
  kvConfig: Partial<KvConfig> = {},
): Promise<KvStateMachine> {
  const data: [Uint8Array, Uint8Array][] = [];
  const sessions: [Uint8Array, Uint8Array][] = [];
  for await (const r of store.records()) {
    (r.space === 'data' ? data : sessions).push([r.key, r.value]);
  }
  return KvStateMachine.fromRecords(data, sessions, applied, kvConfig);
}

/** Where the loop sends peer messages (the transport). */
export interface HostPeers {
  send(messages: readonly Message[]): void;
}

/** The client service's hook into the loop (`client-service.ts`). */
export interface HostClients {
  /** The commands of one applied slot and their replies, in order: answer their waiters. */
  onApplied(commands: readonly Uint8Array[], replies: readonly (Uint8Array | undefined)[]): void;
}

/** The lessor service's hook into the loop (`lessor-service.ts`). */
export interface HostLessor {
  /** The lease changes of one applied slot, before its replies are handed out. */
  observe(changes: readonly LeaseChange[]): void;
}

/** Compaction's hooks into the loop (`compaction.ts`). */
export interface HostCompaction {
  /** A snapshot from a peer is installed and the KV machine rebuilt at `index`. */
  installed(index: Slot): void;
  /** After each ready's advance: compact if enough slots were applied. */
  maybeStart(): void;
}

/** The watch service's hooks into the loop (`watch-service.ts`). */
export interface HostWatch {
  /** One applied slot's change events: every slot, empty ones included, in order. */
  applied(slot: Slot, events: readonly KvEvent[]): void;
  /** A snapshot was installed: the KV state was replaced at `index`. */
  reset(index: Slot): void;
}

/** Everything the loop talks to. */
export interface HostLoopDeps {
  readonly replica: HostReplica;
  readonly store: HostStore;
  /** The KV machine rebuilt from the store at start. */
  readonly kv: KvStateMachine;
  /** The KV machine's config (`kv` was built with it), for rebuilding it after a snapshot. */
  readonly kvConfig?: Partial<KvConfig>;
  readonly peers: HostPeers;
  readonly reads: HostReads;
  readonly clients: HostClients;
  readonly compaction: HostCompaction;
  /** Follows key-lease changes on the leader (absent: no lessor). */
  readonly lessor?: HostLessor;
  /** Watches fed from what is applied (none: no watches). */
  readonly watch?: HostWatch;
  /** After a run of readies ended (the node looks for a role change). */
  readonly afterRun: () => void;
  /** A write failed or the loop threw: the node fail-stops. Called once. */
  readonly fail: (err: unknown) => void;
  readonly log: Logger;
  /** When the write-behind buffer of KV records is written (default `STATE_BUFFER_LIMITS`). */
  readonly stateBuffer?: StateBufferLimits;
}

/**
 * The host loop of one node; see the module comment. `kick()` whenever the replica may have a
 * ready (a step, a tick, a proposal, a read).
 *
 * Invariant: at most one ready is between `ready()` and `advance()`, and its
 * `messagesAfterPersist` leave only after its synced persist resolved.
 */
export class HostLoop {
  /** What the loop counted so far. */
  readonly counts: HostLoopCounts = {
    readies: 0,
    lazyPersists: 0,
    slotsApplied: 0,
    commandsApplied: 0,
    snapshotsInstalled: 0,
    stateRecordsChanged: 0,
    stateRecordsWritten: 0,
  };
  /** Time to make one ready durable (fsync, group commit). */
  readonly persistSeconds = new Histogram(LATENCY_BUCKETS_S);
  readonly #d: HostLoopDeps;
  #kv: KvStateMachine;
  #running: Promise<void> | undefined;
  #driving = false;
  /** No new runs (the node stops); a running one finishes. */
  #stopped = false;
  /** The running run ends after its current ready (a failure). */
  #halted = false;
  /** Lazy writes nobody awaits, drained at stop. */
  readonly #inflightWrites = new Set<Promise<unknown>>();
  /** Applied KV records not yet handed to the store (see `state-buffer.ts`). */
  readonly #buffer: StateBuffer;
  /** Writes the buffer once its time limit passed with no apply to notice it. */
  #flushTimer: NodeJS.Timeout | undefined;
  #writtenApplied: Slot;

  constructor(deps: HostLoopDeps) {
    this.#d = deps;
    this.#kv = deps.kv;
    this.#writtenApplied = deps.kv.applied as Slot;
    this.#buffer = new StateBuffer(deps.stateBuffer);
  }

  /**
   * The applied index of the KV records handed to the store (written in call order; what a
   * snapshot of the store reaches). Trails `kv.applied` by what the write-behind buffer holds.
   */
  get writtenApplied(): Slot {
    return this.#writtenApplied;
  }

  /** The KV state machine now (a snapshot install replaces it). */
  get kv(): KvStateMachine {
    return this.#kv;
  }

  /** Starts a run of readies unless one is running, the loop is stopped, or there is none. */
  kick(): void {
    if (this.#driving || this.#stopped) return;
    if (!this.#d.replica.hasReady()) return;
    this.#driving = true;
    this.#running = this.#run().then(
      () => {
        this.#driving = false;
        this.#d.afterRun();
        // Anything stepped in after the last hasReady() check.
        this.kick();
      },
      (err: unknown) => {
        this.#driving = false;
        this.#fail(err);
      },
    );
  }

  /** No new runs; a running one goes on until the replica has no ready. */
  stop(): void {
    this.#stopped = true;
  }

  /** Stops, and ends a running run after its current ready (the node failed). */
  halt(): void {
    this.#stopped = true;
    this.#halted = true;
  }

  /**
   * Waits up to `maxWaitMs` for the running run (so its replies leave), writes the buffered KV
   * records, then waits for every lazy write.
   */
  async drain(maxWaitMs: number): Promise<void> {
    const running = this.#running;
    if (this.#driving && running !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        running,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, maxWaitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    if (!this.#halted) this.#flush();
    clearTimeout(this.#flushTimer);
    await Promise.allSettled([...this.#inflightWrites]);
  }

  #fail(err: unknown): void {
    if (this.#halted) return;
    this.halt();
    clearTimeout(this.#flushTimer);
    this.#d.fail(err);
  }

  async #run(): Promise<void> {
    const { replica, store, peers, reads, compaction } = this.#d;
    while (replica.hasReady() && !this.#halted) {
      const rd = replica.ready();
      this.counts.readies++;
      if (rd.messages.length > 0) peers.send(rd.messages);
      let after: readonly Message[] = rd.messagesAfterPersist;
      let applied = false;
      if (rd.persist !== undefined && !rd.mustSync) {
        // The core's persist policy: only the committed index moved. It need not be durable
        // (a restarted node re-learns it), so it is written lazily in call order, without an
        // fsync of its own, and nothing waits for it (see the module comment).
        this.#track(store.persist({ request: rd.persist }, undefined, { sync: false }));
        this.counts.lazyPersists++;
      } else if (rd.persist !== undefined) {
        const t0 = performance.now();
        const installed = rd.persist.snapshot;
        // The install replaces every KV record: buffered ones belong to the state it replaces.
        if (installed !== undefined) this.#buffer.clear();
        const synced = store.persist({ request: rd.persist }, rd.messagesAfterPersist);
        if (installed === undefined) {
          // Committed slots are chosen (durable on a phase-2 quorum): apply and answer them
          // now, while this ready's own write is in flight; their KV bundle is queued after it.
          this.#apply(rd);
          applied = true;
        }
        after = await synced;
        this.persistSeconds.observe((performance.now() - t0) / 1000);
        if (installed !== undefined) {
          // The store replaced the KV records atomically; rebuild the machine from them
          // before applying the committed entries above the snapshot.
          this.#kv = await loadStateMachine(store, installed.meta.index, this.#d.kvConfig);
          this.#writtenApplied = installed.meta.index;
          this.counts.snapshotsInstalled++;
          compaction.installed(installed.meta.index);
          this.#d.watch?.reset(installed.meta.index);
          this.#d.log.log('info', 'installed snapshot', {
            index: installed.meta.index,
            keys: this.#kv.size,
          });
        }
      }
      if (after.length > 0) peers.send(after);
      if (!applied) this.#apply(rd);
      reads.onReady(rd);
      replica.advance(rd);
      reads.afterAdvance();
      compaction.maybeStart();
    }
  }

  #apply(rd: Ready): void {
    if (rd.committed.length === 0) return;
    const writes: StateWrite[] = [];
    let applied: Slot | undefined;
    for (const entry of rd.committed) {
      // A configuration entry is a no-op for the KV machine (the core keeps the configuration).
      const r = this.#kv.applySlot(
        entry.slot,
        entry.value.kind === 'config' ? { kind: 'noop' } : entry.value,
      );
      for (const w of r.writes) writes.push(w);
      if (r.leaseChanges.length > 0) this.#d.lessor?.observe(r.leaseChanges);
      this.#d.watch?.applied(entry.slot, r.events);
      applied = entry.slot;
      this.counts.slotsApplied++;
      if (entry.value.kind !== 'commands') continue;
      this.counts.commandsApplied += entry.value.commands.length;
      this.#d.clients.onApplied(entry.value.commands, r.replies);
    }
    if (applied === undefined) return;
    this.counts.stateRecordsChanged += writes.length;
    const now = performance.now();
    this.#buffer.add(writes, applied, now);
    if (this.#buffer.due(now)) this.#flush();
    else this.#flushTimer ??= setTimeout(() => this.#flushLater(), this.#buffer.limits.ms).unref();
  }

  #flushLater(): void {
    this.#flushTimer = undefined;
    if (!this.#halted) this.#flush();
  }

  /**
   * Hands the buffered records and their applied index to the store as one lazy bundle:
   * written in call order, durable with the next synced write (re-applied from the log after a
   * crash before that).
   */
  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const bundle = this.#buffer.take();
    if (bundle === undefined) return;
    this.counts.stateRecordsWritten += bundle.stateWrites.length;
    this.#writtenApplied = bundle.applied;
    this.#track(this.#d.store.persist(bundle, undefined, { sync: false }));
  }

  /** Keeps a write nobody awaits until it settles; a failure stops the loop and the node. */
  #track(p: Promise<unknown>): void {
    this.#inflightWrites.add(p);
    p.then(
      () => this.#inflightWrites.delete(p),
      (err: unknown) => {
        this.#inflightWrites.delete(p);
        this.#fail(err);
      },
    );
  }
}

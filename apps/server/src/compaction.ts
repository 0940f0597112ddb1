/**
 * Snapshot and compaction, off the host loop. Every `snapshotIntervalSlots` applied slots (and
 * once after a restart on a compacted log, so the replica can serve laggards again):
 *
 * 1. `store.createSnapshot`: a point-in-time snapshot stream of the durable KV state; its
 *    index is the durable applied index, never above the replica's;
 * 2. `replica.compact({ meta: { index }, data })`: the replica truncates its log and serves
 *    the snapshot to laggards;
 * 3. `store.compact(index, replica.configAt(index))`: in one synced write, snapshot meta :=
 *    index, the base configuration := the one in force above index, and the log at or below it
 *    deleted (the KV state the snapshot read is durable before the log goes, and a restart
 *    finds the configuration the deleted configuration entries made).
 *
 * Slots are counted from the applied index the KV state written to the store reaches (the
 * host loop's write-behind buffer trails the state machine): the snapshot's index is that one.
 *
 * At most one compaction runs at a time; a failure fail-stops the node.
 */
import type { ConfigState, Slot, Snapshot } from '@flexpaxos/paxos';
import type { SnapshotStream } from '@flexpaxos/storage-rocksdb';
import type { Logger } from './logger.js';

/** The largest chunk of a snapshot stream read from the store. */
const SNAPSHOT_CHUNK_BYTES = 256 * 1024;

/** The part of `Replica` compaction uses. */
export interface CompactableReplica {
  compact(snapshot: Snapshot): void;
  configAt(index: Slot): ConfigState | undefined;
  status(): { readonly snapshotIndex: Slot };
}

/** The part of `RocksStore` compaction uses. */
export interface CompactableStore {
  createSnapshot(options: { maxChunkBytes: number }): Promise<SnapshotStream>;
  compact(index: Slot, baseConfig?: ConfigState): Promise<void>;
}

/** What compaction counts (exported on `/metrics`). */
export interface CompactionCounts {
  /** Snapshots taken (log compactions). */
  snapshotsTaken: number;
}

/** The compaction of one node; see the module comment. */
export class Compaction {
  /** What compaction counted so far. */
  readonly counts: CompactionCounts = { snapshotsTaken: 0 };
  readonly #replica: CompactableReplica;
  readonly #store: CompactableStore;
  readonly #log: Logger;
  readonly #intervalSlots: number;
  readonly #applied: () => number;
  readonly #kick: () => void;
  readonly #fail: (err: unknown) => void;
  #lastSnapshotIndex: number;
  #running = false;
  #stopped = false;

  constructor(deps: {
    readonly replica: CompactableReplica;
    readonly store: CompactableStore;
    readonly log: Logger;
    /** Applied slots between snapshots; 0: only the one after a restart on a compacted log. */
    readonly intervalSlots: number;
    /** The snapshot index recovered from storage (0: none). */
    readonly lastSnapshotIndex: number;
    /** The applied index of the KV state handed to the store (what a snapshot can reach). */
    readonly applied: () => number;
    /** Runs the host loop (the replica has new work after compacting). */
    readonly kick: () => void;
    /** The node fail-stops. */
    readonly fail: (err: unknown) => void;
  }) {
    this.#replica = deps.replica;
    this.#store = deps.store;
    this.#log = deps.log;
    this.#intervalSlots = deps.intervalSlots;
    this.#lastSnapshotIndex = deps.lastSnapshotIndex;
    this.#applied = deps.applied;
    this.#kick = deps.kick;
    this.#fail = deps.fail;
  }

  /** Starts the compaction a restart on a compacted log needs, if it is one. */
  afterRestart(): void {
    if (this.#lastSnapshotIndex > 0) this.start();
  }

  /** A snapshot from a peer was installed at `index`: the next interval counts from there. */
  installed(index: number): void {
    this.#lastSnapshotIndex = index;
  }

  /** Starts a compaction when `intervalSlots` slots were applied since the last snapshot. */
  maybeStart(): void {
    const interval = this.#intervalSlots;
    if (interval > 0 && this.#applied() - this.#lastSnapshotIndex >= interval) this.start();
  }

  /** Starts a compaction unless one runs or the node stops. */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#compact().then(
      () => {
        this.#running = false;
        this.#kick();
      },
      (err: unknown) => {
        this.#running = false;
        this.#fail(err);
      },
    );
  }

  /** No new compactions; a running one ends without compacting. */
  stop(): void {
    this.#stopped = true;
  }

  async #compact(): Promise<void> {
    const t0 = performance.now();
    const snap = await this.#store.createSnapshot({ maxChunkBytes: SNAPSHOT_CHUNK_BYTES });
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const c of snap.chunks) {
      parts.push(c);
      size += c.byteLength;
    }
    const index = snap.meta.index;
    if (index === 0 || index < this.#replica.status().snapshotIndex || this.#stopped) return;
    const data = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.byteLength;
    }
    // Read before the replica compacts: the configuration in force above the snapshot.
    const baseConfig = this.#replica.configAt(index);
    this.#replica.compact({ meta: { index }, data });
    await this.#store.compact(index, baseConfig);
    this.#lastSnapshotIndex = index;
    this.counts.snapshotsTaken++;
    this.#log.log('info', 'snapshot taken, log compacted', {
      index,
      bytes: size,
      ms: Math.round(performance.now() - t0),
    });
  }
}

/**
 * The KV records applied but not yet written: the host loop's write-behind buffer between the
 * KV state machine and the store.
 *
 * Every applied slot changes a few records (the data keys it wrote, the session of each
 * command). Writing them per slot costs RocksDB a memtable insert per record per node; most are
 * overwritten soon after (a client's session record changes with each of its commands, a hot
 * key with each put). So the loop keeps only the latest value of each record here and writes
 * them, with the applied index they reach, as one lazy bundle once {@link StateBuffer.due}
 * (enough records or enough time) and at stop; a snapshot install, which replaces the KV
 * records, drops them.
 *
 * Why this loses nothing: the state machine's state is in memory, and the log keeps every slot
 * above the applied index written to the store (compaction snapshots the written KV state at
 * its own applied index and deletes only the log below it, in a synced write that makes that
 * state durable first). A node that crashes with records still here
 * restarts from the records and applied index it wrote last and re-applies the slots above
 * them from its log. Each flush writes the records and their applied index in one atomic batch,
 * so the durable KV state is always the state at the durable applied index.
 *
 * Invariant: `take()` returns, for every record changed by a slot added since the last take,
 * its value after the last of those slots, and that slot as `applied`.
 */
import type { StateWrite } from '@flexpaxos/kv';
import type { Slot } from '@flexpaxos/paxos';

/** When a buffer is written: whichever limit is reached first. */
export interface StateBufferLimits {
  /** Distinct records held. */
  readonly records: number;
  /** Milliseconds since the first record (or applied index) came in. */
  readonly ms: number;
}

/** Defaults: a few hundred KiB of records, and at most a quarter second of applied slots. */
export const STATE_BUFFER_LIMITS: StateBufferLimits = { records: 8192, ms: 250 };

/** Latest value per record since the last {@link StateBuffer.take}; see the module comment. */
export class StateBuffer {
  readonly #limits: StateBufferLimits;
  /** Latest write per key, one map per space (keys as binary strings: one char per byte). */
  readonly #data = new Map<string, StateWrite>();
  readonly #sessions = new Map<string, StateWrite>();
  #applied: Slot | undefined;
  #sinceMs = 0;

  constructor(limits: StateBufferLimits = STATE_BUFFER_LIMITS) {
    this.#limits = limits;
  }

  /** The limits it was made with. */
  get limits(): StateBufferLimits {
    return this.#limits;
  }

  /** Records held now. */
  get size(): number {
    return this.#data.size + this.#sessions.size;
  }

  /** The writes of slots applied through `applied`, in apply order. */
  add(writes: readonly StateWrite[], applied: Slot, nowMs: number): void {
    if (this.#applied === undefined) this.#sinceMs = nowMs;
    for (const w of writes)
      (w.space === 'data' ? this.#data : this.#sessions).set(mapKey(w.key), w);
    this.#applied = applied;
  }

  /** Whether a limit is reached. */
  due(nowMs: number): boolean {
    if (this.#applied === undefined) return false;
    return this.size >= this.#limits.records || nowMs - this.#sinceMs >= this.#limits.ms;
  }

  /** Everything held, emptied; undefined when nothing was added since the last take. */
  take(): { stateWrites: StateWrite[]; applied: Slot } | undefined {
    const applied = this.#applied;
    if (applied === undefined) return undefined;
    // Order between distinct records does not matter: the bundle is one atomic write.
    const stateWrites = [...this.#data.values(), ...this.#sessions.values()];
    this.#data.clear();
    this.#sessions.clear();
    this.#applied = undefined;
    return { stateWrites, applied };
  }

  /** Drops everything held (the KV records were replaced by a snapshot beyond it). */
  clear(): void {
    this.#data.clear();
    this.#sessions.clear();
    this.#applied = undefined;
  }
}

/** Short keys (the usual ones) through one `fromCharCode` call, long ones through a Buffer. */
const SHORT_KEY_BYTES = 1024;

/** `key` as a binary string: one char per byte, so distinct keys give distinct strings. */
function mapKey(key: Uint8Array): string {
  if (key.byteLength <= SHORT_KEY_BYTES)
    return String.fromCharCode.apply(null, key as unknown as number[]);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

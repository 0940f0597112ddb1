/**
 * The slots present in the log, durable or queued, so that a truncation deletes exactly
 * those entry keys (the binding has no `DeleteRange` inside a batch).
 *
 * Invariant: a slot is in the set exactly when an earlier-built batch of this store puts its
 * entry and no later-built batch deletes it. Slots are added and removed while batches are
 * built, in queue order, so the set matches what the database holds once those batches land.
 */
import { entryKey } from './key-layout.js';
import type { RocksBatch } from './rocksdb-binding.js';

/** The log's slot set of one store (see the module comment). */
export class LogSlots {
  readonly #slots: Set<number>;

  constructor(slots: Iterable<number>) {
    this.#slots = new Set(slots);
  }

  /** Records that `batch` (being built) puts the entry of `slot`. */
  add(slot: number): void {
    this.#slots.add(slot);
  }

  /** Adds to `batch` a delete of every log entry below `below`. */
  deleteBelow(batch: RocksBatch, below: number): void {
    for (const slot of this.#slots) {
      if (slot < below) {
        batch.del(entryKey(slot));
        this.#slots.delete(slot);
      }
    }
  }
}

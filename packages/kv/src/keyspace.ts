/**
 * The key-value data of the state machine: entries by key, and the keys in byte order for
 * ranges. Keys are held as binary strings (one UTF-16 code unit per byte), which JavaScript
 * compares in byte order.
 */
import { assert } from './assert.js';
import type { Entry } from './records.js';

/** Index of the first element of sorted `arr` that is >= `x`. */
function lowerBound(arr: readonly string[], x: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] ?? '') < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Entries by key plus the sorted key list.
 *
 * Invariant: `sorted` holds exactly the keys of `entries`, in increasing order.
 */
export class Keyspace {
  private readonly entries = new Map<string, Entry>();
  private sorted: string[] = [];

  /** Number of keys present. */
  get size(): number {
    return this.entries.size;
  }

  /** The entry of `k`, if present. */
  get(k: string): Entry | undefined {
    return this.entries.get(k);
  }

  /** Stores `e` at `k` (inserting `k` in order when new). */
  set(k: string, e: Entry): void {
    if (!this.entries.has(k)) this.sorted.splice(lowerBound(this.sorted, k), 0, k);
    this.entries.set(k, e);
  }

  /** Removes `k`, which must be present. */
  remove(k: string): void {
    assert(this.entries.delete(k), 'removed key is present');
    const i = lowerBound(this.sorted, k);
    assert(this.sorted[i] === k, 'sorted keys track entries');
    this.sorted.splice(i, 1);
  }

  /** Loads entries at once (restore), sorting the keys once. */
  load(list: Iterable<readonly [string, Entry]>): void {
    for (const [k, e] of list) this.entries.set(k, e);
    this.sorted = [...this.entries.keys()].sort();
  }

  /** Up to `limit` keys starting with `prefix`, in order; `more` when some were left out. */
  range(prefix: string, limit: number): { keys: string[]; more: boolean } {
    const keys: string[] = [];
    for (let i = lowerBound(this.sorted, prefix); i < this.sorted.length; i++) {
      const k = this.sorted[i] ?? '';
      if (!k.startsWith(prefix)) break;
      if (keys.length === limit) return { keys, more: true };
      keys.push(k);
    }
    return { keys, more: false };
  }

  /** Every key with its entry, in key order. */
  *inOrder(): Generator<readonly [string, Entry]> {
    for (const k of this.sorted) {
      const e = this.entries.get(k);
      assert(e !== undefined, 'sorted keys track entries');
      yield [k, e];
    }
  }
}

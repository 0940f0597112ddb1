/**
 * A binary min-heap of (time, id) pairs, ordered by time then id, so equal deadlines come out
 * in id order on every replica and in every run. Entries are never updated in place: a caller
 * pushes a new pair and skips stale ones when they surface (lazy deletion).
 */

/** One scheduled wake-up. */
export interface Deadline {
  readonly atMs: number;
  readonly id: number;
}

function less(a: Deadline, b: Deadline): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.id < b.id);
}

/** Min-heap of deadlines. */
export class DeadlineHeap {
  private items: Deadline[] = [];

  /** Number of entries, stale ones included. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an entry. */
  push(d: Deadline): void {
    const a = this.items;
    a.push(d);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ai = a[i] as Deadline;
      const ap = a[p] as Deadline;
      if (!less(ai, ap)) break;
      a[i] = ap;
      a[p] = ai;
      i = p;
    }
  }

  /** The smallest entry, without removing it. */
  peek(): Deadline | undefined {
    return this.items[0];
  }

  /** Removes and returns the smallest entry. */
  pop(): Deadline | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && less(a[l] as Deadline, a[m] as Deadline)) m = l;
      if (r < a.length && less(a[r] as Deadline, a[m] as Deadline)) m = r;
      if (m === i) break;
      const ai = a[i] as Deadline;
      a[i] = a[m] as Deadline;
      a[m] = ai;
      i = m;
    }
    return top;
  }

  /** Removes every entry. */
  clear(): void {
    this.items = [];
  }
}

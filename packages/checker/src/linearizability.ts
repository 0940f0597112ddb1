/**
 * Linearizability checking, Porcupine-style (Athalye, github.com/anishathalye/porcupine):
 * split the history into independent partitions (per key), and search each with Wing &
 * Gong's backtracking (J. Wing, C. Gong, "Testing and verifying concurrent objects", 1993)
 * improved by Lowe's memoization of (set of operations linearized so far, model state)
 * (G. Lowe, "Testing for linearizability", 2017).
 *
 * The search walks a doubly linked list of call and return events in time order. At a call
 * whose operation fits the model, it linearizes it (removes the call and its return from the
 * list) and restarts from the head; at a return it cannot pass, it backtracks. A configuration
 * already seen (same set, equal state) is pruned. Operations that never returned get a return
 * at infinity, so they may take effect anywhere after their call, or (equivalently) at the
 * very end, where nothing observes them.
 *
 * The search is exponential in the worst case; a time budget turns it into `unknown` rather
 * than a guess. The core does no I/O: the clock is injected.
 */
import type { Operation } from './history.js';
import type { Model } from './model.js';

/** The answer: only `linearizable` and `not-linearizable` are verdicts. */
export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

/** Options of {@link checkLinearizability}. */
export interface CheckOptions {
  /** Give up with `unknown` after this long (measured with `now`). Absent: no limit. */
  readonly timeBudgetMs?: number;
  /** Monotonic clock in milliseconds; required with `timeBudgetMs`. */
  readonly now?: () => number;
}

/**
 * Evidence for a `not-linearizable` verdict: the partition with no linearization and the
 * longest prefix of it the search could linearize (the next operation to look at is among
 * those left out).
 */
export interface Counterexample<I, O> {
  readonly operations: readonly Operation<I, O>[];
  readonly longestLinearizable: readonly Operation<I, O>[];
}

/** What the checker found. */
export interface CheckResult<I = unknown, O = unknown> {
  readonly verdict: Verdict;
  /** Number of independent partitions searched. */
  readonly partitions: number;
  /** Operations in the history. */
  readonly operations: number;
  /** Index (into the model's partition list) of a partition with no linearization. */
  readonly failedPartition: number | undefined;
  /** Present with `not-linearizable`. */
  readonly counterexample: Counterexample<I, O> | undefined;
  /** Search steps taken (linearization attempts), a machine-independent cost measure. */
  readonly steps: number;
}

interface Budget {
  readonly deadline: number;
  readonly now: (() => number) | undefined;
  steps: number;
}

class Bitset {
  readonly words: Uint32Array;
  constructor(n: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(n / 32)));
  }
  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) | (1 << (i & 31));
  }
  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) & ~(1 << (i & 31));
  }
  hash(): number {
    // MurmurHash3-style mixing, so every bit of every word reaches every bit of the hash.
    let h = 0x811c9dc5;
    for (let i = 0; i < this.words.length; i++) {
      let k = Math.imul(this.words[i] ?? 0, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h ^= k;
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
  }
  equalsWords(other: Uint32Array): boolean {
    for (let i = 0; i < this.words.length; i++) if (this.words[i] !== other[i]) return false;
    return true;
  }
}

/**
 * Lowe's cache of visited configurations: (set of linearized operations, state). Bitsets live
 * back to back in one growing typed array, so millions of entries cost no per-entry objects
 * besides the state.
 */
class ConfigCache<S> {
  private pool: Uint32Array;
  private readonly width: number;
  private count = 0;
  private readonly states: S[] = [];
  /** hash -> entry index, or an array of them on collisions. */
  private readonly buckets = new Map<number, number | number[]>();

  constructor(width: number) {
    this.width = width;
    this.pool = new Uint32Array(width * 1024);
  }

  private matches(
    entry: number,
    words: Uint32Array,
    state: S,
    equal: (a: S, b: S) => boolean,
  ): boolean {
    const base = entry * this.width;
    for (let i = 0; i < this.width; i++) if (this.pool[base + i] !== words[i]) return false;
    return equal(this.states[entry] as S, state);
  }

  /** Adds the configuration unless an equal one is there; returns whether it was added. */
  add(hash: number, words: Uint32Array, state: S, equal: (a: S, b: S) => boolean): boolean {
    const b = this.buckets.get(hash);
    if (b !== undefined) {
      if (typeof b === 'number') {
        if (this.matches(b, words, state, equal)) return false;
      } else {
        for (const e of b) if (this.matches(e, words, state, equal)) return false;
      }
    }
    const entry = this.count++;
    if (entry * this.width + this.width > this.pool.length) {
      const next = new Uint32Array(this.pool.length * 2);
      next.set(this.pool);
      this.pool = next;
    }
    this.pool.set(words, entry * this.width);
    this.states.push(state);
    if (b === undefined) this.buckets.set(hash, entry);
    else if (typeof b === 'number') this.buckets.set(hash, [b, entry]);
    else b.push(entry);
    return true;
  }
}

/**
 * Searches one partition: whether a linearization exists, or `out-of-time` when the budget
 * runs out first.
 */
function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  budget: Budget,
  longest: number[],
): boolean | 'out-of-time' {
  const n = ops.length;
  if (n === 0) return true;
  // Events sorted by time; at equal times calls come first (concurrent).
  const events: { time: number; isCall: boolean; op: number }[] = [];
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (op === undefined) continue;
    events.push({ time: op.call, isCall: true, op: i });
    events.push({ time: op.return ?? Number.POSITIVE_INFINITY, isCall: false, op: i });
  }
  events.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1),
  );
  // Node 0 is the head; node k (1..2n) is events[k-1]; -1 is nil.
  const size = events.length + 1;
  const next = new Int32Array(size);
  const prev = new Int32Array(size);
  const match = new Int32Array(size).fill(-1); // call node -> its return node
  const opOf = new Int32Array(size).fill(-1);
  const returnNode = new Int32Array(n);
  for (let k = 0; k < size; k++) {
    next[k] = k + 1 < size ? k + 1 : -1;
    prev[k] = k - 1;
  }
  for (let k = 1; k < size; k++) {
    const e = events[k - 1];
    if (e === undefined) continue;
    opOf[k] = e.op;
    if (!e.isCall) returnNode[e.op] = k;
  }
  for (let k = 1; k < size; k++) {
    const e = events[k - 1];
    if (e?.isCall) match[k] = returnNode[e.op] ?? -1;
  }
  const get = (a: Int32Array, i: number): number => a[i] ?? -1;
  const lift = (call: number): void => {
    next[get(prev, call)] = get(next, call);
    prev[get(next, call)] = get(prev, call); // a call is always followed by its return
    const r = get(match, call);
    next[get(prev, r)] = get(next, r);
    const rn = get(next, r);
    if (rn !== -1) prev[rn] = get(prev, r);
  };
  const unlift = (call: number): void => {
    const r = get(match, call);
    next[get(prev, r)] = r;
    const rn = get(next, r);
    if (rn !== -1) prev[rn] = r;
    next[get(prev, call)] = call;
    prev[get(next, call)] = call;
  };

  const linearized = new Bitset(n);
  const cache = new ConfigCache<S>(linearized.words.length);
  const equal = model.equal.bind(model);
  const stackNode: number[] = [];
  const stackState: S[] = [];
  let state = model.init();
  let entry = get(next, 0);
  while (get(next, 0) !== -1) {
    if (
      (++budget.steps & 1023) === 0 &&
      budget.now !== undefined &&
      budget.now() > budget.deadline
    ) {
      return 'out-of-time';
    }
    const m = get(match, entry);
    if (m !== -1) {
      const op = ops[get(opOf, entry)];
      if (op === undefined) throw new Error('assertion failed: event without operation');
      const res = model.step(state, op.input, op.output);
      if (res.ok) {
        const id = get(opOf, entry);
        linearized.set(id);
        const h =
          model.hash === undefined
            ? linearized.hash()
            : (linearized.hash() ^ model.hash(res.state)) >>> 0;
        if (cache.add(h, linearized.words, res.state, equal)) {
          stackNode.push(entry);
          if (stackNode.length > longest.length) {
            longest.length = 0;
            for (const node of stackNode) longest.push(get(opOf, node));
          }
          stackState.push(state);
          state = res.state;
          lift(entry);
          entry = get(next, 0);
        } else {
          linearized.clear(id);
          entry = get(next, entry);
        }
      } else {
        entry = get(next, entry);
      }
    } else {
      // A return event: its operation must be linearized before we can go past it.
      const top = stackNode.pop();
      if (top === undefined) return false;
      state = stackState.pop() as S;
      linearized.clear(get(opOf, top));
      unlift(top);
      entry = get(next, top);
    }
  }
  return true;
}

/**
 * Checks whether `operations` are linearizable with respect to `model`. Partitions are
 * searched one after another (smallest first) under one shared budget; the first partition
 * without a linearization makes the verdict `not-linearizable`.
 */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  operations: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const { timeBudgetMs, now } = options;
  if (timeBudgetMs !== undefined && now === undefined) {
    throw new Error('assertion failed: timeBudgetMs needs an injected clock (now)');
  }
  const budget: Budget = {
    deadline:
      timeBudgetMs !== undefined && now !== undefined
        ? now() + timeBudgetMs
        : Number.POSITIVE_INFINITY,
    now: timeBudgetMs !== undefined ? now : undefined,
    steps: 0,
  };
  for (const [i, op] of operations.entries()) {
    if (!Number.isFinite(op.call) || (op.return !== undefined && !(op.return >= op.call))) {
      throw new Error(
        `assertion failed: operation ${i} has call ${op.call} and return ${op.return}`,
      );
    }
  }
  const parts = model.partition ? model.partition(operations) : [operations.slice()];
  const base = { partitions: parts.length, operations: operations.length };
  // Smallest partitions first: a violation in a small one is found before a large one can
  // use up the budget.
  const order = parts
    .map((_, i) => i)
    .sort((a, b) => (parts[a]?.length ?? 0) - (parts[b]?.length ?? 0) || a - b);
  for (const p of order) {
    const part = parts[p] ?? [];
    const longest: number[] = [];
    const found = checkPartition(model, part, budget, longest);
    if (found === 'out-of-time') {
      return {
        ...base,
        verdict: 'unknown',
        failedPartition: undefined,
        counterexample: undefined,
        steps: budget.steps,
      };
    }
    if (!found) {
      const longestLinearizable = longest.map((i) => part[i]).filter((o) => o !== undefined);
      return {
        ...base,
        verdict: 'not-linearizable',
        failedPartition: p,
        counterexample: { operations: part, longestLinearizable },
        steps: budget.steps,
      };
    }
  }
  return {
    ...base,
    verdict: 'linearizable',
    failedPartition: undefined,
    counterexample: undefined,
    steps: budget.steps,
  };
}

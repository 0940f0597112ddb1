/**
 * Checks what one watcher received against the change log the replicas applied: from its
 * start revision on, every change to a watched key exactly once, in log order, with nothing
 * missing in between (no gap, no duplicate, no reorder), and no progress notification that
 * claims a revision before everything up to it arrived.
 *
 * Pure: the simulator or an end-to-end test records the applied change log (the state
 * machine's events, in apply order) and each watcher's deliveries, then calls
 * {@link checkWatchDelivery}.
 */

/** One change, as the log and the watcher report it (keys and values as strings). */
export interface WatchEventRecord {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The revision (slot) of the change. */
  readonly revision: number;
  /** The key's version after the change (0 for a delete). */
  readonly version: number;
  /** The value written (absent or empty for a delete). */
  readonly value?: string;
}

/** What the watcher watched. */
export interface WatchedRange {
  /** A key, or a prefix when `prefix` (an empty prefix is every key). */
  readonly key: string;
  readonly prefix: boolean;
  /** The first revision it asked for. */
  readonly startRevision: number;
}

/** One thing the watcher received, in order. */
export type WatchDelivery =
  | { readonly kind: 'event'; readonly event: WatchEventRecord }
  | { readonly kind: 'progress'; readonly revision: number };

/** A way the deliveries differ from the log. */
export type WatchProblem =
  /** `missing` was never delivered although a later change (at `index`) was, or the watch ended. */
  | { readonly kind: 'gap'; readonly index: number; readonly missing: WatchEventRecord }
  /** `event` (at `index`) was delivered before `expected`, which came later. */
  | {
      readonly kind: 'reorder';
      readonly index: number;
      readonly event: WatchEventRecord;
      readonly expected: WatchEventRecord;
    }
  /** `event` (at `index`) was delivered a second time. */
  | { readonly kind: 'duplicate'; readonly index: number; readonly event: WatchEventRecord }
  /** `event` (at `index`) is not a change of the log this watcher should see. */
  | { readonly kind: 'unexpected'; readonly index: number; readonly event: WatchEventRecord }
  /** A progress notification for `revision` (at `index`) came before `missing` (no later). */
  | {
      readonly kind: 'early-progress';
      readonly index: number;
      readonly revision: number;
      readonly missing: WatchEventRecord;
    };

/** The verdict. */
export interface WatchCheckResult {
  readonly ok: boolean;
  readonly problems: readonly WatchProblem[];
  /** Changes of the log the watcher should see from its start (up to the log's end). */
  readonly expected: number;
  /** Expected changes delivered in order. */
  readonly delivered: number;
}

/** Options of {@link checkWatchDelivery}. */
export interface WatchCheckOptions {
  /**
   * Every expected change up to this revision must have arrived (the watcher ran that far,
   * say because it later saw a higher revision or a progress notification). Absent: the
   * deliveries may stop anywhere, as long as what arrived is a gapless prefix.
   */
  readonly throughRevision?: number;
}

function identity(e: WatchEventRecord): string {
  return `${e.revision}\u0000${e.type}\u0000${e.key}\u0000${e.version}\u0000${e.value ?? ''}`;
}

function watches(w: WatchedRange, e: WatchEventRecord): boolean {
  return e.revision >= w.startRevision && (w.prefix ? e.key.startsWith(w.key) : e.key === w.key);
}

/**
 * Compares a watcher's deliveries with the applied change log. Changes are told apart by
 * (revision, type, key, version, value); identical changes (a transaction writing the same
 * value to a key twice) are matched by occurrence.
 */
export function checkWatchDelivery(
  log: readonly WatchEventRecord[],
  watched: WatchedRange,
  received: readonly WatchDelivery[],
  options: WatchCheckOptions = {},
): WatchCheckResult {
  const expected = log.filter((e) => watches(watched, e));
  // identity -> the positions in `expected` with it, in order
  const positions = new Map<string, number[]>();
  expected.forEach((e, i) => {
    const id = identity(e);
    const list = positions.get(id);
    if (list === undefined) positions.set(id, [i]);
    else list.push(i);
  });
  const used = new Map<string, number>();
  const arrived = new Uint8Array(expected.length);
  // Positions each received event maps to (-1: none), to tell a reorder from a gap.
  const mapped: number[] = received.map((d) => {
    if (d.kind !== 'event') return -1;
    const id = identity(d.event);
    const n = used.get(id) ?? 0;
    used.set(id, n + 1);
    return positions.get(id)?.[n] ?? -1;
  });
  const later = new Set<number>();
  for (const j of mapped) if (j >= 0) later.add(j);

  const problems: WatchProblem[] = [];
  const reported = new Set<number>();
  let next = 0; // first expected position not yet accounted for
  let delivered = 0;
  received.forEach((d, index) => {
    if (d.kind === 'progress') {
      while (next < expected.length && arrived[next] === 1) next++;
      const missing = expected[next];
      if (missing !== undefined && missing.revision <= d.revision)
        problems.push({ kind: 'early-progress', index, revision: d.revision, missing });
      return;
    }
    const j = mapped[index] ?? -1;
    if (j < 0) {
      const id = identity(d.event);
      const known = positions.has(id);
      problems.push({ kind: known ? 'duplicate' : 'unexpected', index, event: d.event });
      return;
    }
    arrived[j] = 1;
    while (next < j) {
      if (arrived[next] === 0 && !reported.has(next)) {
        const missing = expected[next] as WatchEventRecord;
        reported.add(next);
        // Delivered later: out of order; never delivered: dropped.
        if (later.has(next))
          problems.push({ kind: 'reorder', index, event: d.event, expected: missing });
        else problems.push({ kind: 'gap', index, missing });
      }
      next++;
    }
    if (j === next) {
      next++;
      if (!reported.has(j)) delivered++;
    }
  });
  const through = options.throughRevision;
  if (through !== undefined) {
    expected.forEach((e, i) => {
      if (e.revision <= through && arrived[i] === 0 && !reported.has(i)) {
        reported.add(i);
        problems.push({ kind: 'gap', index: received.length, missing: e });
      }
    });
  }
  return { ok: problems.length === 0, problems, expected: expected.length, delivered };
}

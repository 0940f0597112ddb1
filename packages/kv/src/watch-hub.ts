/**
 * The watch hub: a bounded history of recent change events by revision, and watchers on a key
 * or a prefix that receive those events from a start revision on, in revision order, each
 * exactly once, without gaps (etcd's `watchable_store.go`, minus MVCC: the history here is the
 * only store of past events).
 *
 * Pure: no timers, no I/O. The host calls `publish` after applying each slot (every slot, empty
 * ones included), `take` when it can send a watcher more, and `requestProgress` when a client
 * asks where its watch stands.
 *
 * Resumption is exact because a revision (a slot) is never split: every output carries all of
 * one revision's matching events (one slot can hold many commands, each with several events),
 * so a client that saw revision R completely resumes with `startRevision = R + 1`.
 *
 * Memory: the history holds each event once. A watcher that is catching up ("unsynced") holds
 * only a cursor and reads from the history; one that is caught up ("synced") queues references
 * to the new events that match it, bounded by `watcherQueueEventsMax` / `watcherQueueBytesMax`.
 * A synced watcher that would go over its bound is cancelled (`slow`) and its queue dropped; it
 * may resume from `resumeRevision` (served from the history while the history still has it).
 * One revision's events are always accepted into an empty queue, so a consumer that keeps up is
 * never cancelled however large a slot is. An unsynced watcher whose next revision drops out of
 * the history is cancelled (`compacted`).
 */
import { assert } from './assert.js';
import { bytesToBinaryString } from './bytes.js';
import type { KvEvent } from './events.js';
import type { KvConfigProblem } from './kv-config.js';
import { positiveIntegerProblem, throwIfKvConfigProblems } from './kv-config.js';
import { KEY_BYTES_MAX } from './limits.js';

/** A watcher's id, assigned by the hub (local to one node, not replicated). */
export type WatchId = number & { readonly __brand: 'WatchId' };

/** Bounds of a {@link WatchHub}. */
export interface WatchHubConfig {
  /** Most events the history keeps (whole revisions are dropped from the oldest end). */
  readonly historyEventsMax: number;
  /** Most event bytes (keys and values) the history keeps. */
  readonly historyBytesMax: number;
  /** Most live watchers; more get `limit-exceeded`. */
  readonly watchersMax: number;
  /** Most undelivered events a caught-up watcher may queue before it is cancelled as slow. */
  readonly watcherQueueEventsMax: number;
  /** Most undelivered event bytes a caught-up watcher may queue before it is cancelled. */
  readonly watcherQueueBytesMax: number;
}

/** Defaults: 100,000 events / 64 MiB of history, 10,000 watchers, 10,000 events / 16 MiB each. */
export const DEFAULT_WATCH_HUB_CONFIG: WatchHubConfig = {
  historyEventsMax: 100_000,
  historyBytesMax: 64 * 1024 * 1024,
  watchersMax: 10_000,
  watcherQueueEventsMax: 10_000,
  watcherQueueBytesMax: 16 * 1024 * 1024,
};

/** Every problem with a hub config, each naming the field and the rule. */
export function validateWatchHubConfig(config: WatchHubConfig): KvConfigProblem[] {
  return Object.entries(config)
    .map(([field, v]) => positiveIntegerProblem(field, v))
    .filter((p): p is KvConfigProblem => p !== undefined);
}

/** What to watch. */
export interface WatchSpec {
  /** The key, or the prefix when `prefix` (an empty prefix watches every key). */
  readonly key: Uint8Array;
  readonly prefix: boolean;
  /** First revision to deliver; default: the next one applied (only changes from now on). */
  readonly startRevision?: number;
  /** Whether events carry the previous key/value (`KvEvent.prev`); default false. */
  readonly prevKv?: boolean;
}

/** The answer to {@link WatchHub.watch}. */
export type WatchCreateResult =
  | { readonly kind: 'created'; readonly watchId: WatchId; readonly startRevision: number }
  /** `startRevision` is older than the history: the oldest revision still available. */
  | { readonly kind: 'compacted'; readonly compactRevision: number }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'limit-exceeded'; readonly message: string };

/** Why the hub cancelled a watcher. */
export type WatchCancelReason =
  /** Its queue went over its bound: the consumer did not keep up. */
  | 'slow'
  /** The history dropped revisions it still needed. */
  | 'compacted'
  /** The host replaced the state (a snapshot was installed): history is gone. */
  | 'reset';

/** What a watcher receives, in order. */
export type WatchOutput =
  /** Every matching event of one revision, in apply order. */
  | { readonly kind: 'events'; readonly revision: number; readonly events: readonly KvEvent[] }
  /** Every event up to `revision` (the applied revision) has been delivered. */
  | { readonly kind: 'progress'; readonly revision: number }
  /**
   * The last output of a cancelled watcher. Everything before `resumeRevision` was delivered;
   * watch again from it to continue (the history may or may not still hold it).
   */
  | {
      readonly kind: 'cancelled';
      readonly reason: WatchCancelReason;
      readonly message: string;
      readonly resumeRevision: number;
    };

interface Batch {
  readonly revision: number;
  readonly events: readonly KvEvent[];
  /** Binary-string keys of `events`, for matching. */
  readonly keys: readonly string[];
  readonly sizes: readonly number[];
  readonly bytes: number;
}

interface Watcher {
  readonly id: WatchId;
  readonly key: string;
  readonly prefix: boolean;
  readonly prevKv: boolean;
  /** Every revision below `next` has been delivered (or had nothing for this watcher). */
  next: number;
  /** Caught up: `queue` holds everything from `next` on. Else the history does. */
  synced: boolean;
  queue: { revision: number; events: KvEvent[]; bytes: number }[];
  queuedEvents: number;
  queuedBytes: number;
  progressWanted: boolean;
  cancelled: WatchOutput | undefined;
}

/** Bytes an event accounts for: keys, values, and a fixed overhead. */
function eventBytes(e: KvEvent): number {
  return 64 + e.kv.key.length + e.kv.value.length + (e.prev?.value.length ?? 0);
}

/**
 * Watchers and the event history of one node.
 *
 * Invariant: `history` from `historyHead` on holds, in increasing revision order, every
 * non-empty revision from `historyStart` to `applied` (entries before `historyHead` are
 * dropped); every live watcher has `next >= historyStart` unless it is
 * synced (its queue holds what it needs) or cancelled.
 */
export class WatchHub {
  private readonly config: WatchHubConfig;
  private appliedRevision: number;
  private historyStart: number;
  /** Batches from `historyHead` on are live; the dropped prefix is cut off now and then. */
  private history: (Batch | undefined)[] = [];
  private historyHead = 0;
  private historyEvents = 0;
  private historyBytes = 0;
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 1;

  /** An empty hub whose state is at `appliedRevision`. Throws listing every config problem. */
  constructor(appliedRevision: number, config: Partial<WatchHubConfig> = {}) {
    assert(Number.isSafeInteger(appliedRevision) && appliedRevision >= 0, 'applied revision');
    const full = { ...DEFAULT_WATCH_HUB_CONFIG, ...config };
    throwIfKvConfigProblems('WatchHubConfig', validateWatchHubConfig(full));
    this.config = full;
    this.appliedRevision = appliedRevision;
    this.historyStart = appliedRevision + 1;
  }

  /** The last revision published. */
  get applied(): number {
    return this.appliedRevision;
  }

  /** The oldest revision a new watcher may start from. */
  get oldestRevision(): number {
    return this.historyStart;
  }

  /** Number of live watchers (cancelled ones count until their cancellation is taken). */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Number of events in the history. */
  get historyEventCount(): number {
    return this.historyEvents;
  }

  /** Registers a watcher; events from `startRevision` on become available through `take`. */
  watch(spec: WatchSpec): WatchCreateResult {
    if (spec.key.length > KEY_BYTES_MAX)
      return { kind: 'invalid', message: `key: exceeds KEY_BYTES_MAX (${KEY_BYTES_MAX})` };
    if (!spec.prefix && spec.key.length === 0)
      return { kind: 'invalid', message: 'key: must not be empty (use prefix for every key)' };
    const start = spec.startRevision ?? this.appliedRevision + 1;
    if (!Number.isSafeInteger(start) || start < 1)
      return { kind: 'invalid', message: 'startRevision: must be a positive safe integer' };
    if (this.watchers.size >= this.config.watchersMax) {
      return {
        kind: 'limit-exceeded',
        message: `${this.watchers.size} watchers, the most watchersMax (${this.config.watchersMax}) allows`,
      };
    }
    if (start < this.historyStart) return { kind: 'compacted', compactRevision: this.historyStart };
    const id = this.nextId++ as WatchId;
    this.watchers.set(id, {
      id,
      key: bytesToBinaryString(spec.key),
      prefix: spec.prefix,
      prevKv: spec.prevKv ?? false,
      next: start,
      synced: start > this.appliedRevision,
      queue: [],
      queuedEvents: 0,
      queuedBytes: 0,
      progressWanted: false,
      cancelled: undefined,
    });
    return { kind: 'created', watchId: id, startRevision: start };
  }

  /**
   * Whether watcher `id` was cancelled by the hub and its cancellation waits to be taken (a
   * host that paces `take` still takes such a watcher at once).
   */
  isCancelled(id: WatchId): boolean {
    return this.watchers.get(id)?.cancelled !== undefined;
  }

  /** Removes a watcher (the client cancelled or went away); false if it was not live. */
  cancel(id: WatchId): boolean {
    return this.watchers.delete(id);
  }

  /** Asks for a progress notification for one watcher, or for all when `id` is omitted. */
  requestProgress(id?: WatchId): void {
    if (id === undefined) for (const w of this.watchers.values()) w.progressWanted = true;
    else {
      const w = this.watchers.get(id);
      if (w !== undefined) w.progressWanted = true;
    }
  }

  /**
   * Adds the events of `revision`, which must be the next revision (publish every applied
   * slot, empty ones included: a skipped slot would be a silent gap).
   */
  publish(revision: number, events: readonly KvEvent[]): void {
    assert(
      revision === this.appliedRevision + 1,
      `publish(${revision}) after ${this.appliedRevision}: every revision is published once, in order`,
    );
    this.appliedRevision = revision;
    if (events.length === 0) return;
    const keys: string[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    for (const e of events) {
      assert(
        e.kv.revision === revision,
        `event of revision ${e.kv.revision} published at ${revision}`,
      );
      keys.push(bytesToBinaryString(e.kv.key));
      const n = eventBytes(e);
      sizes.push(n);
      bytes += n;
    }
    const batch: Batch = { revision, events, keys, sizes, bytes };
    this.history.push(batch);
    this.historyEvents += events.length;
    this.historyBytes += bytes;
    for (const w of this.watchers.values()) {
      if (!w.synced || w.cancelled !== undefined || revision < w.next) continue;
      const m = this.match(w, batch);
      if (m === undefined) continue;
      if (
        w.queue.length > 0 &&
        (w.queuedEvents + m.events.length > this.config.watcherQueueEventsMax ||
          w.queuedBytes + m.bytes > this.config.watcherQueueBytesMax)
      ) {
        this.cancelWith(
          w,
          'slow',
          `more than watcherQueueEventsMax (${this.config.watcherQueueEventsMax}) events or ` +
            `watcherQueueBytesMax (${this.config.watcherQueueBytesMax}) bytes undelivered`,
        );
        continue;
      }
      w.queue.push({ revision, ...m });
      w.queuedEvents += m.events.length;
      w.queuedBytes += m.bytes;
    }
    this.trim();
  }

  /** Drops whole revisions from the oldest end while over a bound (the newest one stays). */
  private trim(): void {
    const head = this.historyHead;
    while (
      this.history.length - this.historyHead > 1 &&
      (this.historyEvents > this.config.historyEventsMax ||
        this.historyBytes > this.config.historyBytesMax)
    ) {
      const b = this.history[this.historyHead];
      assert(b !== undefined, 'history batch');
      this.history[this.historyHead++] = undefined; // let it be collected
      this.historyEvents -= b.events.length;
      this.historyBytes -= b.bytes;
      this.historyStart = b.revision + 1;
    }
    if (this.historyHead === head) return;
    // Cut the dropped prefix off once it is most of the array (amortized O(1) per batch).
    if (this.historyHead > 64 && this.historyHead * 2 > this.history.length) {
      this.history = this.history.slice(this.historyHead);
      this.historyHead = 0;
    }
    for (const w of this.watchers.values()) {
      if (!w.synced && w.cancelled === undefined && w.next < this.historyStart) {
        this.cancelWith(
          w,
          'compacted',
          `revision ${w.next} left the history (oldest now ${this.historyStart})`,
        );
      }
    }
  }

  private cancelWith(w: Watcher, reason: WatchCancelReason, message: string): void {
    w.cancelled = { kind: 'cancelled', reason, message, resumeRevision: w.next };
    w.queue = [];
    w.queuedEvents = 0;
    w.queuedBytes = 0;
  }

  /** The events of `b` that `w` watches (without `prev` unless asked), or undefined if none. */
  private match(w: Watcher, b: Batch): { events: KvEvent[]; bytes: number } | undefined {
    let events: KvEvent[] | undefined;
    let bytes = 0;
    for (let i = 0; i < b.events.length; i++) {
      const k = b.keys[i] ?? '';
      if (w.prefix ? !k.startsWith(w.key) : k !== w.key) continue;
      const e = b.events[i] as KvEvent;
      (events ??= []).push(w.prevKv || e.prev === undefined ? e : { ...e, prev: undefined });
      bytes += b.sizes[i] ?? 0;
    }
    return events === undefined ? undefined : { events, bytes };
  }

  /** Index of the first history batch with revision >= `revision`. */
  private historyIndex(revision: number): number {
    let lo = this.historyHead;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.history[mid]?.revision ?? 0) < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * What watcher `id` has to receive now, in order: whole revisions (at least one when any is
   * pending, then more while the total stays within `maxEvents`), then a progress notification
   * if one was asked for and the watcher is caught up. A cancelled watcher gets its
   * cancellation and is removed. Empty for an unknown id.
   */
  take(id: WatchId, maxEvents: number = Number.POSITIVE_INFINITY): WatchOutput[] {
    const w = this.watchers.get(id);
    if (w === undefined) return [];
    if (w.cancelled !== undefined) {
      this.watchers.delete(id);
      return [w.cancelled];
    }
    const out: WatchOutput[] = [];
    let count = 0;
    if (!w.synced) {
      let i = this.historyIndex(w.next);
      for (; i < this.history.length; i++) {
        const b = this.history[i];
        assert(b !== undefined, 'live history batch');
        const m = this.match(w, b);
        if (m !== undefined) {
          if (count > 0 && count + m.events.length > maxEvents) break;
          out.push({ kind: 'events', revision: b.revision, events: m.events });
          count += m.events.length;
        }
        w.next = b.revision + 1;
      }
      if (i === this.history.length) {
        w.next = this.appliedRevision + 1;
        w.synced = true;
      }
    } else {
      while (w.queue.length > 0) {
        const q = w.queue[0];
        assert(q !== undefined, 'queued batch');
        if (count > 0 && count + q.events.length > maxEvents) break;
        w.queue.shift();
        w.queuedEvents -= q.events.length;
        w.queuedBytes -= q.bytes;
        out.push({ kind: 'events', revision: q.revision, events: q.events });
        count += q.events.length;
        w.next = q.revision + 1;
      }
      if (w.queue.length === 0) w.next = Math.max(w.next, this.appliedRevision + 1);
    }
    if (w.progressWanted && w.synced && w.queue.length === 0) {
      w.progressWanted = false;
      out.push({ kind: 'progress', revision: this.appliedRevision });
    }
    return out;
  }

  /** Ids of the watchers `take` has something for (ascending). */
  ready(): WatchId[] {
    const out: WatchId[] = [];
    for (const w of this.watchers.values()) {
      if (w.cancelled !== undefined || !w.synced || w.queue.length > 0 || w.progressWanted)
        out.push(w.id);
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * The host replaced the state wholesale at `revision` (it installed a snapshot): the
   * history no longer connects to the state, so every watcher is cancelled (`reset`) and the
   * history restarts after `revision`.
   */
  reset(revision: number): void {
    assert(Number.isSafeInteger(revision) && revision >= 0, 'reset revision');
    for (const w of this.watchers.values()) {
      if (w.cancelled === undefined)
        this.cancelWith(w, 'reset', `the state was replaced at revision ${revision}`);
    }
    this.history = [];
    this.historyHead = 0;
    this.historyEvents = 0;
    this.historyBytes = 0;
    this.appliedRevision = revision;
    this.historyStart = revision + 1;
  }
}

/**
 * The watch service: one node's side of watches (protocol in `@flexpaxos/client`,
 * `protocol.ts`; the state machine part is `@flexpaxos/kv`'s `WatchHub`).
 *
 * - **Feed.** The host loop hands over every applied slot's change events in slot order
 *   (`applied`, empty slots included) and a snapshot install (`reset`: every watcher is
 *   cancelled with reason `reset`, the history restarts after the snapshot). Every node does
 *   this, followers included, so any node serves watches.
 * - **Create.** A `watch-create` request names the key or prefix, an optional start revision
 *   and the client's inbox subject. The answer is `created` (watch id, this node's id, the
 *   first revision delivered, the flow-control window), `compacted` (the start is older than
 *   this node's history: its oldest revision), or an error: `bad-request` (the message names
 *   the field) or `limit-exceeded` (`WatchHubConfig.watchersMax` watchers on this node).
 * - **Stream.** After each applied batch (and on acknowledgements and ticks) the service
 *   takes what each ready watcher has from the hub and publishes it to its inbox as one
 *   message (whole revisions, a progress notification, a cancellation), cut into frames that
 *   fit the NATS server's `max_payload`, numbered per watch.
 * - **Flow control.** At most {@link WATCH_WINDOW_EVENTS} events (and
 *   {@link WATCH_WINDOW_BYTES}) per watcher are sent and not yet acknowledged (the client's
 *   keepalive acknowledges the frames its caller consumed). A watcher whose window is full is
 *   not taken from: a caught-up one queues in the hub up to `watcherQueueEventsMax` /
 *   `watcherQueueBytesMax` and is then cancelled `slow` with its `resumeRevision`; one that
 *   is catching up only keeps a cursor into the history. So memory per watcher is bounded by
 *   the hub's limits plus the window.
 * - **Progress.** A watcher sent nothing for {@link WATCH_PROGRESS_INTERVAL_MS} gets a
 *   progress notification (the applied revision: everything up to it was sent); a
 *   `watch-control` progress request asks for one at once.
 * - **Liveness.** A watch not refreshed by a keepalive for {@link WATCH_LEASE_MS} is cancelled
 *   (`expired`): its client is gone. Stopping the node cancels every watch (`shutdown`), so
 *   clients move to another node at once.
 *
 * Invariant: frames of one watch are published in seq order from 1, and the messages they
 * carry are the hub's outputs in order, so the client sees the hub's guarantees (every
 * matching event from the start revision, once, in order, revisions whole).
 */
import type { Response, WatchReply } from '@flexpaxos/client';
import { WATCH_INBOX_BYTES_MAX, encodeWatchFrames, encodeWatchMessage } from '@flexpaxos/client';
import type { Request, WatchItem } from '@flexpaxos/client';
import { WatchHub } from '@flexpaxos/kv';
import type { KvEvent, WatchHubConfig, WatchId, WatchOutput } from '@flexpaxos/kv';
import type { Logger } from './logger.js';

/** A watch not refreshed for this long is cancelled (`expired`). */
export const WATCH_LEASE_MS = 10_000;
/** An idle watcher gets a progress notification this often. */
export const WATCH_PROGRESS_INTERVAL_MS = 1000;
/** The service's timer: progress, expiry. */
export const WATCH_TICK_MS = 250;
/** Most events sent to a watcher and not yet acknowledged. */
export const WATCH_WINDOW_EVENTS = 1024;
/** Most message bytes sent to a watcher and not yet acknowledged. */
export const WATCH_WINDOW_BYTES = 4 * 1024 * 1024;
/** Frames are cut this far below the NATS `max_payload` (room for the protocol line). */
const FRAME_HEADROOM_BYTES = 512;

/** A watch request (the two watch kinds of the client protocol). */
export type WatchRequest = Extract<Request, { kind: 'watch-create' | 'watch-control' }>;

/** What the watch service counts (exported on `/metrics`). */
export interface WatchCounts {
  /** Watches created. */
  created: number;
  /** Watch requests refused (bad request, watcher limit, shutting down). */
  refused: number;
  /** Watch creations answered `compacted`, and watchers cancelled because the history overtook them. */
  compacted: number;
  /** Events sent to watchers. */
  eventsSent: number;
  /** Stream frames published. */
  framesSent: number;
  /** Progress notifications sent. */
  progressSent: number;
  /** Watchers cancelled because they did not keep up. */
  slowCancels: number;
  /** Watchers cancelled because their client stopped refreshing them. */
  expired: number;
  /** Watchers cancelled by a snapshot install. */
  resets: number;
}

/** What the watch service needs of the node. */
export interface WatchServiceDeps {
  readonly nodeId: number;
  /** The applied revision the KV machine starts at (the hub's first revision is the next). */
  readonly appliedRevision: number;
  readonly hub?: Partial<WatchHubConfig>;
  /** Publishes one frame to a subject (NATS `publish`). May throw when the connection is closed. */
  readonly publish: (subject: string, data: Uint8Array) => void;
  /** The NATS server's `max_payload`. */
  readonly maxPayload: () => number;
  /** Monotonic clock, ms. */
  readonly now?: () => number;
  readonly log?: Logger;
  /** Flow-control window (events / bytes); defaults {@link WATCH_WINDOW_EVENTS} / {@link WATCH_WINDOW_BYTES}. */
  readonly windowEvents?: number;
  readonly windowBytes?: number;
}

interface Stream {
  readonly id: WatchId;
  readonly inbox: string;
  /** Seq of the last frame published. */
  seq: number;
  refreshedMs: number;
  sentMs: number;
  /** Messages sent and not acknowledged: seq of their last frame, events, bytes. */
  readonly inflight: { lastSeq: number; events: number; bytes: number }[];
  unackedEvents: number;
  unackedBytes: number;
}

const CANCEL_REASONS = new Set(['slow', 'compacted', 'reset']);

/** Is `s` a subject a watch may stream to: tokens of printable characters, no wildcards, not ours. */
export function inboxProblem(s: string): string | undefined {
  if (s.length === 0) return 'inbox: must not be empty';
  if (Buffer.byteLength(s) > WATCH_INBOX_BYTES_MAX)
    return `inbox: longer than ${WATCH_INBOX_BYTES_MAX} bytes`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f*>]/.test(s))
    return 'inbox: must not hold spaces, control characters, * or >';
  if (s.split('.').some((t) => t.length === 0)) return 'inbox: has an empty token';
  if (s.startsWith('flexpaxos.')) return 'inbox: must not be under flexpaxos. (node subjects)';
  return undefined;
}

/** Serves the watches of one node; see the module comment. */
export class WatchService {
  readonly counts: WatchCounts = {
    created: 0,
    refused: 0,
    compacted: 0,
    eventsSent: 0,
    framesSent: 0,
    progressSent: 0,
    slowCancels: 0,
    expired: 0,
    resets: 0,
  };
  readonly #hub: WatchHub;
  readonly #d: WatchServiceDeps;
  readonly #now: () => number;
  readonly #windowEvents: number;
  readonly #windowBytes: number;
  readonly #streams = new Map<WatchId, Stream>();
  #pumpScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(deps: WatchServiceDeps) {
    this.#d = deps;
    this.#hub = new WatchHub(deps.appliedRevision, deps.hub ?? {});
    this.#now = deps.now ?? (() => performance.now());
    const queueMax = deps.hub?.watcherQueueEventsMax ?? Number.POSITIVE_INFINITY;
    this.#windowEvents = Math.max(1, Math.min(deps.windowEvents ?? WATCH_WINDOW_EVENTS, queueMax));
    this.#windowBytes = Math.max(1, deps.windowBytes ?? WATCH_WINDOW_BYTES);
  }

  /** Live watchers. */
  get watchers(): number {
    return this.#streams.size;
  }

  /** Events in the history. */
  get historyEvents(): number {
    return this.#hub.historyEventCount;
  }

  /** The oldest revision a new watch may start from. */
  get oldestRevision(): number {
    return this.#hub.oldestRevision;
  }

  /** The last revision published. */
  get appliedRevision(): number {
    return this.#hub.applied;
  }

  /** Starts the progress and expiry timer. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(this.#now()), WATCH_TICK_MS);
    this.#timer.unref();
  }

  /** Cancels every watch (`shutdown`, sent to each client) and stops the timer. */
  stop(): void {
    this.#stopping = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const s of [...this.#streams.values()]) {
      this.#hub.cancel(s.id);
      this.#send(s, [
        {
          kind: 'cancelled',
          reason: 'shutdown',
          message: `node ${this.#d.nodeId} is shutting down`,
          resumeRevision: 0,
        },
      ]);
      this.#streams.delete(s.id);
    }
  }

  /** The host loop applied `slot` (every slot, in order): its events feed the hub. */
  applied(slot: number, events: readonly KvEvent[]): void {
    if (slot !== this.#hub.applied + 1) {
      // Never expected (the loop applies each slot once, in order): restart the history
      // rather than stop the node over a watch.
      this.#d.log?.log('warn', 'watch history restarted: slot out of order', {
        slot,
        applied: this.#hub.applied,
      });
      this.#hub.reset(slot - 1);
    }
    this.#hub.publish(slot, events);
    this.#schedulePump();
  }

  /** The node installed a snapshot at `index`: every watcher is cancelled (`reset`). */
  reset(index: number): void {
    this.#hub.reset(index);
    this.#schedulePump();
  }

  /** One watch request; `respond` sends the answer. */
  onRequest(req: WatchRequest, respond: (r: Response) => void): void {
    if (req.kind === 'watch-control') {
      this.#control(req, respond);
      return;
    }
    const refuse = (
      code: 'bad-request' | 'limit-exceeded' | 'unavailable',
      message: string,
    ): void => {
      this.counts.refused++;
      respond({ kind: 'error', code, message });
    };
    if (this.#stopping) {
      refuse('unavailable', `node ${this.#d.nodeId} is shutting down`);
      return;
    }
    const inbox = inboxProblem(req.inbox);
    if (inbox !== undefined) {
      refuse('bad-request', inbox);
      return;
    }
    const r = this.#hub.watch({
      key: req.key,
      prefix: req.prefix,
      prevKv: req.prevKv,
      ...(req.startRevision === undefined ? {} : { startRevision: req.startRevision }),
    });
    const watch = (reply: WatchReply): void => respond({ kind: 'watch', reply });
    switch (r.kind) {
      case 'invalid':
        refuse('bad-request', r.message);
        return;
      case 'limit-exceeded':
        refuse('limit-exceeded', `watchers: ${r.message} on node ${this.#d.nodeId}`);
        return;
      case 'compacted':
        this.counts.compacted++;
        watch({
          type: 'compacted',
          compactRevision: r.compactRevision,
          applied: this.#hub.applied,
          nodeId: this.#d.nodeId,
        });
        return;
      case 'created': {
        const now = this.#now();
        this.#streams.set(r.watchId, {
          id: r.watchId,
          inbox: req.inbox,
          seq: 0,
          refreshedMs: now,
          sentMs: now,
          inflight: [],
          unackedEvents: 0,
          unackedBytes: 0,
        });
        this.counts.created++;
        watch({
          type: 'created',
          watchId: r.watchId,
          nodeId: this.#d.nodeId,
          startRevision: r.startRevision,
          applied: this.#hub.applied,
          windowEvents: this.#windowEvents,
        });
        this.#schedulePump();
      }
    }
  }

  #control(
    req: Extract<WatchRequest, { kind: 'watch-control' }>,
    respond: (r: Response) => void,
  ): void {
    const unknown: number[] = [];
    const now = this.#now();
    for (const { id, ackSeq } of req.watches) {
      const s = this.#streams.get(id as WatchId);
      if (s === undefined) {
        unknown.push(id);
        continue;
      }
      if (req.op === 'cancel') {
        this.#hub.cancel(s.id);
        this.#streams.delete(s.id);
        continue;
      }
      s.refreshedMs = now;
      if (req.op === 'progress') this.#hub.requestProgress(s.id);
      else this.#ack(s, ackSeq);
    }
    respond({ kind: 'watch', reply: { type: 'ack', applied: this.#hub.applied, unknown } });
    if (req.op !== 'cancel') this.#schedulePump();
  }

  #ack(s: Stream, ackSeq: number): void {
    if (ackSeq > s.seq) return; // acknowledges frames never sent: ignore
    while (s.inflight.length > 0 && (s.inflight[0]?.lastSeq ?? Infinity) <= ackSeq) {
      const m = s.inflight.shift();
      if (m === undefined) break;
      s.unackedEvents -= m.events;
      s.unackedBytes -= m.bytes;
    }
  }

  /** Progress for idle watchers, expiry of watchers not refreshed. */
  tick(nowMs: number): void {
    for (const s of [...this.#streams.values()]) {
      if (nowMs - s.refreshedMs > WATCH_LEASE_MS) {
        this.#hub.cancel(s.id);
        this.#streams.delete(s.id);
        this.counts.expired++;
        this.#send(s, [
          {
            kind: 'cancelled',
            reason: 'expired',
            message: `not refreshed for ${WATCH_LEASE_MS} ms`,
            resumeRevision: 0,
          },
        ]);
        continue;
      }
      if (nowMs - s.sentMs >= WATCH_PROGRESS_INTERVAL_MS) this.#hub.requestProgress(s.id);
    }
    this.pump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  /** Sends every ready watcher what it has, within its window. */
  pump(): void {
    for (const id of this.#hub.ready()) {
      const s = this.#streams.get(id);
      if (s === undefined) {
        this.#hub.cancel(id);
        continue;
      }
      const room = this.#windowEvents - s.unackedEvents;
      if ((room <= 0 || s.unackedBytes >= this.#windowBytes) && !this.#hub.isCancelled(id))
        continue;
      const outs = this.#hub.take(id, Math.max(1, room));
      if (outs.length > 0) this.#deliver(s, outs);
    }
  }

  #deliver(s: Stream, outs: readonly WatchOutput[]): void {
    const items: WatchItem[] = [];
    let events = 0;
    for (const o of outs) {
      if (o.kind === 'events') {
        items.push({ kind: 'events', revision: o.revision, events: o.events });
        events += o.events.length;
      } else if (o.kind === 'progress') {
        items.push(o);
        this.counts.progressSent++;
      } else {
        if (CANCEL_REASONS.has(o.reason)) {
          if (o.reason === 'slow') this.counts.slowCancels++;
          else if (o.reason === 'compacted') this.counts.compacted++;
          else this.counts.resets++;
        }
        items.push(o);
        this.#streams.delete(s.id);
      }
    }
    const bytes = this.#send(s, items);
    this.counts.eventsSent += events;
    if (events > 0) {
      s.inflight.push({ lastSeq: s.seq, events, bytes });
      s.unackedEvents += events;
      s.unackedBytes += bytes;
    }
  }

  /** Publishes one message to `s`'s inbox; returns its size. */
  #send(s: Stream, items: readonly WatchItem[]): number {
    const message = encodeWatchMessage(items);
    const frames = encodeWatchFrames(
      s.id,
      s.seq + 1,
      message,
      Math.max(1024, this.#d.maxPayload() - FRAME_HEADROOM_BYTES),
    );
    s.seq += frames.length;
    s.sentMs = this.#now();
    try {
      for (const f of frames) {
        this.#d.publish(s.inbox, f);
        this.counts.framesSent++;
      }
    } catch (err) {
      // The connection is closing (or the subject was refused): the client will resume.
      this.#d.log?.log('debug', 'watch frame not published', { error: err });
    }
    return message.byteLength;
  }
}

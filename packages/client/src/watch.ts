/**
 * `client.watch(keyOrPrefix, options)`: the changes of a key or of every key under a prefix,
 * as an async iterable of events, each exactly once, in revision order, across node failures.
 *
 * How it runs (protocol in `protocol.ts`, stream parts in `watch-stream.ts`):
 *
 * - An **attempt** is one watch at one node: a fresh inbox subscription, a `watch-create`
 *   request (to the node asked for, else the shared subject: any live node), then the
 *   node's stream frames on the inbox. The inbox is never reused, so frames of an older
 *   attempt can never mix in.
 * - Every {@link WATCH_KEEPALIVE_INTERVAL_MS} the client refreshes the attempt with a
 *   keepalive that also acknowledges the frames its caller consumed (the node sends at most
 *   `windowEvents` unacknowledged events: the client buffers at most that much). The
 *   attempt ends when the node does not answer (no responders at once; two timeouts in a
 *   row), says it does not know the watch, cancels it (slow consumer, snapshot installed,
 *   shutting down, history overtaken), a frame is missing (a NATS reconnect), or nothing
 *   arrived for {@link WATCH_STALL_MS} while the caller was caught up (the node sends a
 *   progress notification every second when idle).
 * - Then a new attempt starts from the cursor (`WatchCursor`): the revision after the last
 *   one fully received. A node answering `compacted` is skipped for the next node of the
 *   cluster; only when every node that answers is compacted does the iteration throw
 *   `WatchCompactedError` with the oldest revision available.
 *
 * So the caller sees every event from its start revision once, in order, with no gap,
 * whichever nodes served it, and the buffer between the node and the caller stays bounded.
 */
import { createInbox } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { KEY_BYTES_MAX, bytesToUtf8 } from '@flexpaxos/kv';
import {
  ClientClosedError,
  InvalidArgumentError,
  InvalidKeyError,
  RejectedError,
  WatchCompactedError,
} from './errors.js';
import {
  clusterClientSubject,
  decodeResponse,
  encodeRequest,
  nodeClientSubject,
} from './protocol.js';
import type { Response } from './protocol.js';
import { FrameAssembler, WatchCursor, decodeWatchFrame } from './watch-stream.js';
import type { WatchItem, WireEvent, WireKeyValue } from './watch-stream.js';

/** How often a watch refreshes (and acknowledges) its attempt; nodes expire one after 10 s. */
export const WATCH_KEEPALIVE_INTERVAL_MS = 2000;
/** A caught-up attempt that received nothing for this long is re-created elsewhere. */
export const WATCH_STALL_MS = 5000;
/** Keepalive timeouts in a row that end an attempt. */
const KEEPALIVE_FAILURES_MAX = 2;
/** A new attempt waits until the caller consumed the buffer down to this many bytes. */
const RESUME_BUFFER_BYTES_MAX = 4 * 1024 * 1024;

/** Options of {@link Watch} (`client.watch`). */
export interface WatchOptions {
  /** Watch every key starting with the given bytes (an empty prefix: every key). */
  readonly prefix?: boolean;
  /**
   * First revision to deliver (a put's or a range's revision + 1 to continue from a read).
   * Default: the next revision the serving node applies (changes from now on).
   */
  readonly fromRevision?: number;
  /** Events carry the key's previous value and metadata (`prev`). */
  readonly prevKv?: boolean;
  /** Aborting it cancels the watch (the iteration ends). */
  readonly signal?: AbortSignal;
  /** Node to create the watch at first (a follower serves a watch as well as the leader). */
  readonly node?: number;
}

/** A key with its value and metadata as a watch event carries it. */
export interface WatchKeyValue {
  readonly key: string;
  readonly keyBytes: Uint8Array;
  /** The value decoded as UTF-8 (invalid sequences replaced); empty in a delete. */
  readonly value: string;
  readonly valueBytes: Uint8Array;
  /** Writes since the key was created; 0 in a delete. */
  readonly version: number;
  /** The log slot of the change (etcd's mod revision). */
  readonly revision: number;
  /** The log slot of the put that created the key; 0 in a delete. */
  readonly createRevision: number;
  /** The lease the key is attached to; 0 for none. */
  readonly lease: number;
}

/** One change of one key. Several events can share a revision (one slot holds many commands). */
export interface WatchEvent extends WatchKeyValue {
  readonly type: 'put' | 'delete';
  /** The key before the change (only with `prevKv`, and only when it existed). */
  readonly prev?: WatchKeyValue;
}

/** What a watch needs of its client (`client.ts`). */
export interface WatchContext {
  readonly nc: NatsConnection;
  readonly cluster: string;
  /** Timeout of one watch request (create, keepalive). */
  readonly requestTimeoutMs: number;
  readonly closed: () => boolean;
  /** Ids of the cluster's nodes (for a node to try after a `compacted` answer). */
  readonly nodes: () => Promise<number[]>;
  /** The watch ended (the client forgets it). */
  readonly ended: (watch: Watch) => void;
}

interface AttemptEnd {
  readonly reason: string;
  /** Where to try next: the same node (slow consumer) or any other. */
  readonly retry: 'same' | 'other';
  /** Tell the node to drop the watch (it may still hold it). */
  readonly cancelAtNode: boolean;
}

/** One watch at one node. */
class Attempt {
  readonly inbox = createInbox();
  sub: Subscription | undefined;
  readonly assembler = new FrameAssembler();
  created = false;
  watchId = 0;
  nodeId = 0;
  /** The first revision the node delivers on this attempt. */
  startRevision = 0;
  windowEvents = 1024;
  /** Seq of the last frame of the last whole message received. */
  receivedSeq = 0;
  /** Seq up to which the caller consumed (what the next keepalive acknowledges). */
  consumedSeq = 0;
  /** A message without events arrived while events were still queued: ack it after them. */
  deferredSeq = 0;
  /** Events of this attempt in the queue. */
  unconsumed = 0;
  consumedSinceAck = 0;
  lastFrameMs = performance.now();
  keepaliveFailures = 0;
  keepaliveInFlight = false;
  ended = false;
  closed = false;
  #resolve: ((end: AttemptEnd) => void) | undefined;
  readonly done = new Promise<AttemptEnd>((r) => (this.#resolve = r));

  end(end: AttemptEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.#resolve?.(end);
  }
}

interface Queued {
  readonly event: WatchEvent;
  readonly attempt: Attempt;
  /** Set on the last event of a message: consuming it acknowledges the message. */
  readonly ackSeq: number;
  readonly bytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function toKeyValue(kv: WireKeyValue): WatchKeyValue {
  return {
    key: bytesToUtf8(kv.key),
    keyBytes: kv.key,
    value: bytesToUtf8(kv.value),
    valueBytes: kv.value,
    version: kv.version,
    revision: kv.revision,
    createRevision: kv.createRevision,
    lease: kv.lease,
  };
}

function toEvent(e: WireEvent): WatchEvent {
  return {
    type: e.type,
    ...toKeyValue(e.kv),
    ...(e.prev === undefined ? {} : { prev: toKeyValue(e.prev) }),
  };
}

/** Whether a NATS request failed because nobody subscribes to its subject (nothing was delivered). */
export function isNoResponders(err: unknown): boolean {
  const e = err as { isNoResponders?: () => boolean; code?: unknown } | undefined;
  return typeof e?.isNoResponders === 'function' ? e.isNoResponders() : false;
}

/**
 * A running watch: iterate it with `for await`, stop it with {@link cancel} (or `break`, or
 * the `signal`). Only one iteration at a time.
 */
export class Watch implements AsyncIterable<WatchEvent> {
  /** Resolves with the first revision delivered once a node created the watch. */
  readonly ready: Promise<number>;
  readonly #ctx: WatchContext;
  readonly #key: Uint8Array;
  readonly #prefix: boolean;
  readonly #prevKv: boolean;
  readonly #firstNode: number | undefined;
  readonly #cursor: WatchCursor;
  readonly #queue: Queued[] = [];
  #queueBytes = 0;
  #waiter: (() => void) | undefined;
  /** The resume loop waiting for the caller to consume (see `#run`). */
  #drainWaiter: (() => void) | undefined;
  #error: Error | undefined;
  #ended = false;
  #attempt: Attempt | undefined;
  #resumes = 0;
  #iterating = false;
  readonly #timer: NodeJS.Timeout;
  readonly #progressWaiters: ((revision: number) => void)[] = [];
  #resolveReady: ((revision: number) => void) | undefined;
  #rejectReady: ((err: unknown) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.cancel();

  /** Use `client.watch`. Throws `InvalidKeyError` / `InvalidArgumentError` on bad arguments. */
  constructor(ctx: WatchContext, key: Uint8Array, options: WatchOptions = {}) {
    const prefix = options.prefix ?? false;
    if (key.byteLength > KEY_BYTES_MAX)
      throw new InvalidKeyError(`key: exceeds KEY_BYTES_MAX (${KEY_BYTES_MAX})`);
    if (!prefix && key.byteLength === 0)
      throw new InvalidKeyError('key: must not be empty (use prefix: true to watch every key)');
    const from = options.fromRevision;
    if (from !== undefined && (!Number.isSafeInteger(from) || from < 1))
      throw new InvalidArgumentError('fromRevision: must be a positive integer');
    const node = options.node;
    if (node !== undefined && (!Number.isSafeInteger(node) || node < 1 || node > 0xffffffff))
      throw new InvalidArgumentError('node: must be a node id (a positive integer)');
    this.#ctx = ctx;
    this.#key = key;
    this.#prefix = prefix;
    this.#prevKv = options.prevKv ?? false;
    this.#firstNode = node;
    this.#cursor = new WatchCursor(from);
    this.ready = new Promise<number>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => undefined);
    this.#timer = setInterval(() => this.#tick(), WATCH_KEEPALIVE_INTERVAL_MS);
    this.#timer.unref();
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) {
      queueMicrotask(() => this.cancel()); // after the client registered the watch
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    void this.#run();
  }

  /** Every revision at or below this one has been received (0 before the watch started). */
  get revision(): number {
    return this.#cursor.revision;
  }

  /** The node serving the watch now, if any. */
  get node(): number | undefined {
    const a = this.#attempt;
    return a !== undefined && a.created && !a.ended ? a.nodeId : undefined;
  }

  /** Times the watch was re-created (at another node, or after a slow-consumer cancel). */
  get resumes(): number {
    return this.#resumes;
  }

  /** Events received and not consumed yet. */
  get buffered(): number {
    return this.#queue.length;
  }

  /**
   * Asks the serving node for a progress notification; resolves with {@link revision} once
   * one arrived (everything the node applied so far has been received).
   */
  requestProgress(): Promise<number> {
    if (this.#ended) return Promise.resolve(this.revision);
    const p = new Promise<number>((r) => this.#progressWaiters.push(r));
    const a = this.#attempt;
    if (a !== undefined && a.created && !a.ended) void this.#control(a, 'progress');
    return p;
  }

  /** Stops the watch: the node drops it and the iteration ends. Idempotent. */
  cancel(): void {
    this.#finish(undefined);
  }

  /** The client closed: the iteration throws `ClientClosedError`. */
  close(): void {
    this.#finish(new ClientClosedError());
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    if (this.#iterating) throw new InvalidArgumentError('a watch can be iterated only once');
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  // ------------------------------------------------------------------ internals

  async #next(): Promise<IteratorResult<WatchEvent>> {
    for (;;) {
      const q = this.#queue.shift();
      if (q !== undefined) {
        this.#consumed(q);
        return { value: q.event, done: false };
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return { value: undefined, done: true };
      await new Promise<void>((r) => (this.#waiter = r));
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #consumed(q: Queued): void {
    this.#queueBytes -= q.bytes;
    const a = q.attempt;
    a.unconsumed--;
    if (a.ended) {
      const w = this.#drainWaiter; // a resume may wait for the buffer to drain
      this.#drainWaiter = undefined;
      w?.();
      return;
    }
    a.consumedSinceAck++;
    if (q.ackSeq > 0) a.consumedSeq = q.ackSeq;
    if (a.unconsumed === 0 && a.deferredSeq > a.consumedSeq) a.consumedSeq = a.deferredSeq;
    if (a.consumedSinceAck * 2 >= a.windowEvents) void this.#control(a, 'keepalive');
  }

  #finish(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (error === undefined) {
      this.#queue.length = 0;
      this.#queueBytes = 0;
    }
    clearInterval(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const a = this.#attempt;
    if (a !== undefined) {
      a.end({ reason: 'cancelled', retry: 'other', cancelAtNode: true });
      this.#closeAttempt(a, true);
    }
    this.#rejectReady?.(error ?? new ClientClosedError());
    for (const w of this.#progressWaiters.splice(0)) w(this.revision);
    this.#ctx.ended(this);
    this.#wake();
    const w = this.#drainWaiter;
    this.#drainWaiter = undefined;
    w?.();
  }

  async #run(): Promise<void> {
    let target = this.#firstNode;
    try {
      while (!this.#ended) {
        // Resume only once the caller made room: the buffer stays bounded however many
        // times the watch is re-created.
        while (
          !this.#ended &&
          this.#queue.length > 0 &&
          (this.#queue.length * 2 > (this.#attempt?.windowEvents ?? 1024) ||
            this.#queueBytes > RESUME_BUFFER_BYTES_MAX)
        ) {
          await new Promise<void>((r) => (this.#drainWaiter = r));
        }
        const attempt = await this.#establish(target);
        if (attempt === undefined) return;
        this.#resolveReady?.(attempt.startRevision);
        this.#resolveReady = undefined;
        const end = await attempt.done;
        this.#closeAttempt(attempt, end.cancelAtNode);
        if (this.#ended) return;
        this.#resumes++;
        target = end.retry === 'same' ? attempt.nodeId : undefined;
      }
    } catch (err) {
      this.#finish(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Creates the watch at `target` (else any node), moving on to other nodes as needed. */
  async #establish(first: number | undefined): Promise<Attempt | undefined> {
    let target = first;
    const tried = new Set<number>();
    let compactRevision: number | undefined;
    const compactedAt: number[] = [];
    let limitMessage: string | undefined;
    let nodes: number[] | undefined;
    let failures = 0;
    for (;;) {
      if (this.#ended) return undefined;
      if (this.#ctx.closed()) throw new ClientClosedError();
      const r = await this.#createOnce(target);
      if (r.kind === 'created') return r.attempt;
      if (r.kind === 'unreachable' && (nodes === undefined || target === undefined)) {
        await sleep(Math.min(1000, 50 * 2 ** Math.min(failures++, 5)));
        target = undefined;
        continue;
      }
      if (r.kind === 'unreachable') {
        // Walking the node list after a compacted or limit answer: skip a node that is down.
        tried.add(target ?? 0);
      } else if (r.kind === 'compacted') {
        tried.add(r.nodeId);
        compactedAt.push(r.nodeId);
        compactRevision = Math.min(compactRevision ?? Infinity, r.compactRevision);
      } else {
        if (target !== undefined) tried.add(target);
        limitMessage = r.message;
      }
      nodes ??= await this.#ctx.nodes().catch(() => []);
      const next = nodes.find((id) => !tried.has(id));
      if (next === undefined) {
        if (compactRevision !== undefined) {
          throw new WatchCompactedError(
            compactRevision,
            `revision ${this.#cursor.next ?? '?'} is compacted at every node that answered (${compactedAt.join(', ')}); the oldest available is ${compactRevision}`,
          );
        }
        throw new RejectedError('limit-exceeded', limitMessage ?? 'every node refused the watch');
      }
      target = next;
    }
  }

  async #createOnce(
    target: number | undefined,
  ): Promise<
    | { kind: 'created'; attempt: Attempt }
    | { kind: 'compacted'; compactRevision: number; nodeId: number }
    | { kind: 'limit'; message: string }
    | { kind: 'unreachable' }
  > {
    const { nc, cluster } = this.#ctx;
    const attempt = new Attempt();
    this.#attempt = attempt;
    const subject =
      target === undefined ? clusterClientSubject(cluster) : nodeClientSubject(cluster, target);
    let response: Response;
    try {
      // Subscribed before the request leaves on the same connection: the server knows the
      // inbox before the node can publish to it.
      attempt.sub = nc.subscribe(attempt.inbox, {
        callback: (err, msg) => this.#onFrame(attempt, err, msg),
      });
      const msg = await nc.request(
        subject,
        encodeRequest({
          kind: 'watch-create',
          key: this.#key,
          prefix: this.#prefix,
          prevKv: this.#prevKv,
          startRevision: this.#cursor.next,
          inbox: attempt.inbox,
        }),
        { timeout: this.#ctx.requestTimeoutMs },
      );
      const d = decodeResponse(msg.data);
      if (!d.ok) throw new RejectedError('bad-reply', d.error);
      response = d.value;
    } catch (err) {
      attempt.end({ reason: 'create failed', retry: 'other', cancelAtNode: false });
      this.#closeAttempt(attempt, false);
      if (err instanceof RejectedError) throw err;
      return { kind: 'unreachable' };
    }
    if (response.kind === 'watch' && response.reply.type === 'created' && !attempt.ended) {
      const r = response.reply;
      attempt.created = true;
      attempt.watchId = r.watchId;
      attempt.nodeId = r.nodeId;
      attempt.startRevision = r.startRevision;
      attempt.windowEvents = Math.max(1, r.windowEvents);
      attempt.lastFrameMs = performance.now();
      this.#cursor.created(r.startRevision);
      return { kind: 'created', attempt };
    }
    attempt.end({ reason: 'not created', retry: 'other', cancelAtNode: false });
    this.#closeAttempt(attempt, false);
    if (response.kind === 'watch' && response.reply.type === 'created') {
      // The stream broke before the reply was handled (a frame gap): try again.
      return { kind: 'unreachable' };
    }
    if (response.kind === 'watch' && response.reply.type === 'compacted') {
      return {
        kind: 'compacted',
        compactRevision: response.reply.compactRevision,
        nodeId: response.reply.nodeId,
      };
    }
    if (response.kind === 'error') {
      if (response.code === 'limit-exceeded') return { kind: 'limit', message: response.message };
      if (response.code === 'unavailable') return { kind: 'unreachable' };
      throw new RejectedError(response.code, response.message);
    }
    throw new RejectedError('bad-reply', `a ${response.kind} frame answered a watch request`);
  }

  #closeAttempt(a: Attempt, cancelAtNode: boolean): void {
    if (a.closed) return;
    a.closed = true;
    const sub = a.sub;
    a.sub = undefined;
    try {
      sub?.unsubscribe();
    } catch {
      // The connection is closed already.
    }
    if (cancelAtNode && a.created && !this.#ctx.closed()) void this.#control(a, 'cancel');
  }

  #onFrame(a: Attempt, err: Error | null, msg: Msg): void {
    if (a.ended) return;
    if (err !== null) {
      a.end({ reason: `inbox: ${err.message}`, retry: 'other', cancelAtNode: true });
      return;
    }
    a.lastFrameMs = performance.now();
    const f = decodeWatchFrame(msg.data);
    const r = f.ok ? a.assembler.push(f.value) : { kind: 'broken' as const, reason: f.error };
    if (r.kind === 'partial') return;
    if (r.kind === 'broken') {
      a.end({ reason: r.reason, retry: 'same', cancelAtNode: true });
      return;
    }
    a.receivedSeq = r.lastSeq;
    let added = 0;
    let cancelled: Extract<WatchItem, { kind: 'cancelled' }> | undefined;
    let progress = false;
    for (const item of r.items) {
      if (item.kind === 'cancelled') {
        cancelled = item;
        break;
      }
      if (item.kind === 'progress') progress = true;
      const events = this.#cursor.accept(item);
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as WireEvent;
        const bytes = 64 + e.kv.key.byteLength + e.kv.value.byteLength;
        this.#queue.push({ event: toEvent(e), attempt: a, ackSeq: 0, bytes });
        this.#queueBytes += bytes;
        added++;
      }
    }
    if (added > 0) {
      const last = this.#queue.pop() as Queued;
      this.#queue.push({ ...last, ackSeq: r.lastSeq });
      a.unconsumed += added;
    } else if (a.unconsumed === 0) a.consumedSeq = r.lastSeq;
    else a.deferredSeq = r.lastSeq;
    if (progress) for (const w of this.#progressWaiters.splice(0)) w(this.revision);
    if (cancelled !== undefined) {
      a.end({
        reason: `${cancelled.reason}: ${cancelled.message}`,
        retry: cancelled.reason === 'slow' ? 'same' : 'other',
        cancelAtNode: false,
      });
    }
    if (added > 0) this.#wake();
  }

  #tick(): void {
    const a = this.#attempt;
    if (a === undefined || a.ended || !a.created || this.#ended) return;
    if (a.unconsumed === 0 && performance.now() - a.lastFrameMs > WATCH_STALL_MS) {
      a.end({ reason: 'no frames from the node', retry: 'other', cancelAtNode: true });
      return;
    }
    void this.#control(a, 'keepalive');
  }

  /** Sends a keepalive (with the acknowledgement), progress or cancel request for `a`. */
  async #control(a: Attempt, op: 'keepalive' | 'progress' | 'cancel'): Promise<void> {
    if (op === 'keepalive') {
      if (a.keepaliveInFlight || a.ended) return;
      a.keepaliveInFlight = true;
    }
    const ackSeq = op === 'keepalive' ? a.consumedSeq : 0;
    if (op === 'keepalive') a.consumedSinceAck = 0;
    try {
      const msg = await this.#ctx.nc.request(
        nodeClientSubject(this.#ctx.cluster, a.nodeId),
        encodeRequest({ kind: 'watch-control', op, watches: [{ id: a.watchId, ackSeq }] }),
        { timeout: this.#ctx.requestTimeoutMs },
      );
      if (op === 'cancel') return;
      a.keepaliveFailures = 0;
      const d = decodeResponse(msg.data);
      if (d.ok && d.value.kind === 'watch' && d.value.reply.type === 'ack') {
        if (d.value.reply.unknown.includes(a.watchId)) {
          a.end({
            reason: 'the node does not know the watch',
            retry: 'other',
            cancelAtNode: false,
          });
        }
      } else if (d.ok && d.value.kind === 'error' && d.value.code === 'unavailable') {
        a.end({ reason: d.value.message, retry: 'other', cancelAtNode: false });
      }
    } catch (err) {
      if (op === 'cancel') return;
      if (isNoResponders(err) || ++a.keepaliveFailures >= KEEPALIVE_FAILURES_MAX) {
        a.end({ reason: 'the node does not answer', retry: 'other', cancelAtNode: false });
      }
    } finally {
      if (op === 'keepalive') a.keepaliveInFlight = false;
    }
  }
}

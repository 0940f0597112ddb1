/**
 * Peer messaging over NATS for one FlexPaxos node (design brief, "Transport (NATS)").
 *
 * Each node subscribes to `flexpaxos.<cluster>.peer.<nodeId>`. `send()` groups messages by
 * destination and publishes them as versioned binary frames (see `frame.ts`) bounded by the
 * server's `max_payload`; larger messages (snapshots) are chunked and reassembled. Inbound
 * frames that do not decode are counted and dropped. The connection reconnects forever; while
 * it is down, outbound messages are dropped (counted) instead of piling up in memory: the Paxos
 * core tolerates loss and retransmits what still matters.
 */
import { randomInt } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { assert } from './assert.js';
import { TransportConfigError, TransportConnectError } from './errors.js';
import type { TransportConfigProblem } from './errors.js';
import {
  decodeEntry,
  decodeFrame,
  encodeEntry,
  FRAME_BYTES_MIN,
  FrameEncoder,
  isWireNodeId,
} from './frame.js';
import type { EncodedFrame, PeerMessage } from './frame.js';
import { ChunkReassembler } from './reassembler.js';
import { clusterNameProblem, peerSubject } from './subjects.js';

/** Options of {@link NatsPeerTransport.connect}. */
export interface NatsPeerTransportOptions {
  /**
   * NATS server URLs (`nats://127.0.0.1:4222` or `127.0.0.1:4222`). Several URLs of one NATS
   * cluster let the node fail over between them; servers the cluster gossips are added too.
   */
  readonly servers: readonly string[];
  /** The FlexPaxos cluster name: one subject token, `[A-Za-z0-9_-]{1,64}`. */
  readonly clusterName: string;
  /** This node's id (a positive safe integer); every message sent must be `from` it. */
  readonly nodeId: number;
  /**
   * Upper bound on one frame (NATS message) in bytes; the server's `max_payload` bounds it
   * too. Default: the server's `max_payload` (1 MiB on a default nats-server).
   */
  readonly frameBytesMax?: number;
  /** How long a partially received chunked message is kept. Default 30 000 ms. */
  readonly reassemblyTimeoutMs?: number;
  /** Bytes all partially received chunked messages may hold together. Default 256 MiB. */
  readonly reassemblyBytesMax?: number;
  /** Wait between reconnect attempts to one server. Default 250 ms (plus up to 100 ms jitter). */
  readonly reconnectTimeWaitMs?: number;
  /** Handshake timeout of one connection attempt. Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * When true, `connect()` keeps retrying until a first connection succeeds instead of
   * failing when no server is reachable. Default false.
   */
  readonly waitForFirstConnect?: boolean;
  /** Client name shown by NATS monitoring. Default `flexpaxos-<cluster>-<nodeId>`. */
  readonly connectionName?: string;
  /** Monotonic clock for reassembly timeouts. Default `performance.now()`. */
  readonly nowMs?: () => number;
  /**
   * Called when the message handler throws. Default: rethrow on a fresh task, so a broken
   * invariant in the node crashes it loudly instead of silently killing the NATS reader.
   */
  readonly onHandlerError?: (error: unknown) => void;
  /** Called for every inbound frame, entry or transfer that is dropped, with the reason. */
  readonly onDrop?: (reason: string) => void;
  /**
   * Emulated link delay (benchmarks, fault tests): the one-way delay in ms added to every
   * message sent to node `to`, read at each `send`. Frames are encoded at `send` and published
   * when due; order per destination is kept (a frame is never published before an earlier
   * one to the same node, even if the delay shrinks). Without it (or while it returns 0 and
   * nothing is queued for that node) frames are published at once, with no timer.
   */
  readonly linkDelayMs?: (to: number) => number;
}

/** Counters of one transport since it connected. All monotonically increasing. */
export interface TransportMetrics {
  /** Messages handed to NATS (all frames of the message published). */
  readonly messagesOut: number;
  /** Frame bytes handed to NATS. */
  readonly bytesOut: number;
  /** Batch frames published. */
  readonly batchesOut: number;
  /** Chunk frames published. */
  readonly chunksOut: number;
  /** Messages not sent: the connection was down or closed, or publishing failed. */
  readonly outboundDropped: number;
  /** Messages delivered to the handler. */
  readonly messagesIn: number;
  /** Frame bytes received. */
  readonly bytesIn: number;
  /** Batch frames received. */
  readonly batchesIn: number;
  /** Chunk frames received. */
  readonly chunksIn: number;
  /** Frames or entries that did not decode (dropped). */
  readonly decodeErrors: number;
  /**
   * Inbound messages, chunks or transfers dropped for other reasons: addressed to another
   * node, no handler set, chunk refused, partial transfer expired or evicted.
   */
  readonly inboundDropped: number;
  /** Times the connection to NATS was lost. */
  readonly disconnects: number;
  /** Times the connection to NATS was re-established. */
  readonly reconnects: number;
  /** Times the message handler threw. */
  readonly handlerErrors: number;
}

type MutableMetrics = { -readonly [K in keyof TransportMetrics]: number };

/** Frames to one destination waiting for their emulated link delay, oldest first. */
interface DelayedLink {
  readonly queue: { readonly dueMs: number; readonly frames: readonly EncodedFrame[] }[];
  timer: NodeJS.Timeout | undefined;
}

/** Receives the messages of one inbound frame (or one reassembled large message), in order. */
export type MessageHandler<M> = (messages: M[]) => void;

const DEFAULTS = {
  reassemblyTimeoutMs: 30_000,
  reassemblyBytesMax: 256 * 1024 * 1024,
  reconnectTimeWaitMs: 250,
  connectTimeoutMs: 5_000,
  closeFlushTimeoutMs: 1_000,
  transfersPerSenderMax: 4,
} as const;

function positiveInteger(
  problems: TransportConfigProblem[],
  field: string,
  value: number | undefined,
  min = 1,
): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    problems.push({
      field,
      rule: 'integer-range',
      message: `${field} must be an integer >= ${min} (got ${String(value)})`,
    });
  }
}

/**
 * Every problem with `options`, each naming the field and the rule (empty when valid).
 * {@link NatsPeerTransport.connect} throws a {@link TransportConfigError} listing them.
 */
export function validateTransportOptions(
  options: NatsPeerTransportOptions,
): TransportConfigProblem[] {
  const problems: TransportConfigProblem[] = [];
  if (!Array.isArray(options.servers) || options.servers.length === 0) {
    problems.push({
      field: 'servers',
      rule: 'non-empty',
      message: 'servers must list at least one NATS URL',
    });
  } else {
    options.servers.forEach((url, i) => {
      if (typeof url !== 'string' || !/^(nats:\/\/|tls:\/\/)?[^\s/]+(:\d+)?$/.test(url)) {
        problems.push({
          field: `servers[${i}]`,
          rule: 'nats-url',
          message: `servers[${i}] must be a NATS URL like nats://host:4222 (got ${JSON.stringify(url)})`,
        });
      }
    });
  }
  const clusterProblem =
    typeof options.clusterName === 'string'
      ? clusterNameProblem(options.clusterName)
      : 'must be a string';
  if (clusterProblem !== undefined) {
    problems.push({
      field: 'clusterName',
      rule: 'subject-token',
      message: `clusterName ${clusterProblem} (got ${JSON.stringify(options.clusterName)})`,
    });
  }
  if (!isWireNodeId(options.nodeId)) {
    problems.push({
      field: 'nodeId',
      rule: 'positive-safe-integer',
      message: `nodeId must be a positive safe integer (got ${String(options.nodeId)})`,
    });
  }
  positiveInteger(problems, 'frameBytesMax', options.frameBytesMax, FRAME_BYTES_MIN);
  positiveInteger(problems, 'reassemblyTimeoutMs', options.reassemblyTimeoutMs);
  positiveInteger(problems, 'reassemblyBytesMax', options.reassemblyBytesMax);
  positiveInteger(problems, 'reconnectTimeWaitMs', options.reconnectTimeWaitMs, 0);
  positiveInteger(problems, 'connectTimeoutMs', options.connectTimeoutMs);
  if (options.linkDelayMs !== undefined && typeof options.linkDelayMs !== 'function') {
    problems.push({
      field: 'linkDelayMs',
      rule: 'function',
      message: 'linkDelayMs must be a function (to: number) => number of milliseconds',
    });
  }
  return problems;
}

/**
 * A node's peer transport over NATS. Create with {@link NatsPeerTransport.connect}, set the
 * inbound handler with {@link onMessages}, send with {@link send}, stop with {@link close}.
 *
 * Delivery is at most once and in order per sender and receiver while the connection holds;
 * messages may be lost around reconnects (the Paxos core tolerates loss).
 *
 * @typeParam M the message type carried (the Paxos core's `Message`); the transport checks
 *   only the envelope (`type`, `from`, `to`) of what it receives, not the fields inside.
 */
export class NatsPeerTransport<M extends PeerMessage = PeerMessage> {
  /** This node's id. */
  readonly nodeId: number;
  /** The cluster name the subjects are namespaced by. */
  readonly clusterName: string;
  /** The subject this node receives on. */
  readonly subject: string;

  readonly #nc: NatsConnection;
  readonly #sub: Subscription;
  readonly #encoder: FrameEncoder;
  readonly #reassembler: ChunkReassembler;
  readonly #frameBytesMaxOption: number | undefined;
  readonly #onHandlerError: (error: unknown) => void;
  readonly #onDrop: ((reason: string) => void) | undefined;
  readonly #linkDelayMs: ((to: number) => number) | undefined;
  readonly #delayed = new Map<number, DelayedLink>();
  readonly #expiryTimer: NodeJS.Timeout;
  readonly #metrics: MutableMetrics = {
    messagesOut: 0,
    bytesOut: 0,
    batchesOut: 0,
    chunksOut: 0,
    outboundDropped: 0,
    messagesIn: 0,
    bytesIn: 0,
    batchesIn: 0,
    chunksIn: 0,
    decodeErrors: 0,
    inboundDropped: 0,
    disconnects: 0,
    reconnects: 0,
    handlerErrors: 0,
  };
  #handler: MessageHandler<M> | undefined;
  #connected = true;
  #closing: Promise<void> | undefined;
  #reassemblyDroppedSeen = 0;

  /**
   * Connects to NATS, subscribes to this node's subject and returns once the server has the
   * subscription. Throws {@link TransportConfigError} for invalid options and
   * {@link TransportConnectError} when no server can be reached.
   */
  static async connect<M extends PeerMessage = PeerMessage>(
    options: NatsPeerTransportOptions,
  ): Promise<NatsPeerTransport<M>> {
    const problems = validateTransportOptions(options);
    if (problems.length > 0) {
      throw new TransportConfigError(problems);
    }
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...options.servers],
        name: options.connectionName ?? `flexpaxos-${options.clusterName}-${options.nodeId}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectTimeWaitMs ?? DEFAULTS.reconnectTimeWaitMs,
        reconnectJitter: 100,
        timeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
        waitOnFirstConnect: options.waitForFirstConnect ?? false,
        // Detect a silently dead server (no TCP reset) within about 30 s.
        pingInterval: 10_000,
        maxPingOut: 3,
      });
    } catch (e) {
      throw new TransportConnectError(options.servers, e);
    }
    const transport = new NatsPeerTransport<M>(nc, options);
    try {
      await nc.flush();
    } catch (e) {
      await transport.close();
      throw new TransportConnectError(options.servers, e);
    }
    return transport;
  }

  private constructor(nc: NatsConnection, options: NatsPeerTransportOptions) {
    this.nodeId = options.nodeId;
    this.clusterName = options.clusterName;
    this.subject = peerSubject(options.clusterName, options.nodeId);
    this.#nc = nc;
    this.#frameBytesMaxOption = options.frameBytesMax;
    this.#encoder = new FrameEncoder(randomInt(0, 0x1_0000_0000));
    const nowMs = options.nowMs ?? (() => performance.now());
    const reassemblyTimeoutMs = options.reassemblyTimeoutMs ?? DEFAULTS.reassemblyTimeoutMs;
    this.#reassembler = new ChunkReassembler(
      {
        timeoutMs: reassemblyTimeoutMs,
        bytesMax: options.reassemblyBytesMax ?? DEFAULTS.reassemblyBytesMax,
        transfersPerSenderMax: DEFAULTS.transfersPerSenderMax,
      },
      nowMs,
    );
    this.#onHandlerError =
      options.onHandlerError ??
      ((error: unknown) => {
        setImmediate(() => {
          throw error;
        });
      });
    this.#onDrop = options.onDrop;
    this.#linkDelayMs = options.linkDelayMs;
    this.#expiryTimer = setInterval(
      () => {
        this.#reassembler.expire();
        this.#countReassemblyDrops();
      },
      Math.max(100, Math.floor(reassemblyTimeoutMs / 2)),
    );
    this.#expiryTimer.unref();
    this.#sub = nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (err === null) {
          this.#receive(msg);
        }
      },
    });
    void this.#watchStatus();
  }

  /** Sets the handler of inbound messages (replacing any previous one). Until set, inbound messages are dropped. */
  onMessages(handler: MessageHandler<M>): void {
    this.#handler = handler;
  }

  /** Whether the connection to NATS is currently up. */
  get connected(): boolean {
    return this.#connected && !this.#nc.isClosed();
  }

  /** The frame bound in force: the option, capped by the connected server's `max_payload`. */
  get frameBytesMax(): number {
    const serverMax = this.#nc.info?.max_payload;
    const opt = this.#frameBytesMaxOption;
    const bound = Math.min(opt ?? Number.MAX_SAFE_INTEGER, serverMax ?? opt ?? 1024 * 1024);
    return Math.max(FRAME_BYTES_MIN, bound);
  }

  /** The NATS server this transport is connected to (`host:port`). */
  get server(): string {
    return this.#nc.getServer();
  }

  /**
   * The underlying NATS connection (reconnects forever), for a host that wants to serve other
   * subjects (client requests, for example) on the same connection. The transport owns it:
   * {@link close} closes it.
   */
  get natsConnection(): NatsConnection {
    return this.#nc;
  }

  /** A snapshot of the counters. */
  metrics(): TransportMetrics {
    this.#countReassemblyDrops();
    return { ...this.#metrics };
  }

  /**
   * Sends messages to their `to` nodes. Never blocks and never throws for network reasons:
   * messages are handed to the NATS client (which writes them out on the next tick) or, when
   * the connection is down or closed, dropped and counted in `outboundDropped`.
   * Throws (assertion) when a message is not `from` this node or has an invalid `to`.
   */
  send(messages: readonly M[]): void {
    const byDestination = new Map<number, M[]>();
    for (const m of messages) {
      assert(
        m.from === this.nodeId,
        `message ${m.type} is from ${m.from}, not this node ${this.nodeId}`,
      );
      assert(isWireNodeId(m.to), `message ${m.type} has an invalid destination ${String(m.to)}`);
      let list = byDestination.get(m.to);
      if (list === undefined) {
        list = [];
        byDestination.set(m.to, list);
      }
      list.push(m);
    }
    if (this.#closing !== undefined || !this.connected) {
      this.#metrics.outboundDropped += messages.length;
      return;
    }
    const frameBytesMax = this.frameBytesMax;
    for (const [to, list] of byDestination) {
      const frames = this.#encoder.encode(this.nodeId, to, list.map(encodeEntry), frameBytesMax);
      if (this.#linkDelayMs !== undefined) {
        const delayMs = this.#linkDelayMs(to);
        assert(
          Number.isFinite(delayMs) && delayMs >= 0,
          `linkDelayMs(${to}) must be a finite number >= 0 (got ${String(delayMs)})`,
        );
        const link = this.#delayed.get(to);
        if (delayMs > 0 || link !== undefined) {
          this.#delay(to, frames, delayMs, link);
          continue;
        }
      }
      this.#publish(to, frames);
    }
  }

  /** Queues `frames` for `to` until `delayMs` from now, never ahead of earlier frames to `to`. */
  #delay(
    to: number,
    frames: readonly EncodedFrame[],
    delayMs: number,
    existing: DelayedLink | undefined,
  ): void {
    let link = existing;
    if (link === undefined) {
      link = { queue: [], timer: undefined };
      this.#delayed.set(to, link);
    }
    const last = link.queue[link.queue.length - 1];
    const dueMs = Math.max(performance.now() + delayMs, last?.dueMs ?? 0);
    link.queue.push({ dueMs, frames });
    if (link.timer === undefined) {
      this.#arm(to, link);
    }
  }

  #arm(to: number, link: DelayedLink): void {
    const head = link.queue[0];
    assert(head !== undefined, 'armed an empty delayed link');
    link.timer = setTimeout(
      () => {
        link.timer = undefined;
        const now = performance.now();
        while (link.queue.length > 0 && (link.queue[0]?.dueMs ?? Infinity) <= now + 0.5) {
          const item = link.queue.shift();
          if (item === undefined) break;
          if (this.#closing !== undefined || !this.connected) {
            this.#metrics.outboundDropped += item.frames.reduce((n, f) => n + f.messages, 0);
          } else {
            this.#publish(to, item.frames);
          }
        }
        if (link.queue.length > 0) {
          this.#arm(to, link);
        } else {
          this.#delayed.delete(to);
        }
      },
      Math.max(0, head.dueMs - performance.now()),
    );
  }

  #publish(to: number, frames: readonly EncodedFrame[]): void {
    const subject = peerSubject(this.clusterName, to);
    let sent = 0;
    try {
      for (const frame of frames) {
        this.#nc.publish(subject, frame.bytes);
        this.#metrics.bytesOut += frame.bytes.length;
        if (frame.kind === 'batch') {
          this.#metrics.batchesOut += 1;
        } else {
          this.#metrics.chunksOut += 1;
        }
        sent += frame.messages;
      }
    } catch {
      // Closed underneath us, or a server with a smaller max_payload: the rest is lost.
      this.#metrics.outboundDropped += frames.reduce((n, f) => n + f.messages, 0) - sent;
    }
    this.#metrics.messagesOut += sent;
  }

  /**
   * Flushes what was sent to the server and waits for its acknowledgement (a PING/PONG round
   * trip). Useful in tests and before shutdown; not needed for correctness.
   */
  async flush(): Promise<void> {
    await this.#nc.flush();
  }

  /**
   * Stops receiving, flushes pending output (waiting at most one second) and closes the
   * connection. Idempotent; later `send()` calls are dropped and counted.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#expiryTimer);
    for (const link of this.#delayed.values()) {
      clearTimeout(link.timer);
      this.#metrics.outboundDropped += link.queue.reduce(
        (n, item) => n + item.frames.reduce((m, f) => m + f.messages, 0),
        0,
      );
    }
    this.#delayed.clear();
    this.#handler = undefined;
    if (!this.#nc.isClosed()) {
      this.#sub.unsubscribe();
      if (this.#connected) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#nc.flush().catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, DEFAULTS.closeFlushTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
      }
      await this.#nc.close();
    }
    this.#reassembler.clear();
  }

  async #watchStatus(): Promise<void> {
    try {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect') {
          this.#connected = false;
          this.#metrics.disconnects += 1;
        } else if (status.type === 'reconnect') {
          this.#connected = true;
          this.#metrics.reconnects += 1;
        }
      }
    } catch {
      // The status stream ends with the connection; nothing to do.
    }
  }

  #drop(reason: string): void {
    this.#onDrop?.(reason);
  }

  #countReassemblyDrops(): void {
    const total = this.#reassembler.droppedTransfers;
    if (total > this.#reassemblyDroppedSeen) {
      const n = total - this.#reassemblyDroppedSeen;
      this.#reassemblyDroppedSeen = total;
      this.#metrics.inboundDropped += n;
      this.#drop(`${n} partial chunked message(s) expired or evicted`);
    }
  }

  #receive(msg: Msg): void {
    if (this.#closing !== undefined) {
      return;
    }
    const data = msg.data;
    this.#metrics.bytesIn += data.length;
    const frame = decodeFrame(data);
    switch (frame.kind) {
      case 'invalid':
        this.#metrics.decodeErrors += 1;
        this.#drop(`undecodable frame: ${frame.reason}`);
        return;
      case 'batch': {
        this.#metrics.batchesIn += 1;
        if (frame.errors.length > 0) {
          this.#metrics.decodeErrors += frame.errors.length;
          for (const e of frame.errors) {
            this.#drop(`undecodable entry from node ${frame.from}: ${e}`);
          }
        }
        if (frame.to !== this.nodeId) {
          this.#metrics.inboundDropped += frame.messages.length;
          this.#drop(`batch for node ${frame.to} received by node ${this.nodeId}`);
          return;
        }
        this.#deliver(frame.messages as M[]);
        return;
      }
      case 'chunk': {
        this.#metrics.chunksIn += 1;
        const chunk = frame.chunk;
        if (chunk.to !== this.nodeId) {
          this.#metrics.inboundDropped += 1;
          this.#drop(`chunk for node ${chunk.to} received by node ${this.nodeId}`);
          return;
        }
        const result = this.#reassembler.add(chunk);
        this.#countReassemblyDrops();
        switch (result.kind) {
          case 'pending':
          case 'duplicate':
            return;
          case 'rejected':
            this.#metrics.inboundDropped += 1;
            this.#drop(`chunk from node ${chunk.from} refused: ${result.reason}`);
            return;
          case 'complete': {
            const decoded = decodeEntry(result.entry, result.from, result.to);
            if (!decoded.ok) {
              this.#metrics.decodeErrors += 1;
              this.#drop(`undecodable chunked message from node ${result.from}: ${decoded.reason}`);
              return;
            }
            this.#deliver([decoded.message as M]);
            return;
          }
        }
      }
    }
  }

  #deliver(messages: M[]): void {
    if (messages.length === 0) {
      return;
    }
    const handler = this.#handler;
    if (handler === undefined) {
      this.#metrics.inboundDropped += messages.length;
      this.#drop(`${messages.length} message(s) arrived before a handler was set`);
      return;
    }
    this.#metrics.messagesIn += messages.length;
    try {
      handler(messages);
    } catch (e) {
      this.#metrics.handlerErrors += 1;
      this.#onHandlerError(e);
    }
  }
}

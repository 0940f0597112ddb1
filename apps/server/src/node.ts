/**
 * One FlexPaxos node: the host of a sans-IO `Replica`. It wires the core to real I/O:
 * RocksDB storage (`@flexpaxos/storage-rocksdb`), NATS peer messaging
 * (`@flexpaxos/transport-nats`), the KV state machine (`@flexpaxos/kv`), a monotonic clock,
 * NATS request-reply for clients and an HTTP endpoint for operators.
 *
 * ## The host loop (the Ready contract of `@flexpaxos/paxos`, `src/ready.ts`)
 *
 * While `replica.hasReady()`:
 * 1. `rd = replica.ready()`; send `rd.messages` at once;
 * 2. `store.persist({ request: rd.persist }, rd.messagesAfterPersist)`: the storage hands
 *    the held messages back only once the write is fsynced (group commit: one synced write in
 *    flight, the rest queued into the next batch);
 * 3. meanwhile apply `rd.committed` to the KV machine, queue its writes and the applied index
 *    as a lazy bundle after it (`{ sync: false }`: written in call order, durable with the
 *    next synced write), and answer the clients waiting for those commands (after the
 *    persist instead when it installs a snapshot, which rebuilds the KV machine);
 * 4. await the persist and send what came back (Promise, Accepted, ...);
 * 5. `replica.advance(rd)`.
 *
 * A persist the core marks `mustSync: false` (it only advances the committed index) is
 * written lazily too and not awaited: the committed index need not be
 * durable (a restarted node re-learns it from its peers), so a write is applied and answered
 * right after the Accepted quorum, without a second fsync on the leader.
 *
 * Only one ready is outstanding at a time; peer messages that arrive while a persist runs are
 * stepped into the replica and come out batched in the next ready.
 *
 * Why replying in step 3 without waiting for any fsync of this ready is safe: a committed
 * slot is durable in the logs of a phase-2 quorum (the leader counts itself only after its
 * own write is durable), and a restarted node re-applies every committed slot above its
 * durable applied index; storage recovers a prefix of the call order, so the applied index
 * is never durable ahead of the log entries it covers, and compaction's synced write makes
 * the KV state it snapshotted durable before it deletes the log below it.
 *
 * ## Time
 *
 * The core counts ticks. A timer fires every `tickMs`; the node reads `performance.now()` and
 * feeds as many ticks as real time has passed (at most 5 per firing, so a stalled event loop
 * never makes the core's clock run faster than real time in a burst larger than 5 ticks).
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Msg, Subscription } from '@nats-io/transport-node';
import {
  CLIENT_QUEUE_GROUP,
  clusterClientSubject,
  clusterStatusSubject,
  decodeRequest,
  encodeResponse,
  nodeClientSubject,
} from '@flexpaxos/client';
import type { Response } from '@flexpaxos/client';
import {
  KvStateMachine,
  commandSessionKey,
  decodeCommandView,
  encodeResult,
  validateCommand,
} from '@flexpaxos/kv';
import type { StateWrite } from '@flexpaxos/kv';
import { Replica, formatBallot } from '@flexpaxos/paxos';
import type { Message, NodeId, Ready, Role, Slot } from '@flexpaxos/paxos';
import { countingQuorum } from '@flexpaxos/quorum';
import { openStorage } from '@flexpaxos/storage-rocksdb';
import type { RocksStore } from '@flexpaxos/storage-rocksdb';
import { NatsPeerTransport } from '@flexpaxos/transport-nats';
import type { NodeConfig } from './config.js';
import type { Logger } from './logger.js';
import { counter, gauge, Histogram, LATENCY_BUCKETS_S, renderPrometheus } from './metrics.js';
import { ReadServer, leaseReport, leaseSummary, readMetrics } from './reads.js';
import type { ServerStatusReport } from './reads.js';

/** Most ticks fed per timer firing (see the module comment, "Time"). */
const TICKS_PER_FIRING_MAX = 5;
/** A client request waiting at the leader longer than this is dropped (the client retried). */
const PENDING_EXPIRY_MS = 30_000;

interface Waiter {
  /** Sends the encoded response (to the NATS reply subject, or into a batch reply). */
  readonly respond: (frame: Uint8Array) => void;
  readonly startMs: number;
}

/** Counters exported on `/metrics`. */
interface Counters {
  proposals: number;
  slotsApplied: number;
  commandsApplied: number;
  electionsWon: number;
  campaigns: number;
  clientRequests: number;
  clientBatches: number;
  clientErrors: number;
  readies: number;
  lazyPersists: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
}

/** Rebuilds the KV state machine from the store's records at `applied`. */
async function loadKv(store: RocksStore, applied: number): Promise<KvStateMachine> {
  const data: [Uint8Array, Uint8Array][] = [];
  const sessions: [Uint8Array, Uint8Array][] = [];
  for await (const r of store.records()) {
    (r.space === 'data' ? data : sessions).push([r.key, r.value]);
  }
  return KvStateMachine.fromRecords(data, sessions, applied);
}

/** Why the node stopped. */
export type StopReason = 'shutdown' | 'storage-failure' | 'fatal';

/**
 * A running node. `FlexPaxosNode.start(config, logger)` opens storage, recovers, connects
 * and starts serving; `stop()` drains and closes everything. Usable in-process (tests) and
 * from the CLI (`flexpaxos node`).
 */
export class FlexPaxosNode {
  /** The validated config the node runs with. */
  readonly config: NodeConfig;
  readonly #log: Logger;
  readonly #store: RocksStore;
  readonly #replica: Replica;
  #kv: KvStateMachine;
  #lastSnapshotIndex = 0;
  #compacting = false;
  readonly #transport: NatsPeerTransport<Message>;
  readonly #subs: Subscription[] = [];
  #http: Server | undefined;
  #httpAddress: string | null = null;
  #tickTimer: NodeJS.Timeout | undefined;
  #tickOriginMs = 0;
  #ticksFed = 0;
  #driving = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #fatal: Error | undefined;
  #role: Role = 'follower';
  readonly #pending = new Map<string, Waiter[]>();
  readonly #reads: ReadServer;
  readonly #inflightWrites = new Set<Promise<unknown>>();
  readonly #counters: Counters = {
    proposals: 0,
    slotsApplied: 0,
    commandsApplied: 0,
    electionsWon: 0,
    campaigns: 0,
    clientRequests: 0,
    clientBatches: 0,
    clientErrors: 0,
    readies: 0,
    lazyPersists: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
  };
  readonly #persistSeconds = new Histogram(LATENCY_BUCKETS_S);
  readonly #requestSeconds = new Histogram(LATENCY_BUCKETS_S);
  readonly #onStop: ((reason: StopReason, error?: Error) => void) | undefined;

  private constructor(args: {
    config: NodeConfig;
    log: Logger;
    store: RocksStore;
    replica: Replica;
    kv: KvStateMachine;
    transport: NatsPeerTransport<Message>;
    onStop: ((reason: StopReason, error?: Error) => void) | undefined;
  }) {
    this.config = args.config;
    this.#log = args.log;
    this.#store = args.store;
    this.#replica = args.replica;
    this.#kv = args.kv;
    this.#transport = args.transport;
    this.#onStop = args.onStop;
    this.#reads = new ReadServer({
      replica: args.replica,
      applied: () => this.#kv.applied,
      answer: (op) => ({ kind: 'result', result: encodeResult(this.#kv.read(op)) }),
      kick: () => this.#kick(),
    });
  }

  /**
   * Opens the data directory (refusing another cluster's or node's data), rebuilds the KV
   * state machine and the replica from it, connects to NATS and starts the loop, the clock,
   * the client subjects and HTTP. `onStop` is called once if the node stops by itself
   * (storage failure, broken invariant).
   */
  static async start(
    config: NodeConfig,
    log: Logger,
    onStop?: (reason: StopReason, error?: Error) => void,
  ): Promise<FlexPaxosNode> {
    const store = await openStorage({
      dir: config.dataDir,
      clusterId: config.cluster,
      nodeId: config.id,
    });
    let transport: NatsPeerTransport<Message> | undefined;
    try {
      const recovered = store.recovered;
      const kv = await loadKv(store, recovered.applied);
      const members = config.members as NodeId[];
      const replica = new Replica(
        {
          id: config.id as NodeId,
          members,
          quorum: countingQuorum({
            members,
            replication: config.replication,
            election: config.election,
          }),
          electionTimeoutTicks: config.electionTimeoutTicks,
          electionTimeoutJitterTicks: config.electionJitterTicks,
          heartbeatIntervalTicks: config.heartbeatIntervalTicks,
          batchCommandsMax: config.maxBatchCommands,
          batchBytesMax: config.maxBatchBytes,
          inflightSlotsMax: config.maxInflightSlots,
          thrifty: config.thrifty,
          lease: {
            clock: { nowMs: () => performance.now() },
            leaseDurationMs: config.leaseDurationMs,
            clockDriftBoundMs: config.clockDriftBoundMs,
            electionTimeoutMs: config.electionTimeoutTicks * config.tickMs,
          },
          random: { nextInt: (max: number) => (max <= 1 ? 0 : randomInt(max)) },
        },
        recovered,
      );
      log.log('info', 'recovered', {
        promised: formatBallot(recovered.hardState.promised),
        committed: recovered.hardState.committed,
        applied: recovered.applied,
        entries: recovered.entries.length,
        keys: kv.size,
      });
      transport = await NatsPeerTransport.connect<Message>({
        servers: config.nats,
        clusterName: config.cluster,
        nodeId: config.id,
        waitForFirstConnect: true,
        onDrop: (reason) => log.log('debug', 'peer frame dropped', { reason }),
        // Emulated link delay (benchmarks): no option at all when every delay is 0.
        ...(config.linkDelayMs > 0 || config.linkDelayTo.size > 0
          ? { linkDelayMs: (to: number) => config.linkDelayTo.get(to) ?? config.linkDelayMs }
          : {}),
      });
      const node = new FlexPaxosNode({ config, log, store, replica, kv, transport, onStop });
      node.#lastSnapshotIndex = recovered.snapshot?.index ?? 0;
      await node.#serve();
      // A compacted log: hand the replica a snapshot again so it can serve laggards.
      if (node.#lastSnapshotIndex > 0) node.#startCompaction();
      return node;
    } catch (err) {
      await transport?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  /** `http://host:port` of the HTTP endpoint, or null when HTTP is disabled. */
  get httpAddress(): string | null {
    return this.#httpAddress;
  }

  /** The node's status report (what `status` requests and `/status` return). */
  status(): ServerStatusReport {
    const s = this.#replica.status();
    const lease = leaseReport(s.lease, performance.now(), formatBallot);
    return {
      id: this.config.id,
      cluster: this.config.cluster,
      role: s.role,
      ballot: formatBallot(s.ballot),
      leader: s.leader ?? null,
      committed: s.committed,
      applied: s.applied,
      members: this.config.members,
      replication: this.config.replication,
      election: this.config.election,
      lease: leaseSummary(lease),
      pid: process.pid,
      http: this.#httpAddress,
      leaseState: lease,
      reads: { ...this.#reads.counts },
    };
  }

  /**
   * Drains and stops: stops taking client requests (pending ones are told `unavailable`),
   * lets the running ready finish, waits for queued writes, closes NATS, storage and HTTP.
   * Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  // ------------------------------------------------------------------ serving

  async #serve(): Promise<void> {
    this.#transport.onMessages((messages) => {
      if (this.#stopping) return;
      for (const m of messages) this.#replica.step(m);
      this.#kick();
    });
    const nc = this.#transport.natsConnection;
    const { cluster, id } = this.config;
    const handler = (err: Error | null, msg: Msg): void => {
      if (err !== null) {
        this.#log.log('warn', 'client subscription error', { error: err });
        return;
      }
      this.#onClientRequest(msg);
    };
    this.#subs.push(nc.subscribe(nodeClientSubject(cluster, id), { callback: handler }));
    this.#subs.push(
      nc.subscribe(clusterClientSubject(cluster), { queue: CLIENT_QUEUE_GROUP, callback: handler }),
    );
    this.#subs.push(nc.subscribe(clusterStatusSubject(cluster), { callback: handler }));
    await nc.flush();

    if (this.config.httpPort >= 0) {
      const server = createServer((req, res) => this.#onHttp(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.httpPort, this.config.httpHost, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      this.#http = server;
      this.#httpAddress = `http://${addr.address}:${addr.port}`;
    }

    this.#tickOriginMs = performance.now();
    this.#tickTimer = setInterval(() => this.#onTimer(), this.config.tickMs);
    this.#log.log('info', 'node started', {
      members: this.config.members,
      P: this.config.replication,
      L: this.config.election,
      nats: this.config.nats,
      http: this.#httpAddress,
      tickMs: this.config.tickMs,
    });
    this.#kick();
  }

  #onTimer(): void {
    if (this.#stopping) return;
    const due = Math.floor((performance.now() - this.#tickOriginMs) / this.config.tickMs);
    let n = due - this.#ticksFed;
    if (n > TICKS_PER_FIRING_MAX) {
      // The event loop stalled: drop the excess so the core's clock never bursts ahead.
      this.#ticksFed = due - TICKS_PER_FIRING_MAX;
      n = TICKS_PER_FIRING_MAX;
    }
    for (let i = 0; i < n; i++) {
      this.#replica.tick();
      this.#ticksFed++;
    }
    if (n > 0) {
      this.#observeRole();
      this.#kick();
    }
    if (this.#pending.size > 0) this.#expirePending();
  }

  #kick(): void {
    if (this.#driving || this.#stopping) return;
    if (!this.#replica.hasReady()) return;
    this.#driving = true;
    this.#drive().then(
      () => {
        this.#driving = false;
        this.#observeRole();
        // Anything stepped in after the last hasReady() check.
        if (!this.#stopping) this.#kick();
      },
      (err: unknown) => {
        this.#driving = false;
        this.#fail(err);
      },
    );
  }

  /** The host loop: see the module comment. */
  async #drive(): Promise<void> {
    while (this.#replica.hasReady() && this.#fatal === undefined) {
      const rd = this.#replica.ready();
      this.#counters.readies++;
      if (rd.messages.length > 0) this.#transport.send(rd.messages);
      let after: readonly Message[] = rd.messagesAfterPersist;
      let applied = false;
      if (rd.persist !== undefined && !rd.mustSync) {
        // The core's persist policy: only the committed index moved. It need not be durable
        // (a restarted node re-learns it), so it is written lazily in call order, without an
        // fsync of its own, and nothing waits for it (see the module comment).
        this.#track(this.#store.persist({ request: rd.persist }, undefined, { sync: false }));
        this.#counters.lazyPersists++;
      } else if (rd.persist !== undefined) {
        const t0 = performance.now();
        const synced = this.#store.persist({ request: rd.persist }, rd.messagesAfterPersist);
        const installed = rd.persist.snapshot;
        if (installed === undefined) {
          // Committed slots are chosen (durable on a phase-2 quorum): apply and answer them
          // now, while this ready's own write is in flight; their KV bundle is queued after it.
          this.#apply(rd);
          applied = true;
        }
        after = await synced;
        this.#persistSeconds.observe((performance.now() - t0) / 1000);
        if (installed !== undefined) {
          // The store replaced the KV records atomically; rebuild the machine from them
          // before applying the committed entries above the snapshot.
          this.#kv = await loadKv(this.#store, installed.meta.index);
          this.#lastSnapshotIndex = installed.meta.index;
          this.#counters.snapshotsInstalled++;
          this.#log.log('info', 'installed snapshot', {
            index: installed.meta.index,
            keys: this.#kv.size,
          });
        }
      }
      if (after.length > 0) this.#transport.send(after);
      if (!applied) this.#apply(rd);
      this.#reads.onReady(rd);
      this.#replica.advance(rd);
      this.#reads.afterAdvance();
      const interval = this.config.snapshotIntervalSlots;
      if (interval > 0 && this.#kv.applied - this.#lastSnapshotIndex >= interval)
        this.#startCompaction();
    }
  }

  /**
   * Snapshot and compaction, off the host loop: a point-in-time snapshot stream of the durable
   * KV state (`createSnapshot`: its index is the durable applied index, never above the
   * replica's), handed to the replica (which truncates its log and serves the snapshot to
   * laggards) and recorded in storage (`compact`: log at or below the index deleted). After a
   * restart this also hands the replica a snapshot again.
   */
  #startCompaction(): void {
    if (this.#compacting || this.#stopping) return;
    this.#compacting = true;
    this.#compact().then(
      () => {
        this.#compacting = false;
        this.#kick();
      },
      (err: unknown) => {
        this.#compacting = false;
        this.#fail(err);
      },
    );
  }

  async #compact(): Promise<void> {
    const t0 = performance.now();
    const snap = await this.#store.createSnapshot({ maxChunkBytes: 256 * 1024 });
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const c of snap.chunks) {
      parts.push(c);
      size += c.byteLength;
    }
    const index = snap.meta.index;
    if (index === 0 || index < this.#replica.status().snapshotIndex || this.#stopping) return;
    const data = new Uint8Array(size);
    let off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.byteLength;
    }
    this.#replica.compact({ meta: { index }, data });
    await this.#store.compact(index);
    this.#lastSnapshotIndex = index;
    this.#counters.snapshotsTaken++;
    this.#log.log('info', 'snapshot taken, log compacted', {
      index,
      bytes: size,
      ms: Math.round(performance.now() - t0),
    });
  }

  #apply(rd: Ready): void {
    if (rd.committed.length === 0) return;
    const writes: StateWrite[] = [];
    let applied: Slot | undefined;
    for (const entry of rd.committed) {
      const r = this.#kv.applySlot(entry.slot, entry.value);
      for (const w of r.writes) writes.push(w);
      applied = entry.slot;
      this.#counters.slotsApplied++;
      if (entry.value.kind !== 'commands') continue;
      this.#counters.commandsApplied += entry.value.commands.length;
      if (this.#pending.size === 0) continue;
      const commands = entry.value.commands;
      for (let i = 0; i < commands.length; i++) {
        const key = commandSessionKey(commands[i] ?? new Uint8Array(0));
        const reply = r.replies[i];
        if (key === undefined || reply === undefined) continue;
        const waiters = this.#pending.get(key);
        if (waiters === undefined) continue;
        this.#pending.delete(key);
        this.#answer(waiters, { kind: 'result', result: reply });
      }
    }
    // Lazy: written in call order, durable with the next synced write (re-applied from the
    // log after a crash before that).
    this.#track(this.#store.persist({ stateWrites: writes, applied }, undefined, { sync: false }));
  }

  /** Keeps a write nobody awaits in `#inflightWrites` (drained at stop); a failure stops the node. */
  #track(p: Promise<unknown>): void {
    this.#inflightWrites.add(p);
    p.then(
      () => this.#inflightWrites.delete(p),
      (err: unknown) => {
        this.#inflightWrites.delete(p);
        this.#fail(err);
      },
    );
  }

  #answer(waiters: readonly Waiter[], response: Response): void {
    const frame = encodeResponse(response);
    const now = performance.now();
    for (const w of waiters) {
      w.respond(frame);
      this.#requestSeconds.observe((now - w.startMs) / 1000);
    }
  }

  #observeRole(): void {
    if (this.#replica.role === this.#role) return;
    const s = this.#replica.status();
    const was = this.#role;
    this.#role = s.role;
    if (s.role === 'candidate') this.#counters.campaigns++;
    if (s.role === 'leader') this.#counters.electionsWon++;
    this.#log.log('info', 'role changed', {
      from: was,
      to: s.role,
      ballot: formatBallot(s.ballot),
      leader: s.leader,
    });
    if (was === 'leader') {
      // Proposals may or may not be chosen: clients retry elsewhere with the same session.
      const leader = s.leader === this.config.id ? undefined : s.leader;
      for (const waiters of this.#pending.values())
        this.#answer(waiters, { kind: 'not-leader', leader });
      this.#pending.clear();
    }
  }

  #expirePending(): void {
    const limit = performance.now() - PENDING_EXPIRY_MS;
    for (const [key, waiters] of this.#pending) {
      const live = waiters.filter((w) => w.startMs >= limit);
      if (live.length === 0) this.#pending.delete(key);
      else if (live.length !== waiters.length) this.#pending.set(key, live);
    }
  }

  #onClientRequest(msg: Msg): void {
    this.#counters.clientRequests++;
    const req = decodeRequest(msg.data);
    if (req.ok && req.value.kind === 'batch') {
      // Coalesced requests: answer all of them in one reply, in order, once each is answered.
      this.#counters.clientBatches++;
      const items = req.value.items;
      const replies: (Uint8Array | undefined)[] = items.map(() => undefined);
      let left = items.length;
      if (left === 0) {
        msg.respond(encodeResponse({ kind: 'batch', items: [] }));
        return;
      }
      items.forEach((item, i) => {
        this.#handleRequest(item, true, (frame) => {
          if (replies[i] !== undefined) return;
          replies[i] = frame;
          if (--left === 0) {
            msg.respond(
              encodeResponse({ kind: 'batch', items: replies.map((r) => r ?? new Uint8Array()) }),
            );
          }
        });
      });
      return;
    }
    this.#handleRequest(msg.data, false, (frame) => msg.respond(frame));
  }

  #handleRequest(data: Uint8Array, inBatch: boolean, reply: (frame: Uint8Array) => void): void {
    const respond = (r: Response): void => {
      if (r.kind === 'error') this.#counters.clientErrors++;
      reply(encodeResponse(r));
    };
    const req = decodeRequest(data);
    if (!req.ok) {
      respond({ kind: 'error', code: 'bad-request', message: req.error });
      return;
    }
    if (req.value.kind === 'batch' || (inBatch && req.value.kind === 'status')) {
      respond({
        kind: 'error',
        code: 'bad-request',
        message: 'a batch may hold only command requests',
      });
      return;
    }
    if (req.value.kind === 'status') {
      respond({ kind: 'status', status: this.status() });
      return;
    }
    if (this.#stopping) {
      respond({
        kind: 'error',
        code: 'unavailable',
        message: `node ${this.config.id} is shutting down`,
      });
      return;
    }
    const { readMode, command } = req.value;
    // Views of `command` (not copied): only checked here; the log keeps `command` itself.
    const decoded = decodeCommandView(command);
    if (!decoded.ok) {
      respond({
        kind: 'error',
        code: 'bad-request',
        message: `command does not decode: ${decoded.error}`,
      });
      return;
    }
    const cmd = decoded.value;
    const problems = validateCommand(cmd);
    if (problems.length > 0) {
      respond({
        kind: 'result',
        result: encodeResult({ type: 'error', code: 'invalid', message: problems.join('; ') }),
      });
      return;
    }
    const op = cmd.op;
    if (op.type === 'get' || op.type === 'range') {
      // Reads never go through the log: see src/reads.ts.
      if (readMode === 'stale') this.#reads.serveStale(op, respond);
      else this.#reads.serve(op, readMode === 'quorum' ? 'quorum' : 'lease', respond);
      return;
    }
    if (cmd.session === undefined) {
      respond({
        kind: 'error',
        code: 'bad-request',
        message: 'a write needs a session (client id and seq)',
      });
      return;
    }
    if (this.#replica.role !== 'leader') {
      const leader = this.#replica.leader;
      respond({ kind: 'not-leader', leader: leader === this.config.id ? undefined : leader });
      return;
    }
    const bytes = command;
    const key = commandSessionKey(bytes);
    if (key === undefined) {
      respond({ kind: 'error', code: 'bad-request', message: 'command has no session' });
      return;
    }
    const proposed = this.#replica.propose(bytes);
    if (proposed.kind === 'not-leader') {
      respond({ kind: 'not-leader', leader: proposed.leaderHint });
      return;
    }
    this.#counters.proposals++;
    const waiters = this.#pending.get(key);
    const w: Waiter = { respond: reply, startMs: performance.now() };
    if (waiters === undefined) this.#pending.set(key, [w]);
    else waiters.push(w);
    this.#kick();
  }

  // ------------------------------------------------------------------ HTTP

  #onHttp(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    switch (path) {
      case '/health':
        if (this.#fatal === undefined && !this.#stopping) send(200, 'text/plain', 'ok\n');
        else send(503, 'text/plain', `unhealthy: ${this.#fatal?.message ?? 'stopping'}\n`);
        return;
      case '/ready': {
        const s = this.#replica.status();
        const ready =
          s.leader !== undefined && s.applied === s.committed && this.#fatal === undefined;
        send(
          ready ? 200 : 503,
          'text/plain',
          ready ? 'ready\n' : 'not ready: no leader or not caught up\n',
        );
        return;
      }
      case '/status':
        send(200, 'application/json', `${JSON.stringify(this.status())}\n`);
        return;
      case '/metrics':
        send(200, 'text/plain; version=0.0.4', this.#metricsText());
        return;
      default:
        send(404, 'text/plain', 'not found: try /health, /ready, /status, /metrics\n');
    }
  }

  #metricsText(): string {
    const s = this.#replica.status();
    const t = this.#transport.metrics();
    const st = this.#store.stats();
    const c = this.#counters;
    return renderPrometheus(
      [
        counter('proposals_total', 'Client commands proposed by this node as leader', c.proposals),
        counter('slots_applied_total', 'Log slots applied to the state machine', c.slotsApplied),
        counter('commands_applied_total', 'Client commands applied', c.commandsApplied),
        counter('elections_won_total', 'Times this node became leader', c.electionsWon),
        counter('campaigns_total', 'Times this node started phase 1', c.campaigns),
        counter('client_requests_total', 'Client requests received', c.clientRequests),
        counter(
          'client_batches_total',
          'Client NATS messages that carried several coalesced requests',
          c.clientBatches,
        ),
        counter(
          'client_errors_total',
          'Client requests answered with an error frame',
          c.clientErrors,
        ),
        counter('readies_total', 'Ready bundles handled', c.readies),
        counter('snapshots_taken_total', 'Snapshots taken (log compactions)', c.snapshotsTaken),
        counter(
          'snapshots_installed_total',
          'Snapshots received from a peer and installed',
          c.snapshotsInstalled,
        ),
        counter('synced_writes_total', 'Synced RocksDB write batches (fsyncs)', st.syncedWrites),
        counter(
          'unsynced_writes_total',
          'RocksDB writes of lazy bundles only (no fsync)',
          st.unsyncedWrites,
        ),
        counter(
          'synced_write_seconds_total',
          'Time in synced RocksDB writes (event-loop thread)',
          st.syncedWriteMs / 1000,
        ),
        counter(
          'unsynced_write_seconds_total',
          'Time in unsynced RocksDB writes',
          st.unsyncedWriteMs / 1000,
        ),
        counter(
          'lazy_commit_persists_total',
          'Readies whose persist only advanced the committed index (written lazily)',
          c.lazyPersists,
        ),
        counter('bundles_written_total', 'Persist bundles written', st.bundlesWritten),
        counter('peer_messages_out_total', 'Peer messages handed to NATS', t.messagesOut),
        counter('peer_messages_in_total', 'Peer messages received', t.messagesIn),
        counter('peer_messages_dropped_out_total', 'Peer messages not sent', t.outboundDropped),
        counter(
          'peer_messages_dropped_in_total',
          'Peer frames dropped on receipt',
          t.inboundDropped,
        ),
        counter(
          'peer_decode_errors_total',
          'Peer frames or entries that did not decode',
          t.decodeErrors,
        ),
        counter('peer_batches_out_total', 'Peer batch frames published', t.batchesOut),
        gauge('is_leader', '1 when this node leads', s.role === 'leader' ? 1 : 0),
        gauge('committed_index', 'Committed index', s.committed),
        gauge('applied_index', 'Applied index', s.applied),
        gauge('ballot_round', 'Round of the promised ballot', s.ballot.round),
        gauge(
          'pending_client_requests',
          'Client requests waiting for their command to apply',
          this.#pending.size,
        ),
        gauge('inflight_slots', 'Proposed, not yet committed slots (leader)', s.inflightSlots),
        ...readMetrics(this.#reads.counts, s.lease, this.#reads.waiting),
      ],
      [
        {
          name: 'flexpaxos_persist_seconds',
          help: 'Time to make one ready durable (fsync, group commit)',
          h: this.#persistSeconds,
        },
        {
          name: 'flexpaxos_request_seconds',
          help: 'Leader: client request to reply',
          h: this.#requestSeconds,
        },
        {
          name: 'flexpaxos_read_lease_seconds',
          help: 'Leader: lease read request to reply',
          h: this.#reads.seconds.lease,
        },
        {
          name: 'flexpaxos_read_quorum_seconds',
          help: 'Leader: quorum read (and lease fallback) request to reply',
          h: this.#reads.seconds.quorum,
        },
      ],
    );
  }

  // ------------------------------------------------------------------ stopping

  #fail(err: unknown): void {
    if (this.#fatal !== undefined) return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.#fatal = error;
    const storageFailed = this.#store.failure !== undefined;
    this.#log.log(
      'error',
      storageFailed ? 'storage failed: stopping (fail-stop)' : 'fatal error: stopping',
      {
        error,
        stack: error.stack,
      },
    );
    void this.stop().finally(() =>
      this.#onStop?.(storageFailed ? 'storage-failure' : 'fatal', error),
    );
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    if (this.#tickTimer !== undefined) clearInterval(this.#tickTimer);
    for (const sub of this.#subs) sub.unsubscribe();
    for (const waiters of this.#pending.values()) {
      this.#answer(waiters, {
        kind: 'error',
        code: 'unavailable',
        message: `node ${this.config.id} is shutting down`,
      });
    }
    this.#pending.clear();
    this.#reads.failAll({
      kind: 'error',
      code: 'unavailable',
      message: `node ${this.config.id} is shutting down`,
    });
    // Let the running ready finish (bounded wait) so its replies leave.
    const t0 = performance.now();
    while (this.#driving && performance.now() - t0 < 2000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.allSettled([...this.#inflightWrites]);
    await this.#transport.close().catch(() => undefined);
    await this.#store.close().catch(() => undefined);
    if (this.#http !== undefined) {
      const http = this.#http;
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
    this.#log.log('info', 'node stopped', {
      reason: this.#fatal === undefined ? 'shutdown' : 'fatal',
    });
  }
}

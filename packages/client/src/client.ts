/**
 * `FlexPaxosClient`: a TypeScript client of a FlexPaxos cluster over NATS request-reply.
 *
 * - **Leader discovery.** The first request goes to the cluster's shared subject (one node of
 *   the queue group answers); a follower answers "not leader, the leader is n", and the client
 *   sends there next and remembers it. A lost leader (no responders, timeout) is forgotten and
 *   the shared subject is asked again, with a short capped backoff.
 * - **Exactly once** (Ongaro's thesis §6.3). Every write carries a session registered through
 *   the log (`open-session`: the cluster assigns an id it never hands out again) and a
 *   sequence number; a retry sends the same bytes, and the state machine answers a retry from
 *   its session table. A session has at most one command outstanding, so concurrent writes
 *   from one client take separate sessions from a pool, opened lazily (one `open-session`
 *   round trip per new session, in parallel when many callers start at once, then none per
 *   write). A write whose session the cluster forgot (expired, evicted) while the write was
 *   being retried throws `IndeterminateError`; one never sent before is simply sent under a
 *   new session. Idle pooled sessions are kept alive (`session-keepalive`) and closed on
 *   `close()`; see {@link SESSION_KEEPALIVE_MS}.
 * - **Per-call timeouts.** Each call has a deadline (`timeoutMs`, default 5 s); one attempt
 *   waits at most `attemptTimeoutMs` (default 1 s) before retrying elsewhere.
 */
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  RANGE_LIMIT_MAX,
  bytesToUtf8,
  decodeReply,
  encodeCommand,
  kvCas,
  kvCommand,
  kvDelete,
  kvGet,
  kvLeaseGrant,
  kvLeaseKeepalive,
  kvLeaseList,
  kvLeaseRevoke,
  kvLeaseTtl,
  kvCloseSession,
  kvOpenSession,
  kvPut,
  kvRange,
  kvSessionCommand,
  kvSessionKeepalive,
  toBytes,
  validateCommand,
} from '@flexpaxos/kv';
import type { KvCommand, KvCommandOp, KvQueryOp, KvReply, SessionId } from '@flexpaxos/kv';
import { toEntry } from './entry.js';
import type { Entry } from './entry.js';
import {
  ClientClosedError,
  IndeterminateError,
  InvalidArgumentError,
  InvalidKeyError,
  LeaseNotFoundError,
  RejectedError,
  TimeoutError,
  UnavailableError,
  ValueTooLargeError,
} from './errors.js';
import {
  clusterClientSubject,
  clusterStatusSubject,
  decodeResponse,
  encodeRequest,
  nodeClientSubject,
} from './protocol.js';
import type { NodeStatusReport, ReadMode, Response } from './protocol.js';
import { adminRequestProblems } from './admin.js';
import type { AdminReply, AdminRequest } from './admin.js';
import { checkLeaseId } from './leases.js';
import type {
  LeaseGrantOutcome,
  LeaseKeepaliveOutcome,
  LeaseListOutcome,
  LeaseRevokeOutcome,
  LeaseTtlOutcome,
} from './leases.js';
import { buildTxn, txnOutcome } from './txn.js';
import type { TxnOutcome, TxnSpec } from './txn.js';

export type { Entry } from './entry.js';
import { Watch, isNoResponders } from './watch.js';
import type { WatchContext, WatchOptions } from './watch.js';

/** Default deadline of an admin request: adding a node waits for it to catch up. */
export const ADMIN_TIMEOUT_MS = 60_000;

/** Options of {@link FlexPaxosClient.connect}. */
export interface ClientOptions {
  /** NATS URLs of the deployment the cluster uses. */
  readonly servers: readonly string[];
  /** The FlexPaxos cluster name. */
  readonly cluster: string;
  /** Default deadline of one call. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Longest wait for one attempt before trying again. Default 1 000 ms. */
  readonly attemptTimeoutMs?: number;
  /**
   * A name of this client, 1..100 bytes (default: a random id). Session ids are assigned by the
   * cluster (`open-session`), so it no longer names sessions; it is checked and kept for
   * callers that still pass it.
   */
  readonly clientId?: string;
  /** Name shown by NATS monitoring. */
  readonly name?: string;
}

/** Options of one call. */
export interface CallOptions {
  /** This call's deadline; default the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

/** Options of a read. */
export interface ReadOptions extends CallOptions {
  /** `lease` (default), `quorum` or `stale`; see the design brief, "Reads". */
  readonly readMode?: ReadMode;
}

/** Options of `put`. */
export interface PutOptions extends CallOptions {
  /** Attach the key to this key lease (see `leaseGrant`); without, it is detached from any. */
  readonly lease?: number;
}

/** Result of `put`. */
export interface PutOutcome {
  readonly version: number;
  readonly revision: number;
}
/** Result of `delete`. */
export interface DeleteOutcome {
  readonly deleted: boolean;
  readonly prevVersion: number;
  readonly revision: number;
}
/** Result of `cas`: on failure the key's current version and revision (0 when absent). */
export interface CasOutcome {
  readonly succeeded: boolean;
  readonly version: number;
  readonly revision: number;
}
/** Result of `range`. */
export interface RangeOutcome {
  readonly entries: readonly Entry[];
  /** More keys matched than `limit`. */
  readonly more: boolean;
}

/** Most item bytes coalesced into one NATS message. */
const BATCH_BYTES_MAX = 256 * 1024;

interface Queued {
  readonly frame: Uint8Array;
  readonly timeoutMs: number;
  readonly resolve: (data: Uint8Array) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * How often the client looks at its idle pooled sessions, and how long one may go unused
 * before it gets a `session-keepalive`: a pooled session is used at least every 2 x 5 s = 10 s
 * (plus the keep-alive's own round trip).
 *
 * The cluster expires a session by log time, not wall time: unused for
 * `KvConfig.sessionExpirySlots` slots, 1,000,000 on every server (`@flexpaxos/server` keeps the
 * default). To go 1,000,000 slots in 10 s the log would have to move 100,000 slots a second;
 * a slot is one fsynced phase-2 round holding a whole batch of commands, and the fastest
 * measured cluster (apps/bench) commits about 15,000 commands a second in far fewer slots, so
 * an idle client's sessions cannot expire under normal write rates, with a margin of more than
 * 6x even at one command per slot. As a second guard, a session is also kept alive as soon as
 * the revisions this client sees in its replies have moved {@link SESSION_KEEPALIVE_SLOTS} past
 * the session's last use.
 */
export const SESSION_KEEPALIVE_MS = 5000;
/** Log slots past a pooled session's last use after which it is kept alive at the next look. */
export const SESSION_KEEPALIVE_SLOTS = 100_000;
/**
 * A pooled session that has carried no write for this long is closed rather than kept alive,
 * unless it is the one used last (always kept): a burst of concurrent writes does not leave a
 * large pool sending keep-alives forever.
 */
export const SESSION_IDLE_CLOSE_MS = 60_000;
/** Longest wait of `close()` for its `close-session` commands (best effort). */
export const SESSION_CLOSE_WAIT_MS = 500;

/** The bytes of every `open-session` command. */
const OPEN_SESSION_COMMAND = encodeCommand(kvCommand(kvOpenSession()));

/** A session registered through the log, pooled while no command of it is outstanding. */
interface Session {
  readonly id: SessionId;
  /** The seq of the last command sent under it. */
  seq: number;
  /** When a command (a keep-alive included) was last sent under it. */
  usedMs: number;
  /** When a write (not a keep-alive) was last sent under it. */
  wroteMs: number;
  /** The revision of its last reply: the log position of its last use, as far as known. */
  revision: number;
}

/**
 * How many sendings of one command's frame may have been proposed: every attempt of `#call`
 * except those nobody received and redirects from a node that did not propose it.
 */
interface Sends {
  count: number;
}

/** The revision of a reply that carries one (writes, session commands). */
function replyRevision(r: KvReply): number | undefined {
  return 'revision' in r && typeof r.revision === 'number' ? r.revision : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Checks a command locally and throws the matching typed error. */
function checkCommand(command: KvCommand): void {
  const problems = validateCommand(command);
  if (problems.length === 0) return;
  const all = problems.join('; ');
  if (problems.some((p) => p.startsWith('value'))) throw new ValueTooLargeError(all);
  if (problems.some((p) => p.startsWith('key') || p.startsWith('prefix'))) {
    throw new InvalidKeyError(all);
  }
  throw new InvalidArgumentError(all);
}

/** A client of one FlexPaxos cluster. Create with {@link FlexPaxosClient.connect}. */
export class FlexPaxosClient {
  /** The cluster name. */
  readonly cluster: string;
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #timeoutMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #clientId: string;
  /** Idle sessions, the one used last at the end (taken first). */
  readonly #freeSessions: Session[] = [];
  #sessionsOpened = 0;
  /** The highest revision seen in a reply. */
  #revision = 0;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #leader: number | undefined;
  /** `close()` began: calls are refused, its own `close-session`s still go out. */
  #closing = false;
  #closed = false;
  readonly #queues = new Map<string, Queued[]>();
  #batchesSent = 0;
  /** Running watches (`watch.ts`), closed with the client. */
  readonly #watches = new Set<Watch>();

  private constructor(
    nc: NatsConnection,
    ownsConnection: boolean,
    options: Omit<ClientOptions, 'servers'>,
  ) {
    this.#nc = nc;
    this.#ownsConnection = ownsConnection;
    this.cluster = options.cluster;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 1000;
    this.#clientId = options.clientId ?? randomUUID();
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1) {
      throw new InvalidArgumentError('timeoutMs: must be a positive integer');
    }
    if (!Number.isSafeInteger(this.#attemptTimeoutMs) || this.#attemptTimeoutMs < 1) {
      throw new InvalidArgumentError('attemptTimeoutMs: must be a positive integer');
    }
    if (this.#clientId.length === 0 || Buffer.byteLength(this.#clientId) > 100) {
      throw new InvalidArgumentError('clientId: must be 1..100 bytes');
    }
  }

  /** Connects to NATS and returns a client of `options.cluster`. Throws `UnavailableError` when NATS is unreachable. */
  static async connect(options: ClientOptions): Promise<FlexPaxosClient> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: [...options.servers],
        name: options.name ?? `flexpaxos-client-${options.cluster}`,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
    } catch (err) {
      throw new UnavailableError(
        `cannot connect to NATS at ${options.servers.join(', ')}: ${String(err)}`,
        { cause: err },
      );
    }
    return new FlexPaxosClient(nc, true, options);
  }

  /** A client over an existing NATS connection (not closed by `close()`). */
  static fromConnection(
    nc: NatsConnection,
    options: Omit<ClientOptions, 'servers'>,
  ): FlexPaxosClient {
    return new FlexPaxosClient(nc, false, options);
  }

  /** The leader this client currently sends to, if it knows one. */
  get leader(): number | undefined {
    return this.#leader;
  }

  /** The client's name (`ClientOptions.clientId`). */
  get clientId(): string {
    return this.#clientId;
  }

  /** Sessions this client opened so far (one per concurrent writer, plus replacements). */
  get sessionsOpened(): number {
    return this.#sessionsOpened;
  }

  /** Sessions pooled now (open, with no command outstanding). */
  get sessionsIdle(): number {
    return this.#freeSessions.length;
  }

  /** Reads one key; `undefined` when absent. */
  async get(key: string | Uint8Array, options: ReadOptions = {}): Promise<Entry | undefined> {
    const r = await this.#read(kvGet(key), options);
    if (r.type !== 'get')
      throw new RejectedError('bad-reply', `expected a get result, got ${r.type}`);
    return r.kv === undefined ? undefined : toEntry(r.kv);
  }

  /** Reads up to `limit` (default 1 000) keys starting with `prefix`, in byte order. */
  async range(
    prefix: string | Uint8Array,
    options: ReadOptions & { readonly limit?: number } = {},
  ): Promise<RangeOutcome> {
    const r = await this.#read(
      kvRange(prefix, options.limit ?? Math.min(1000, RANGE_LIMIT_MAX)),
      options,
    );
    if (r.type !== 'range')
      throw new RejectedError('bad-reply', `expected a range result, got ${r.type}`);
    return { entries: r.kvs.map(toEntry), more: r.more };
  }

  /**
   * Writes `value` at `key`, attached to key lease `options.lease` when given (a
   * `LeaseNotFoundError` if it does not exist). Exactly once, also across retries.
   */
  async put(
    key: string | Uint8Array,
    value: string | Uint8Array,
    options: PutOptions = {},
  ): Promise<PutOutcome> {
    const lease = options.lease === undefined ? undefined : checkLeaseId(options.lease);
    const r = await this.#write(kvPut(key, value, lease), options);
    if (r.type !== 'put')
      throw new RejectedError('bad-reply', `expected a put result, got ${r.type}`);
    return { version: r.version, revision: r.revision };
  }

  /** Deletes `key` (no effect when absent). */
  async delete(key: string | Uint8Array, options: CallOptions = {}): Promise<DeleteOutcome> {
    const r = await this.#write(kvDelete(key), options);
    if (r.type !== 'delete')
      throw new RejectedError('bad-reply', `expected a delete result, got ${r.type}`);
    return { deleted: r.deleted, prevVersion: r.prevVersion, revision: r.revision };
  }

  /**
   * Writes `value` at `key` only if the key's version is `expectedVersion` (0: only if
   * absent). A mismatch is a result (`succeeded: false`), not an exception.
   */
  async cas(
    key: string | Uint8Array,
    expectedVersion: number,
    value: string | Uint8Array,
    options: CallOptions = {},
  ): Promise<CasOutcome> {
    const r = await this.#write(kvCas(key, expectedVersion, value), options);
    if (r.type !== 'cas')
      throw new RejectedError('bad-reply', `expected a cas result, got ${r.type}`);
    return { succeeded: r.succeeded, version: r.version, revision: r.revision };
  }

  // ------------------------------------------------- transactions and key leases

  /**
   * An atomic transaction (etcd's `Txn`): if every compare holds, `success` runs, else
   * `failure`, in order, at one revision. Exactly once, like every write. The results are the
   * outcomes of the branch that ran (a get after a put of the same branch sees the put).
   */
  async txn(spec: TxnSpec, options: CallOptions = {}): Promise<TxnOutcome> {
    const r = await this.#write(buildTxn(spec), options);
    if (r.type !== 'txn')
      throw new RejectedError('bad-reply', `expected a txn result, got ${r.type}`);
    return txnOutcome(r);
  }

  /**
   * Grants a key lease of `ttlMs` (1 s .. 30 days). Keys put with `{ lease }` are deleted when
   * it is revoked or expires; keep it alive with {@link leaseKeepalive} well within `ttlMs`.
   */
  async leaseGrant(ttlMs: number, options: CallOptions = {}): Promise<LeaseGrantOutcome> {
    const r = await this.#write(kvLeaseGrant(ttlMs), options);
    if (r.type !== 'lease-grant')
      throw new RejectedError('bad-reply', `expected a lease-grant result, got ${r.type}`);
    return { lease: r.lease, ttlMs: r.ttlMs, revision: r.revision };
  }

  /**
   * Renews `lease` for its full TTL, counted from when this call was sent. Answered by the
   * leader's lessor alone (never through the log). A lease whose deadline has passed is never
   * renewed: `LeaseNotFoundError`.
   */
  async leaseKeepalive(lease: number, options: CallOptions = {}): Promise<LeaseKeepaliveOutcome> {
    const command = kvCommand(kvLeaseKeepalive(checkLeaseId(lease)));
    checkCommand(command);
    const r = await this.#call(encodeCommand(command), 'none', options.timeoutMs);
    if (r.type !== 'lease-keepalive')
      throw new RejectedError('bad-reply', `expected a lease-keepalive result, got ${r.type}`);
    return { lease: r.lease, ttlMs: r.ttlMs };
  }

  /** Revokes `lease` and deletes every key attached to it (`LeaseNotFoundError` if it is gone). */
  async leaseRevoke(lease: number, options: CallOptions = {}): Promise<LeaseRevokeOutcome> {
    const r = await this.#write(kvLeaseRevoke(checkLeaseId(lease)), options);
    if (r.type !== 'lease-revoke')
      throw new RejectedError('bad-reply', `expected a lease-revoke result, got ${r.type}`);
    return { deleted: r.deleted, revision: r.revision };
  }

  /**
   * `lease`'s TTL, grant revision, the time it has left (from the leader's lessor) and, with
   * `keys: true`, its keys. A read: `readMode` as for `get`.
   */
  async leaseTtl(
    lease: number,
    options: ReadOptions & { readonly keys?: boolean } = {},
  ): Promise<LeaseTtlOutcome> {
    const r = await this.#read(kvLeaseTtl(checkLeaseId(lease), options.keys === true), options);
    if (r.type !== 'lease-ttl')
      throw new RejectedError('bad-reply', `expected a lease-ttl result, got ${r.type}`);
    return {
      lease: r.lease,
      ttlMs: r.ttlMs,
      grantedRevision: r.grantedRevision,
      remainingMs: r.remainingMs,
      keys: r.keys.map(bytesToUtf8),
    };
  }

  /** Every live key lease with its TTL, by id. A read: `readMode` as for `get`. */
  async leaseList(options: ReadOptions = {}): Promise<LeaseListOutcome> {
    const r = await this.#read(kvLeaseList(), options);
    if (r.type !== 'lease-list')
      throw new RejectedError('bad-reply', `expected a lease-list result, got ${r.type}`);
    return { leases: r.leases.map((l) => ({ lease: l.lease, ttlMs: l.ttlMs })) };
  }

  /** The status of one node (`nodeId`) or of whichever node answers the shared subject. */
  async status(nodeId?: number, options: CallOptions = {}): Promise<NodeStatusReport> {
    this.#checkOpen();
    const subject =
      nodeId === undefined
        ? clusterClientSubject(this.cluster)
        : nodeClientSubject(this.cluster, nodeId);
    let msg;
    try {
      msg = await this.#nc.request(subject, encodeRequest({ kind: 'status' }), {
        timeout: options.timeoutMs ?? this.#timeoutMs,
      });
    } catch (err) {
      throw new UnavailableError(`no answer from ${subject}: ${String(err)}`, { cause: err });
    }
    const r = decodeResponse(msg.data);
    if (!r.ok) throw new RejectedError('bad-reply', r.error);
    if (r.value.kind !== 'status')
      throw new RejectedError('bad-reply', `expected status, got ${r.value.kind}`);
    return r.value.status;
  }

  /**
   * The status of every node that answers within `waitMs` (default 500 ms), sorted by id.
   * Nodes that are down are simply absent.
   */
  async clusterStatus(options: { readonly waitMs?: number } = {}): Promise<NodeStatusReport[]> {
    this.#checkOpen();
    const out: NodeStatusReport[] = [];
    try {
      const replies = await this.#nc.requestMany(
        clusterStatusSubject(this.cluster),
        encodeRequest({ kind: 'status' }),
        { strategy: 'timer', maxWait: options.waitMs ?? 500 },
      );
      for await (const m of replies) {
        const r = decodeResponse(m.data);
        if (r.ok && r.value.kind === 'status') out.push(r.value.status);
      }
    } catch (err) {
      if (out.length === 0) {
        throw new UnavailableError(`no node of cluster ${this.cluster} answered: ${String(err)}`, {
          cause: err,
        });
      }
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * Sends an administrative request to the leader and waits until its change is in force
   * (default deadline {@link ADMIN_TIMEOUT_MS}). A change that breaks a rule, or that the
   * leader abandoned, throws `RejectedError` with reason `refused` and a message naming the
   * rule. Asking for what is already in force answers at once, so retrying is safe.
   */
  async admin(request: AdminRequest, options: CallOptions = {}): Promise<AdminReply> {
    const problems = adminRequestProblems(request);
    if (problems.length > 0) throw new InvalidArgumentError(problems.join('; '));
    const response = await this.#roundTrip(
      encodeRequest({ kind: 'admin', admin: request }),
      options.timeoutMs ?? ADMIN_TIMEOUT_MS,
      true,
    );
    if (response.kind !== 'admin') {
      throw new RejectedError('bad-reply', `a ${response.kind} frame answered an admin request`);
    }
    return response.reply;
  }

  /** Adds node `id` (running, started with `--join`) as a voter; see {@link admin}. */
  addMember(id: number, options: CallOptions = {}): Promise<AdminReply> {
    return this.admin({ op: 'add-member', id }, options);
  }

  /** Removes voter or learner `id`; see {@link admin}. */
  removeMember(id: number, options: CallOptions = {}): Promise<AdminReply> {
    return this.admin({ op: 'remove-member', id }, options);
  }

  /** Sets P (and L; default the smallest L with L + P > N); see {@link admin}. */
  setQuorum(
    quorum: { readonly replication: number; readonly election?: number },
    options: CallOptions = {},
  ): Promise<AdminReply> {
    return this.admin({ op: 'set-quorum', ...quorum }, options);
  }

  /** Moves leadership to voter `id` (it must be caught up); see {@link admin}. */
  transferLeader(id: number, options: CallOptions = {}): Promise<AdminReply> {
    return this.admin({ op: 'transfer-leader', id }, options);
  }

  /** Sets the preferred leader, or clears it with `null`; see {@link admin}. */
  preferLeader(id: number | null, options: CallOptions = {}): Promise<AdminReply> {
    return this.admin({ op: 'prefer-leader', id }, options);
  }

  /**
   * Watches `keyOrPrefix` (every key under it with `prefix: true`): an async iterable of its
   * changes from `fromRevision` (default: from now on), each exactly once and in revision
   * order, across node failures and NATS reconnects (see `watch.ts`). Throws
   * `WatchCompactedError` (while iterating) when no node keeps that revision any more.
   */
  watch(keyOrPrefix: string | Uint8Array, options: WatchOptions = {}): Watch {
    this.#checkOpen();
    const key = typeof keyOrPrefix === 'string' ? toBytes(keyOrPrefix) : keyOrPrefix;
    const w = new Watch(this.#watchContext(), key, options);
    this.#watches.add(w);
    return w;
  }

  #watchContext(): WatchContext {
    return {
      nc: this.#nc,
      cluster: this.cluster,
      requestTimeoutMs: this.#attemptTimeoutMs,
      closed: () => this.#closed,
      nodes: async () => {
        const ids = new Set<number>();
        for (const s of await this.clusterStatus({ waitMs: 300 })) {
          ids.add(s.id);
          for (const m of s.members) ids.add(m);
        }
        return [...ids].sort((a, b) => a - b);
      },
      ended: (w) => this.#watches.delete(w),
    };
  }

  /**
   * Closes the idle sessions (`close-session`, best effort: waits at most
   * {@link SESSION_CLOSE_WAIT_MS}; a session left open expires on the cluster), the watches,
   * and the NATS connection (when the client opened it). Calls made after it starts throw
   * `ClientClosedError`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
    for (const w of [...this.#watches]) w.close();
    const sessions = this.#freeSessions.splice(0);
    if (sessions.length > 0) {
      await Promise.allSettled(sessions.map((s) => this.#closeSession(s, SESSION_CLOSE_WAIT_MS)));
    }
    this.#closed = true;
    if (this.#ownsConnection) await this.#nc.close();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Sends one request frame, coalesced with the others sent to the same subject in this
   * event-loop turn into one batch frame (at most `BATCH_BYTES_MAX` of items per NATS message;
   * a batch waits for the shortest timeout among its items).
   */
  #request(subject: string, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      let q = this.#queues.get(subject);
      if (q === undefined) {
        q = [];
        this.#queues.set(subject, q);
        setImmediate(() => this.#flush(subject));
      }
      q.push({ frame, timeoutMs, resolve, reject });
    });
  }

  #flush(subject: string): void {
    const q = this.#queues.get(subject) ?? [];
    this.#queues.delete(subject);
    let group: Queued[] = [];
    let bytes = 0;
    for (const item of q) {
      if (group.length > 0 && bytes + item.frame.byteLength + 4 > BATCH_BYTES_MAX) {
        this.#sendGroup(subject, group);
        group = [];
        bytes = 0;
      }
      group.push(item);
      bytes += item.frame.byteLength + 4;
    }
    if (group.length > 0) this.#sendGroup(subject, group);
  }

  #sendGroup(subject: string, group: readonly Queued[]): void {
    const only = group.length === 1 ? group[0] : undefined;
    const timeout = Math.min(...group.map((g) => g.timeoutMs));
    const payload =
      only !== undefined
        ? only.frame
        : encodeRequest({ kind: 'batch', items: group.map((g) => g.frame) });
    this.#batchesSent++;
    // `request` may throw synchronously (max_payload): turn that into a rejection.
    Promise.resolve()
      .then(() => this.#nc.request(subject, payload, { timeout }))
      .then(
        (msg) => {
          if (only !== undefined) {
            only.resolve(msg.data);
            return;
          }
          const r = decodeResponse(msg.data);
          if (r.ok && r.value.kind === 'batch' && r.value.items.length === group.length) {
            const items = r.value.items;
            group.forEach((g, i) => g.resolve(items[i] ?? new Uint8Array()));
          } else if (r.ok && r.value.kind !== 'batch') {
            // The node answered the whole batch with one frame (an error): it holds for each item.
            for (const g of group) g.resolve(msg.data);
          } else {
            for (const g of group) g.reject(new Error('malformed batch reply'));
          }
        },
        (err: unknown) => {
          for (const g of group) g.reject(err);
        },
      );
  }

  /** NATS request messages sent for commands so far (fewer than calls when coalesced). */
  get requestMessagesSent(): number {
    return this.#batchesSent;
  }

  /** Throws `ClientClosedError` once `close()` began (`internal`: once it ended). */
  #checkOpen(internal = false): void {
    if (this.#closed || (this.#closing && !internal)) throw new ClientClosedError();
  }

  async #read(op: KvQueryOp, options: ReadOptions): Promise<KvReply> {
    const command = kvCommand(op);
    checkCommand(command);
    return this.#call(encodeCommand(command), options.readMode ?? 'lease', options.timeoutMs);
  }

  /**
   * Runs a write under a pooled session (opened first when none is idle) and returns its
   * reply. A `session-expired` answer means the cluster forgot the session: if that was the
   * answer to the command's only sending that a leader may have proposed (redirects from
   * nodes that did not propose it do not count), nothing was applied and the command is sent
   * again under a new session; otherwise it may have been applied under the old session,
   * which nothing can tell any more: `IndeterminateError`.
   */
  async #write(op: KvCommandOp, options: CallOptions): Promise<KvReply> {
    checkCommand(kvCommand(op));
    this.#checkOpen();
    const total = options.timeoutMs ?? this.#timeoutMs;
    if (!Number.isSafeInteger(total) || total < 1)
      throw new InvalidArgumentError('timeoutMs: must be a positive integer');
    const deadline = performance.now() + total;
    let session = this.#freeSessions.pop() ?? (await this.#openSession(total));
    for (;;) {
      session.seq += 1;
      session.usedMs = session.wroteMs = performance.now();
      const sends: Sends = { count: 0 };
      let reply: KvReply;
      try {
        reply = await this.#call(
          encodeCommand(kvSessionCommand(op, session.id, session.seq)),
          'none',
          remainingMs(deadline, total),
          sends,
        );
      } catch (err) {
        if (!(err instanceof RejectedError && err.reason === 'session-expired')) {
          // Reusing the session after a timeout is safe: if the old command is applied after a
          // newer one of the same session, the state machine refuses it as a stale sequence.
          this.#release(session);
          throw err;
        }
        // The session is gone for good (ids are never reused): it leaves the pool.
        if (sends.count > 1) {
          throw new IndeterminateError(
            `the cluster forgot session ${session.id} (expired or evicted) while this write was being retried (${sends.count} sendings that a leader may have proposed): it may have been applied once, or not at all`,
            { cause: err },
          );
        }
        session = await this.#openSession(remainingMs(deadline, total));
        continue;
      }
      this.#release(session, reply);
      return reply;
    }
  }

  /** Opens a session through the log (a write without session; the cluster assigns the id). */
  async #openSession(timeoutMs: number): Promise<Session> {
    const r = await this.#call(OPEN_SESSION_COMMAND, 'none', timeoutMs);
    if (r.type !== 'open-session')
      throw new RejectedError('bad-reply', `expected an open-session result, got ${r.type}`);
    this.#sessionsOpened++;
    this.#startKeepalives();
    const now = performance.now();
    return { id: r.sessionId, seq: 0, usedMs: now, wroteMs: now, revision: r.revision };
  }

  /** Puts `session` back into the pool, noting the revision of `reply`. */
  #release(session: Session, reply?: KvReply): void {
    const revision = reply === undefined ? undefined : replyRevision(reply);
    if (revision !== undefined) {
      session.revision = Math.max(session.revision, revision);
      this.#revision = Math.max(this.#revision, revision);
    }
    if (!this.#closing) this.#freeSessions.push(session);
  }

  #startKeepalives(): void {
    if (this.#keepaliveTimer !== undefined || this.#closing) return;
    this.#keepaliveTimer = setInterval(() => this.#keepIdleSessions(), SESSION_KEEPALIVE_MS);
    this.#keepaliveTimer.unref();
  }

  /**
   * Every {@link SESSION_KEEPALIVE_MS}: each idle session unused for that long (or for
   * {@link SESSION_KEEPALIVE_SLOTS} slots of the log as this client saw it) gets a
   * `session-keepalive`, or a `close-session` when it carried no write for
   * {@link SESSION_IDLE_CLOSE_MS} and is not the one used last. All go out in one turn, so
   * they travel as one batch frame.
   */
  #keepIdleSessions(): void {
    if (this.#closing) return;
    const now = performance.now();
    const newest = this.#freeSessions.at(-1);
    const due = this.#freeSessions.filter(
      (s) =>
        now - s.usedMs >= SESSION_KEEPALIVE_MS ||
        this.#revision - s.revision >= SESSION_KEEPALIVE_SLOTS,
    );
    if (due.length === 0) return;
    const keep = this.#freeSessions.filter((s) => !due.includes(s));
    this.#freeSessions.splice(0, this.#freeSessions.length, ...keep);
    for (const s of due) {
      if (s !== newest && now - s.wroteMs >= SESSION_IDLE_CLOSE_MS) {
        void this.#closeSession(s, SESSION_KEEPALIVE_MS);
        continue;
      }
      s.seq += 1;
      s.usedMs = now;
      this.#call(
        encodeCommand(kvSessionCommand(kvSessionKeepalive(), s.id, s.seq)),
        'none',
        SESSION_KEEPALIVE_MS,
      ).then(
        (reply) => this.#release(s, reply),
        (err: unknown) => {
          // Forgotten by the cluster: drop it (no caller is waiting). Otherwise (a timeout)
          // pool it again: the next look tries again.
          if (!(err instanceof RejectedError && err.reason === 'session-expired')) this.#release(s);
        },
      );
    }
  }

  /** Sends `close-session` under `session` (best effort, at most `timeoutMs`). */
  async #closeSession(session: Session, timeoutMs: number): Promise<void> {
    session.seq += 1;
    try {
      await this.#call(
        encodeCommand(kvSessionCommand(kvCloseSession(), session.id, session.seq)),
        'none',
        timeoutMs,
        undefined,
        true,
      );
    } catch {
      // Best effort: a session left open expires on the cluster.
    }
  }

  async #call(
    command: Uint8Array,
    readMode: ReadMode | 'none',
    timeoutMs: number | undefined,
    sends?: Sends,
    internal = false,
  ): Promise<KvReply> {
    const response = await this.#roundTrip(
      encodeRequest({ kind: 'command', readMode, command }),
      timeoutMs,
      false,
      sends,
      internal,
    );
    if (response.kind !== 'result') {
      throw new RejectedError('bad-reply', `a ${response.kind} frame answered a command`);
    }
    const result = decodeReply(response.result);
    if (!result.ok) throw new RejectedError('bad-reply', result.error);
    if (result.value.type === 'error') {
      if (result.value.code === 'lease-not-found')
        throw new LeaseNotFoundError(result.value.message);
      throw new RejectedError(result.value.code, result.value.message);
    }
    return result.value;
  }

  /**
   * Sends `frame` to the leader until a node answers it with something other than a redirect
   * or `unavailable` (which are retried, with backoff, until the deadline), and returns that
   * answer; an error frame is thrown as `RejectedError`. `wholeAttempt`: one attempt may take
   * the whole remaining time (admin requests are answered only once their change is done).
   */
  async #roundTrip(
    frame: Uint8Array,
    timeoutMs: number | undefined,
    wholeAttempt: boolean,
    /** Counts the sendings of `frame`. */
    sends?: Sends,
    /** `close()`'s own request: sent while it runs. */
    internal = false,
  ): Promise<Response> {
    this.#checkOpen(internal);
    const total = timeoutMs ?? this.#timeoutMs;
    if (!Number.isSafeInteger(total) || total < 1)
      throw new InvalidArgumentError('timeoutMs: must be a positive integer');
    const deadline = performance.now() + total;
    let attempt = 0;
    let lastProblem = 'no attempt made';
    for (;;) {
      this.#checkOpen(internal);
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new TimeoutError(`no reply within ${total} ms (last problem: ${lastProblem})`);
      }
      const leader = this.#leader;
      const subject =
        leader === undefined
          ? clusterClientSubject(this.cluster)
          : nodeClientSubject(this.cluster, leader);
      let data: Uint8Array;
      if (sends !== undefined) sends.count++;
      try {
        data = await this.#request(
          subject,
          frame,
          Math.max(1, wholeAttempt ? remaining : Math.min(remaining, this.#attemptTimeoutMs)),
        );
      } catch (err) {
        if (err instanceof Error && err.message.includes('max_payload')) {
          // The NATS server's max_payload is below this request (values near VALUE_BYTES_MAX).
          throw new ValueTooLargeError(
            `request of ${frame.byteLength} bytes exceeds the NATS server's max_payload (${this.#nc.info?.max_payload ?? 'unknown'} bytes)`,
          );
        }
        // Nobody subscribes to the subject: the frame reached no node.
        if (sends !== undefined && isNoResponders(err)) sends.count--;
        lastProblem = `${subject}: ${err instanceof Error ? err.message : String(err)}`;
        this.#leader = undefined;
        await sleep(Math.min(remaining, backoffMs(attempt++)));
        continue;
      }
      const r = decodeResponse(data);
      if (!r.ok) throw new RejectedError('bad-reply', r.error);
      const response = r.value;
      switch (response.kind) {
        case 'not-leader': {
          lastProblem = `${subject}: not the leader (leader ${response.leader ?? 'unknown'})`;
          // A node that did not propose the command: this sending cannot have been applied.
          if (sends !== undefined && response.proposed !== true) sends.count--;
          if (response.leader !== undefined && response.leader !== leader) {
            this.#leader = response.leader;
            if (attempt > 2) await sleep(Math.min(remaining, backoffMs(attempt)));
            attempt++;
          } else {
            this.#leader = undefined;
            await sleep(Math.min(remaining, backoffMs(attempt++)));
          }
          continue;
        }
        case 'error':
          if (response.code === 'unavailable') {
            lastProblem = `${subject}: unavailable: ${response.message}`;
            this.#leader = undefined;
            await sleep(Math.min(remaining, backoffMs(attempt++)));
            continue;
          }
          throw new RejectedError(response.code, response.message);
        case 'status':
        case 'batch':
        case 'watch':
          throw new RejectedError('bad-reply', `a ${response.kind} frame answered a request`);
        case 'result':
        case 'admin':
          return response;
      }
    }
  }
}

/** Whole milliseconds left until `deadline`; `TimeoutError` when none is left. */
function remainingMs(deadline: number, total: number): number {
  const left = Math.ceil(deadline - performance.now());
  if (left < 1) throw new TimeoutError(`no reply within ${total} ms`);
  return left;
}

/** 10, 20, 40, ... capped at 200 ms. */
function backoffMs(attempt: number): number {
  return Math.min(200, 10 * 2 ** Math.min(attempt, 5));
}

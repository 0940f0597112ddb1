/**
 * The client service: one node's side of the client protocol (`@flexpaxos/client`,
 * `protocol.ts`), from request frame to reply frame.
 *
 * - Each request frame is decoded once (`decodeRequest`); the items of a batch frame are
 *   frames of their own, each decoded once, answered in one batch reply in order once every
 *   item is answered; the host loop is kicked once after the last item, so the batch's writes
 *   share a slot. The KV command inside is decoded once (as views of the frame, which
 *   the log keeps as is) and that decoded form is what is validated and what a read serves.
 * - Watch requests go to the watch service (`watch-service.ts`).
 * - Reads never go through the log: `stale` → `reads.serveStale`, `lease`/`quorum` →
 *   `reads.serve` (`reads.ts`); `lease-ttl` and `lease-list` are reads too.
 * - A `lease-keepalive` never goes through the log: the lessor answers it
 *   (`lessor-service.ts`). Host-only operations (`lessor-epoch`, an expiry `lease-revoke`) from
 *   a client are refused `invalid`: only the leader's lessor proposes them.
 * - A write needs a session (a registered session id and seq, or a client-chosen id and seq
 *   where the KV machine still takes them) and a leader: a follower answers `not-leader` with
 *   the leader it knows. The leader proposes the command bytes and keeps the reply waiting
 *   under the command's session key, read from the command's header (`commandSessionKey`),
 *   the same function the apply side uses on the log's bytes, so the two always agree.
 * - `open-session` is the one write without a session. Its bytes are all alike, so its
 *   waiters queue in order and each applied `open-session` answers the oldest one: every
 *   request gets a session id nobody else got (one whose proposal was lost may get another's
 *   and leave its own, when applied, unused until it expires).
 * - `onApplied` (from the host loop) answers the waiters of an applied command with its
 *   recorded reply; a retry of the same session that was proposed twice gets the same reply
 *   (exactly once is the KV machine's session table).
 * - Losing leadership answers every waiting write `not-leader` flagged `proposed` (the
 *   client retries elsewhere with the same session, and knows the command may be chosen);
 *   waiters older than {@link PENDING_EXPIRY_MS} are dropped (the client gave up and
 *   retried); stopping answers them `unavailable`.
 *
 * Invariant: every request handed to {@link ClientService.onRequest} is answered at most once
 * (batch items included); a write is answered with a result only after its slot is applied.
 */
import { decodeRequest, encodeResponse } from '@flexpaxos/client';
import type { DecodeResult, Request, Response } from '@flexpaxos/client';
import {
  commandSessionKey,
  decodeCommandView,
  encodeCommand,
  encodeResult,
  kvCommand,
  kvOpenSession,
  validateCommand,
} from '@flexpaxos/kv';
import type { LeaseId } from '@flexpaxos/kv';
import type { NodeId, ProposeResult, Role } from '@flexpaxos/paxos';
import { Histogram, LATENCY_BUCKETS_S } from './metrics.js';
import type { ReadOp, ServerStatusReport } from './reads.js';
import type { AdminRequest } from '@flexpaxos/client';
import type { WatchRequest } from './watch-service.js';

/** A client request waiting at the leader longer than this is dropped (the client retried). */
export const PENDING_EXPIRY_MS = 30_000;

/** The bytes of every `open-session` command (the encoding is canonical). */
const OPEN_SESSION_COMMAND = encodeCommand(kvCommand(kvOpenSession()));

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The part of `Replica` the client service uses. */
export interface ClientReplica {
  readonly role: Role;
  readonly leader: NodeId | undefined;
  propose(command: Uint8Array): ProposeResult;
}

/** The part of `ReadServer` the client service uses. */
export interface ClientReads {
  serve(op: ReadOp, mode: 'lease' | 'quorum', respond: (r: Response) => void): void;
  serveStale(op: ReadOp, respond: (r: Response) => void): void;
}

/** The part of `AdminService` the client service uses. */
export interface ClientAdmin {
  onRequest(request: AdminRequest, respond: (r: Response) => void): void;
}

/** The part of `LessorService` the client service uses. */
export interface ClientLessor {
  keepalive(lease: LeaseId, respond: (r: Response) => void): void;
}

/** The part of `WatchService` the client service uses (`watch-service.ts`). */
export interface ClientWatch {
  onRequest(request: WatchRequest, respond: (r: Response) => void): void;
}

/** A client request as NATS hands it over (`Msg` of `@nats-io/transport-node` fits). */
export interface ClientMessage {
  readonly data: Uint8Array;
  respond(data: Uint8Array): unknown;
}

/** What the client service counts (exported on `/metrics`). */
export interface ClientCounts {
  /** Client NATS messages received. */
  requests: number;
  /** Of those, batch frames carrying several coalesced requests. */
  batches: number;
  /** Requests answered with an error frame. */
  errors: number;
  /** Commands proposed by this node as leader. */
  proposals: number;
}

interface Waiter {
  /** Sends the encoded response (to the NATS reply subject, or into a batch reply). */
  readonly respond: (frame: Uint8Array) => void;
  readonly startMs: number;
}

/** Serves the client requests of one node; see the module comment. */
export class ClientService {
  /** What the service counted so far. */
  readonly counts: ClientCounts = { requests: 0, batches: 0, errors: 0, proposals: 0 };
  /** Leader: client request to reply, of writes answered with their result or a redirect. */
  readonly requestSeconds = new Histogram(LATENCY_BUCKETS_S);
  readonly #nodeId: number;
  readonly #replica: ClientReplica;
  readonly #reads: ClientReads;
  readonly #status: () => ServerStatusReport;
  readonly #admin: ClientAdmin;
  readonly #lessor: ClientLessor;
  readonly #watch: ClientWatch | undefined;
  readonly #kick: () => void;
  /** Writes waiting for their command to apply, by session key. */
  readonly #pending = new Map<string, Waiter[]>();
  /** `open-session` requests waiting for their command to apply, oldest first. */
  readonly #opening: Waiter[] = [];
  #stopping = false;
  /** Handling the items of a batch frame: proposals kick the host loop once, after the last. */
  #inBatch = false;
  #kickDeferred = false;

  constructor(deps: {
    readonly nodeId: number;
    readonly replica: ClientReplica;
    readonly reads: ClientReads;
    /** The node's status report, for status requests. */
    readonly status: () => ServerStatusReport;
    /** Serves admin requests (membership, quorum, transfer). */
    readonly admin: ClientAdmin;
    /** Answers key-lease keep-alives (the leader's lessor). */
    readonly lessor: ClientLessor;
    /** Serves watch requests; without it they are refused. */
    readonly watch?: ClientWatch;
    /** Runs the host loop (a proposal makes a ready). */
    readonly kick: () => void;
  }) {
    this.#nodeId = deps.nodeId;
    this.#replica = deps.replica;
    this.#reads = deps.reads;
    this.#status = deps.status;
    this.#admin = deps.admin;
    this.#lessor = deps.lessor;
    this.#watch = deps.watch;
    this.#kick = deps.kick;
  }

  /** Sessions with a write waiting for its command to apply, and waiting `open-session`s. */
  get pending(): number {
    return this.#pending.size + this.#opening.length;
  }

  /** One client NATS message: `data` is its request frame, `respond` sends the answer frame. */
  onRequest(msg: ClientMessage): void {
    this.counts.requests++;
    const req = decodeRequest(msg.data);
    if (req.ok && req.value.kind === 'batch') {
      // Coalesced requests: answer all of them in one reply, in order, once each is answered.
      this.counts.batches++;
      const items = req.value.items;
      const replies: (Uint8Array | undefined)[] = items.map(() => undefined);
      let left = items.length;
      if (left === 0) {
        msg.respond(encodeResponse({ kind: 'batch', items: [] }));
        return;
      }
      // Every item is proposed before the host loop runs, so they share one slot (a kick per
      // item would hand the first one to a ready of its own: a slot and an fsync more).
      this.#inBatch = true;
      try {
        items.forEach((item, i) => {
          this.#handle(decodeRequest(item), true, (frame) => {
            if (replies[i] !== undefined) return;
            replies[i] = frame;
            if (--left === 0) {
              msg.respond(
                encodeResponse({ kind: 'batch', items: replies.map((r) => r ?? new Uint8Array()) }),
              );
            }
          });
        });
      } finally {
        this.#inBatch = false;
        if (this.#kickDeferred) {
          this.#kickDeferred = false;
          this.#kick();
        }
      }
      return;
    }
    this.#handle(req, false, (frame) => msg.respond(frame));
  }

  #handle(req: DecodeResult<Request>, inBatch: boolean, reply: (frame: Uint8Array) => void): void {
    const respond = (r: Response): void => {
      if (r.kind === 'error') this.counts.errors++;
      reply(encodeResponse(r));
    };
    if (!req.ok) {
      respond({ kind: 'error', code: 'bad-request', message: req.error });
      return;
    }
    if (req.value.kind === 'batch' || (inBatch && req.value.kind !== 'command')) {
      respond({
        kind: 'error',
        code: 'bad-request',
        message: 'a batch may hold only command requests',
      });
      return;
    }
    if (req.value.kind === 'status') {
      respond({ kind: 'status', status: this.#status() });
      return;
    }
    if (this.#stopping) {
      respond(this.#shuttingDown());
      return;
    }
    if (req.value.kind === 'admin') {
      this.#admin.onRequest(req.value.admin, respond);
      return;
    }
    if (req.value.kind === 'watch-create' || req.value.kind === 'watch-control') {
      if (this.#watch === undefined)
        respond({ kind: 'error', code: 'bad-request', message: 'this node serves no watches' });
      else this.#watch.onRequest(req.value, respond);
      return;
    }
    const { readMode, command } = req.value;
    // Views of `command` (not copied): the log keeps `command` itself.
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
    if (
      op.type === 'get' ||
      op.type === 'range' ||
      op.type === 'lease-ttl' ||
      op.type === 'lease-list'
    ) {
      if (readMode === 'stale') this.#reads.serveStale(op, respond);
      else this.#reads.serve(op, readMode === 'quorum' ? 'quorum' : 'lease', respond);
      return;
    }
    if (op.type === 'lease-keepalive') {
      this.#lessor.keepalive(op.lease, respond);
      return;
    }
    if (op.type === 'lessor-epoch' || (op.type === 'lease-revoke' && op.reason === 'expired')) {
      respond({
        kind: 'result',
        result: encodeResult({
          type: 'error',
          code: 'invalid',
          message: `${op.type === 'lessor-epoch' ? 'lessor-epoch' : 'an expiry lease-revoke'}: host-only (proposed by the leader's lessor, never by a client)`,
        }),
      });
      return;
    }
    const opening = op.type === 'open-session';
    if (!opening && cmd.session === undefined && cmd.sessionRef === undefined) {
      respond({
        kind: 'error',
        code: 'bad-request',
        message: 'a write needs a session (open one with open-session)',
      });
      return;
    }
    if (this.#replica.role !== 'leader') {
      const leader = this.#replica.leader;
      respond({ kind: 'not-leader', leader: leader === this.#nodeId ? undefined : leader });
      return;
    }
    const key = opening ? undefined : commandSessionKey(command);
    if (!opening && key === undefined) {
      respond({ kind: 'error', code: 'bad-request', message: 'command has no session' });
      return;
    }
    const proposed = this.#replica.propose(command);
    if (proposed.kind === 'not-leader') {
      respond({ kind: 'not-leader', leader: proposed.leaderHint });
      return;
    }
    this.counts.proposals++;
    const w: Waiter = { respond: reply, startMs: performance.now() };
    if (key === undefined) this.#opening.push(w);
    else {
      const waiters = this.#pending.get(key);
      if (waiters === undefined) this.#pending.set(key, [w]);
      else waiters.push(w);
    }
    if (this.#inBatch) this.#kickDeferred = true;
    else this.#kick();
  }

  /** The commands of one applied slot and their replies: answers the writes waiting for them. */
  onApplied(commands: readonly Uint8Array[], replies: readonly (Uint8Array | undefined)[]): void {
    if (this.#pending.size === 0 && this.#opening.length === 0) return;
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] ?? new Uint8Array(0);
      const key = commandSessionKey(command);
      const reply = replies[i];
      if (reply === undefined) continue;
      if (key === undefined) {
        // Every open-session command has the same bytes: each applied one answers the oldest
        // waiting open-session request, so no two requests get the same (fresh) session id.
        if (this.#opening.length > 0 && bytesEqual(command, OPEN_SESSION_COMMAND)) {
          const w = this.#opening.shift();
          if (w !== undefined) this.#answer([w], { kind: 'result', result: reply });
        }
        continue;
      }
      const waiters = this.#pending.get(key);
      if (waiters === undefined) continue;
      this.#pending.delete(key);
      this.#answer(waiters, { kind: 'result', result: reply });
    }
  }

  /**
   * This node stopped leading: its proposals may or may not be chosen, so every waiting write
   * is told `not-leader` (`leader`: the one it follows now, if known) and retried elsewhere
   * with the same session.
   */
  onLostLeadership(leader: NodeId | undefined): void {
    const hint = leader === this.#nodeId ? undefined : leader;
    // `proposed`: these commands may still be chosen (the client counts the sending).
    const response: Response = { kind: 'not-leader', leader: hint, proposed: true };
    for (const waiters of this.#pending.values()) this.#answer(waiters, response);
    this.#pending.clear();
    this.#answer(this.#opening.splice(0), response);
  }

  /** Drops waiters older than {@link PENDING_EXPIRY_MS} at `nowMs` (unanswered: the client retried). */
  expire(nowMs: number): void {
    const limit = nowMs - PENDING_EXPIRY_MS;
    while ((this.#opening[0]?.startMs ?? limit) < limit) this.#opening.shift();
    if (this.#pending.size === 0) return;
    for (const [key, waiters] of this.#pending) {
      const live = waiters.filter((w) => w.startMs >= limit);
      if (live.length === 0) this.#pending.delete(key);
      else if (live.length !== waiters.length) this.#pending.set(key, live);
    }
  }

  /** Stops taking commands; every waiting write is answered `unavailable`. */
  stop(): void {
    this.#stopping = true;
    for (const waiters of this.#pending.values()) this.#answer(waiters, this.#shuttingDown());
    this.#pending.clear();
    this.#answer(this.#opening.splice(0), this.#shuttingDown());
  }

  #shuttingDown(): Response {
    return { kind: 'error', code: 'unavailable', message: `node ${this.#nodeId} is shutting down` };
  }

  #answer(waiters: readonly Waiter[], response: Response): void {
    const frame = encodeResponse(response);
    const now = performance.now();
    for (const w of waiters) {
      w.respond(frame);
      this.requestSeconds.observe((now - w.startMs) / 1000);
    }
  }
}

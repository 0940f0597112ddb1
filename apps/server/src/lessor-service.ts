/**
 * The lessor service: runs `@flexpaxos/kv`'s `Lessor` (deadlines of key leases) on the leader,
 * as `packages/kv/README.md`, "How a host runs it", prescribes.
 *
 * - **Epoch.** While the replica leads and its lessor is not running, the service proposes a
 *   `lessor-epoch` command (no session) held by a tag unique to this campaign
 *   (`n<id>/b<round.nodeId>/c<k>`: node id, ballot, a local counter); it proposes it again when
 *   it is not seen applied within {@link CAMPAIGN_RETRY_MS}. The lessor starts when the host
 *   loop reports that epoch applied (`observe`): every lease then runs its full TTL from now,
 *   so a failover extends leases, never shortens them.
 * - **Observe.** After each applied slot with lease changes the host loop calls
 *   {@link LessorService.observe}. On a node whose lessor is a follower (every replica but the
 *   leader) nothing happens and no clock is read: applying stays clock-free.
 * - **Expiry.** A timer at `lessor.nextWakeMs()` (re-armed after every change, capped at
 *   {@link WAKE_MAX_MS}) proposes what `lessor.expire(now)` returns: `lease-revoke` commands
 *   with reason `expired` and the lessor's epoch, without session. The state machine ignores
 *   one from an older epoch, so a deposed leader's late expiry cannot remove a lease the next
 *   leader kept alive.
 * - **Keep-alive.** Answered by the lessor, never through the log, and only while the node
 *   could serve a lease read (`replica.read({ mode: 'lease' })` is `ready`: it holds its leader
 *   lease, its own ballot is committed, everything committed is applied, no transfer runs), so
 *   a deposed leader cannot acknowledge a keep-alive after the next leader's lessor started.
 *   `not-applied` (the host loop is between apply and advance) waits for the next advance;
 *   a node that does not lead, has no lease or transfers answers `not-leader`; a leader whose
 *   lessor has not started yet answers `unavailable`. Clients retry both.
 * - **lease-ttl.** Answered from the applied state, with `remainingMs` from the lessor when it
 *   runs here (the leader), undefined elsewhere.
 * - **Step-down** (`onSteppedDown`, or the replica found not leading): `lessor.demote()`, the
 *   timer cleared, waiting keep-alives answered `not-leader`.
 */
import type { Response } from '@flexpaxos/client';
import { Lessor, encodeCommand, encodeResult, kvCommand, toBytes } from '@flexpaxos/kv';
import type {
  KvQueryOp,
  KvReply,
  KvStateMachine,
  LeaseChange,
  LeaseId,
  LessorRole,
} from '@flexpaxos/kv';
import type { NodeId, ProposeResult, ReadResult, Role } from '@flexpaxos/paxos';
import type { Logger } from './logger.js';

/** A campaign's epoch not seen applied within this long is proposed again. */
export const CAMPAIGN_RETRY_MS = 2000;
/** The expiry timer fires at least this often while the lessor runs (clock-skew tolerant). */
export const WAKE_MAX_MS = 1000;
/** A keep-alive that found a committed slot not applied is retried after this many advances. */
export const KEEPALIVE_RETRIES_MAX = 3;

/** The part of `Replica` the lessor service uses. */
export interface LessorReplica {
  readonly role: Role;
  readonly leader: NodeId | undefined;
  propose(command: Uint8Array): ProposeResult;
  read(request: { readonly id: number; readonly mode: 'lease' }): ReadResult;
}

/** What the lessor service counts (exported on `/metrics`). */
export interface LessorCounts {
  /** Keep-alives answered `renewed`. */
  keepalives: number;
  /** Keep-alives answered `lease-not-found`. */
  keepalivesNotFound: number;
  /** Keep-alives answered `not-leader` or `unavailable` (the client retries elsewhere). */
  keepalivesRedirected: number;
  /** Expiry revocations proposed (a retried one counts again). */
  expiriesProposed: number;
  /** `lessor-epoch` commands proposed. */
  epochsProposed: number;
}

interface WaitingKeepalive {
  readonly lease: LeaseId;
  readonly respond: (r: Response) => void;
  readonly tries: number;
}

/** Runs the key-lease lessor of one node; see the module comment. */
export class LessorService {
  readonly counts: LessorCounts = {
    keepalives: 0,
    keepalivesNotFound: 0,
    keepalivesRedirected: 0,
    expiriesProposed: 0,
    epochsProposed: 0,
  };
  readonly #nodeId: number;
  readonly #replica: LessorReplica;
  readonly #kv: () => KvStateMachine;
  readonly #now: () => number;
  readonly #ballot: () => string;
  readonly #kick: () => void;
  readonly #log: Logger;
  readonly #lessor = new Lessor();
  /** Campaigns started by this process (part of the holder tag). */
  #campaigns = 0;
  /** The epoch command of the running campaign and when it was last proposed. */
  #campaign: { readonly command: Uint8Array; readonly tag: string; atMs: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = Infinity;
  #waiting: WaitingKeepalive[] = [];
  #stopped = false;

  constructor(deps: {
    readonly nodeId: number;
    readonly replica: LessorReplica;
    /** The KV machine now (a snapshot install replaces it). */
    readonly kv: () => KvStateMachine;
    /** The node's monotonic clock (the one its leader lease runs on). */
    readonly now: () => number;
    /** The replica's promised ballot, `round.nodeId` (read only when a campaign starts). */
    readonly ballot: () => string;
    /** Runs the host loop (a proposal makes a ready). */
    readonly kick: () => void;
    readonly log: Logger;
  }) {
    this.#nodeId = deps.nodeId;
    this.#replica = deps.replica;
    this.#kv = deps.kv;
    this.#now = deps.now;
    this.#ballot = deps.ballot;
    this.#kick = deps.kick;
    this.#log = deps.log;
  }

  /** Where the lessor is: `follower`, `campaigning` or `leader` (deadlines running). */
  get role(): LessorRole {
    return this.#lessor.role;
  }

  /** The lessor's role, read through a call (so the compiler does not narrow it). */
  #roleNow(): LessorRole {
    return this.#lessor.role;
  }

  /** The lessor epoch it runs under (meaningful while `leader`). */
  get epoch(): number {
    return this.#lessor.epoch;
  }

  /** Leases with a running deadline (0 unless the lessor runs here). */
  get trackedLeases(): number {
    return this.#lessor.leaseCount;
  }

  /**
   * Called on every tick and after every run of readies: starts a campaign when the replica
   * leads and the lessor is not running (nor campaigning), proposes the epoch again when it
   * was not seen applied in time, demotes when the replica no longer leads.
   */
  check(): void {
    if (this.#stopped) return;
    if (this.#replica.role !== 'leader') {
      if (this.#lessor.role !== 'follower' || this.#waiting.length > 0) this.onSteppedDown();
      return;
    }
    const role = this.#lessor.role;
    if (role === 'leader') return;
    if (role === 'follower' || this.#campaign === undefined) {
      const tag = `n${this.#nodeId}/b${this.#ballot()}/c${++this.#campaigns}`;
      const op = this.#lessor.campaign(toBytes(tag));
      this.#campaign = { command: encodeCommand(kvCommand(op)), tag, atMs: -Infinity };
    }
    const c = this.#campaign;
    const now = this.#now();
    if (now - c.atMs < CAMPAIGN_RETRY_MS) return;
    c.atMs = now;
    if (this.#replica.propose(c.command).kind === 'queued') {
      this.counts.epochsProposed++;
      this.#log.log('debug', 'lessor epoch proposed', { holder: c.tag });
      this.#kick();
    }
  }

  /** The node stopped leading: forget every deadline; waiting keep-alives go elsewhere. */
  onSteppedDown(): void {
    if (this.#lessor.role === 'leader') {
      this.#log.log('info', 'lessor stopped', { epoch: this.#lessor.epoch });
    }
    this.#lessor.demote();
    this.#campaign = undefined;
    this.#clearTimer();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) this.#redirect(w.respond);
  }

  /** The lease changes of one applied slot (host loop). No clock is read on a follower lessor. */
  observe(changes: readonly LeaseChange[]): void {
    if (this.#lessor.role === 'follower' || changes.length === 0) return;
    const was = this.#lessor.role;
    this.#lessor.observe(changes, this.#now(), () => this.#kv().leases());
    // Read again: `observe` may have promoted or demoted the lessor.
    const role = this.#roleNow();
    if (was === 'campaigning' && role === 'leader') {
      this.#campaign = undefined;
      this.#log.log('info', 'lessor started', {
        epoch: this.#lessor.epoch,
        leases: this.#lessor.leaseCount,
      });
    } else if (was === 'leader' && role === 'follower') {
      // Another holder's epoch was applied while this node believed it leads.
      this.#log.log('info', 'lessor demoted by a newer epoch', {});
      this.onSteppedDown();
      return;
    }
    this.#schedule();
  }

  /** After `replica.advance`: keep-alives that waited for the state machine to catch up. */
  afterAdvance(): void {
    if (this.#waiting.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) this.#keepalive(w);
  }

  /** A keep-alive request; `respond` is called exactly once, maybe after the next advance. */
  keepalive(lease: LeaseId, respond: (r: Response) => void): void {
    this.#keepalive({ lease, respond, tries: 0 });
  }

  #keepalive(w: WaitingKeepalive): void {
    if (this.#stopped) {
      w.respond({ kind: 'error', code: 'unavailable', message: `node ${this.#nodeId} stopping` });
      return;
    }
    const r = this.#replica.read({ id: 0, mode: 'lease' });
    if (r.kind === 'not-leader') {
      this.#redirect(w.respond, r.leaderHint);
      return;
    }
    if (r.kind === 'unavailable') {
      if (r.reason === 'not-applied' && w.tries < KEEPALIVE_RETRIES_MAX) {
        this.#waiting.push({ ...w, tries: w.tries + 1 });
        return;
      }
      if (r.reason === 'own-ballot-not-committed' || r.reason === 'not-applied') {
        this.#unavailable(w.respond, `keep-alive not served now: ${r.reason}`);
      } else {
        // No leader lease (not acquired yet, lost) or a transfer began: not this node.
        this.#redirect(w.respond, undefined);
      }
      return;
    }
    if (r.kind !== 'ready') {
      this.#unavailable(w.respond, 'a lease read check cannot be pending');
      return;
    }
    const out = this.#lessor.keepalive(w.lease, this.#now());
    switch (out.kind) {
      case 'renewed':
        this.counts.keepalives++;
        w.respond({
          kind: 'result',
          result: encodeResult({ type: 'lease-keepalive', lease: out.lease, ttlMs: out.ttlMs }),
        });
        return;
      case 'not-found':
        this.counts.keepalivesNotFound++;
        w.respond({
          kind: 'result',
          result: encodeResult({
            type: 'error',
            code: 'lease-not-found',
            message: `lease ${w.lease} does not exist (never granted, revoked or expired)`,
          }),
        });
        return;
      case 'not-leader':
        this.#unavailable(w.respond, 'the lessor of the new leader has not started yet');
        return;
    }
  }

  /** A query answered from the applied state; `lease-ttl` gets `remainingMs` from a running lessor. */
  query(op: KvQueryOp): KvReply {
    const reply = this.#kv().read(op);
    if (reply.type !== 'lease-ttl' || this.#lessor.role !== 'leader') return reply;
    const left = this.#lessor.remainingMs(reply.lease, this.#now());
    // Whole milliseconds, rounded up: the clock reads fractions, the codec carries integers.
    return { ...reply, remainingMs: left === undefined ? undefined : Math.ceil(left) };
  }

  /** Stops the timer; waiting keep-alives are answered `unavailable`. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) this.#unavailable(w.respond, `node ${this.#nodeId} stopping`);
  }

  #redirect(respond: (r: Response) => void, hint?: NodeId): void {
    this.counts.keepalivesRedirected++;
    const leader = hint ?? this.#replica.leader;
    respond({ kind: 'not-leader', leader: leader === this.#nodeId ? undefined : leader });
  }

  #unavailable(respond: (r: Response) => void, message: string): void {
    this.counts.keepalivesRedirected++;
    respond({ kind: 'error', code: 'unavailable', message });
  }

  /** Arms the timer at the lessor's next wake time (never later than {@link WAKE_MAX_MS}). */
  #schedule(): void {
    if (this.#stopped) return;
    const wake = this.#lessor.nextWakeMs();
    if (wake === undefined) {
      this.#clearTimer();
      return;
    }
    const now = this.#now();
    const at = Math.min(wake, now + WAKE_MAX_MS);
    if (this.#timer !== undefined && this.#timerAtMs <= at) return;
    this.#clearTimer();
    this.#timerAtMs = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAtMs = Infinity;
        this.#expire();
      },
      Math.max(0, Math.ceil(at - now)),
    );
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  #expire(): void {
    if (this.#stopped || this.#lessor.role !== 'leader') return;
    if (this.#replica.role !== 'leader') {
      this.onSteppedDown();
      return;
    }
    const ops = this.#lessor.expire(this.#now());
    let proposed = 0;
    for (const op of ops) {
      if (this.#replica.propose(encodeCommand(kvCommand(op))).kind === 'queued') proposed++;
    }
    if (proposed > 0) {
      this.counts.expiriesProposed += proposed;
      this.#log.log('debug', 'lease expiries proposed', { count: proposed });
      this.#kick();
    }
    this.#schedule();
  }
}

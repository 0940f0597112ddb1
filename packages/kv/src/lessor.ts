/**
 * The leader's lessor: deadlines of key leases on the leader host's monotonic clock, and the
 * revocations to propose when they pass. etcd's model (`server/lease/lessor.go`): keep-alives
 * are answered by the leader alone, never through the log; the replicated state keeps only each
 * lease's TTL, so a new leader rebuilds every deadline as now + TTL (`promote`), which extends
 * every lease by at least the failover time: no key expires because of a failover.
 *
 * Pure: the host passes `nowMs` (a monotonic clock reading) to every call and proposes what
 * `expire` returns. Nothing here reads a clock or starts a timer; `nextWakeMs` says when to
 * call `expire` next.
 *
 * Epochs close the one gap leader-local keep-alives leave. Scenario: (1) leader A decides lease
 * L expired and proposes its revocation; (2) A is deposed, B is elected and keeps L alive for a
 * client; (3) A's proposal, accepted before B's election, is recovered and committed. Without a
 * guard, L's keys vanish although B acknowledged a keep-alive. So a new leader first proposes
 * `lessor-epoch` (`campaign`) and starts its lessor only when it sees that epoch applied
 * (`observe`); every revocation carries the epoch it was decided under, and the state machine
 * ignores one from an older epoch. Anything committed after B's epoch command is from B's
 * ballot or later, and anything before it was decided while A still led, before B acknowledged
 * anything.
 *
 * The host must also answer keep-alives only while it holds the leader lease (like lease
 * reads): then a deposed leader cannot acknowledge a keep-alive after the next leader promoted,
 * since promotion follows the end of the old leader's lease.
 */
import { assert, assertNever } from './assert.js';
import { bytesEqual } from './bytes.js';
import { DeadlineHeap } from './deadline-heap.js';
import type { LeaseChange } from './events.js';
import type { KvConfigProblem } from './kv-config.js';
import { positiveIntegerProblem, throwIfKvConfigProblems } from './kv-config.js';
import type { LeaseId } from './ids.js';
import { kvLeaseExpire, kvLessorEpoch } from './ops.js';
import type { LeaseRevokeOp, LessorEpochOp } from './types.js';

/** Tuning of a {@link Lessor}. */
export interface LessorConfig {
  /**
   * A revocation proposed but not yet seen applied (a dropped proposal, a busy log) is
   * offered again after this long.
   */
  readonly revokeRetryMs: number;
  /** Most revocations one `expire` call returns, so a pile of expiries cannot flood the log. */
  readonly revokesPerCallMax: number;
}

/** Defaults: retry after 1 s, at most 500 revocations per call (etcd: 1000/s in half-second rounds). */
export const DEFAULT_LESSOR_CONFIG: LessorConfig = { revokeRetryMs: 1000, revokesPerCallMax: 500 };

/** Every problem with a lessor config, each naming the field and the rule. */
export function validateLessorConfig(config: LessorConfig): KvConfigProblem[] {
  return (['revokeRetryMs', 'revokesPerCallMax'] as const)
    .map((field) => positiveIntegerProblem(field, config[field]))
    .filter((p): p is KvConfigProblem => p !== undefined);
}

/**
 * Where the lessor is: `follower` (no deadlines), `campaigning` (its epoch command is
 * proposed, not yet applied), `leader` (deadlines running under `epoch`).
 */
export type LessorRole = 'follower' | 'campaigning' | 'leader';

/** The answer to a keep-alive. */
export type KeepaliveOutcome =
  /** The lease now runs `ttlMs` from the call's `nowMs`. */
  | { readonly kind: 'renewed'; readonly lease: LeaseId; readonly ttlMs: number }
  /** Unknown, revoked, or expired (its revocation may still be on its way through the log). */
  | { readonly kind: 'not-found'; readonly lease: LeaseId }
  /** This lessor is not running: send the keep-alive to the leader. */
  | { readonly kind: 'not-leader' };

/** A lease as the lessor needs it (`KvStateMachine.leases()` entries fit). */
export interface LessorLease {
  readonly lease: LeaseId;
  readonly ttlMs: number;
}

interface Tracked {
  readonly ttlMs: number;
  deadlineMs: number;
  /** Set once a revocation was handed out: when to offer it again. */
  retryAtMs: number | undefined;
}

/**
 * Lease deadlines of one leader. Rebuilt from the state machine's lease table on promotion;
 * follows grants and revocations through `observe`.
 *
 * Invariant (leader): every tracked lease has exactly one heap entry, at or before its wake
 * time (`retryAtMs` when a revocation is out, else `deadlineMs`). A keep-alive only moves the
 * deadline later, so the entry stays early; when it surfaces early it is pushed again.
 */
export class Lessor {
  private readonly config: LessorConfig;
  private roleNow: LessorRole = 'follower';
  private holder: Uint8Array | undefined;
  private epochNow = 0;
  private readonly leases = new Map<number, Tracked>();
  private readonly heap = new DeadlineHeap();
  private lastNowMs = -Infinity;

  /** A follower lessor. Throws listing every config problem. */
  constructor(config: Partial<LessorConfig> = {}) {
    const full = { ...DEFAULT_LESSOR_CONFIG, ...config };
    throwIfKvConfigProblems('LessorConfig', validateLessorConfig(full));
    this.config = full;
  }

  /** Where the lessor is. */
  get role(): LessorRole {
    return this.roleNow;
  }

  /** The epoch revocations are decided under (meaningful while `leader`). */
  get epoch(): number {
    return this.epochNow;
  }

  /** Number of leases with a running deadline. */
  get leaseCount(): number {
    return this.leases.size;
  }

  private tick(nowMs: number): void {
    assert(Number.isFinite(nowMs), `nowMs ${nowMs} must be finite`);
    assert(nowMs >= this.lastNowMs, `the clock went back from ${this.lastNowMs} to ${nowMs}`);
    this.lastNowMs = nowMs;
  }

  /**
   * The node became the Paxos leader: returns the `lessor-epoch` operation to propose (as a
   * command without session). `holder` must name this campaign uniquely (node id and ballot);
   * the lessor starts when `observe` sees this epoch applied.
   */
  campaign(holder: Uint8Array): LessorEpochOp {
    assert(holder.length > 0, 'a lessor holder is not empty');
    this.demote();
    this.roleNow = 'campaigning';
    this.holder = holder.slice();
    return kvLessorEpoch(this.holder);
  }

  /** The node stopped leading: forget every deadline. */
  demote(): void {
    this.roleNow = 'follower';
    this.holder = undefined;
    this.leases.clear();
    this.heap.clear();
  }

  /**
   * Starts the deadlines of epoch `epoch`: every lease runs its full TTL from `nowMs` (etcd's
   * `Promote`). Normally called by `observe`; a host may call it directly.
   */
  promote(nowMs: number, epoch: number, leases: Iterable<LessorLease>): void {
    this.tick(nowMs);
    this.roleNow = 'leader';
    this.epochNow = epoch;
    this.leases.clear();
    this.heap.clear();
    for (const l of leases) this.track(l.lease, l.ttlMs, nowMs);
  }

  private track(lease: number, ttlMs: number, nowMs: number): void {
    const t: Tracked = { ttlMs, deadlineMs: nowMs + ttlMs, retryAtMs: undefined };
    const known = this.leases.has(lease);
    this.leases.set(lease, t);
    if (!known) this.heap.push({ atMs: t.deadlineMs, id: lease });
  }

  /**
   * Follows what an apply reported (`ApplyResult.leaseChanges`, in order): grants start a
   * deadline, revocations end one, and an epoch either starts this lessor (its own, while
   * campaigning: `leases` is read then, normally `() => kv.leases()`), moves it to a newer epoch
   * of its own, or demotes it (another holder's epoch while leading).
   */
  observe(
    changes: readonly LeaseChange[],
    nowMs: number,
    leases: () => Iterable<LessorLease>,
  ): void {
    this.tick(nowMs);
    for (const c of changes) {
      switch (c.kind) {
        case 'granted':
          if (this.roleNow === 'leader') this.track(c.lease, c.ttlMs, nowMs);
          break;
        case 'revoked':
          // Its heap entry goes stale and is dropped when it surfaces.
          this.leases.delete(c.lease);
          break;
        case 'epoch': {
          const mine = this.holder !== undefined && bytesEqual(this.holder, c.holder);
          if (mine && this.roleNow === 'campaigning') this.promote(nowMs, c.epoch, leases());
          else if (mine && this.roleNow === 'leader') this.epochNow = c.epoch;
          else if (this.roleNow === 'leader') this.demote();
          break;
        }
        default:
          assertNever(c, 'lease change');
      }
    }
  }

  /**
   * A keep-alive at `nowMs`: the lease runs its full TTL again, unless it is unknown or its
   * deadline has passed (an expired lease is never renewed: its revocation may be under way).
   */
  keepalive(lease: LeaseId, nowMs: number): KeepaliveOutcome {
    this.tick(nowMs);
    if (this.roleNow !== 'leader') return { kind: 'not-leader' };
    const t = this.leases.get(lease);
    if (t === undefined || t.deadlineMs <= nowMs || t.retryAtMs !== undefined)
      return { kind: 'not-found', lease };
    t.deadlineMs = nowMs + t.ttlMs;
    return { kind: 'renewed', lease, ttlMs: t.ttlMs };
  }

  /** Milliseconds until `lease` expires (0 once expired); undefined unless leading and known. */
  remainingMs(lease: LeaseId, nowMs: number): number | undefined {
    this.tick(nowMs);
    if (this.roleNow !== 'leader') return undefined;
    const t = this.leases.get(lease);
    return t === undefined ? undefined : Math.max(0, t.deadlineMs - nowMs);
  }

  /**
   * The revocations to propose at `nowMs` (commands without session): leases whose deadline
   * passed, earliest first (ties by id), at most `revokesPerCallMax`; and revocations handed
   * out `revokeRetryMs` ago that have not been seen applied. Empty unless leading.
   */
  expire(nowMs: number): LeaseRevokeOp[] {
    this.tick(nowMs);
    const out: LeaseRevokeOp[] = [];
    if (this.roleNow !== 'leader') return out;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.atMs > nowMs || out.length >= this.config.revokesPerCallMax)
        break;
      this.heap.pop();
      const t = this.leases.get(top.id);
      if (t === undefined) continue; // revoked
      const wake = t.retryAtMs ?? t.deadlineMs;
      if (wake > nowMs) {
        this.heap.push({ atMs: wake, id: top.id }); // kept alive since the entry was pushed
        continue;
      }
      t.retryAtMs = nowMs + this.config.revokeRetryMs;
      this.heap.push({ atMs: t.retryAtMs, id: top.id });
      out.push(kvLeaseExpire(top.id as LeaseId, this.epochNow));
    }
    return out;
  }

  /**
   * When to call `expire` next (a time on the same clock), or undefined when nothing is due
   * ever. May be early (a lease kept alive since); never late.
   */
  nextWakeMs(): number | undefined {
    if (this.roleNow !== 'leader') return undefined;
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined) return undefined;
      if (this.leases.has(top.id)) return top.atMs;
      this.heap.pop();
    }
  }
}

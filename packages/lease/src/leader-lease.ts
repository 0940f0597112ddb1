import type { QuorumSystem, VoterId } from '@flexpaxos/quorum';
import { assert, assertMonotonic } from './assert.js';
import { formatBallot, type LeaseBallot } from './ballot.js';
import { assertValidLeaseConfig, type LeaseConfig } from './config.js';

declare const leaseRoundBrand: unique symbol;
/**
 * Identifies one send of grant-soliciting messages (a heartbeat broadcast or a batch of
 * Accepts). The messages carry it and the acknowledgements echo it, so the leader can look up
 * when *it* sent them. Positive safe integer, increasing per {@link LeaderLease}.
 */
export type LeaseRoundId = number & { readonly [leaseRoundBrand]: 'LeaseRoundId' };

/** Input of {@link LeaderLease.canServeLeaseRead}: the leader's log state at the read. */
export interface LeaseReadInput {
  /** Reading of the leader's monotonic clock when the read would be answered. */
  readonly nowMs: number;
  /** Whether an entry proposed in this leader's own ballot has been committed. */
  readonly ownBallotEntryCommitted: boolean;
  /** Highest slot applied to the state machine on the leader. */
  readonly appliedIndex: number;
  /** Highest slot the leader knows to be committed. */
  readonly committedIndex: number;
}

/** Why a lease read is refused; the caller falls back to a quorum read or redirects. */
export type LeaseReadRefusal =
  /** {@link LeaderLease.beginTransfer} was called: lease reads ended for this ballot. */
  | 'transferring'
  /** No entry of this ballot is committed yet: earlier leaders' writes may be unknown. */
  | 'own-ballot-entry-not-committed'
  /** Some committed slot is not applied yet: the state machine is behind the log. */
  | 'not-applied'
  /** The lease does not hold now (never acquired, or not renewed in time). */
  | 'no-lease';

/** Answer of {@link LeaderLease.canServeLeaseRead}. */
export type LeaseReadDecision =
  | { readonly ok: true; readonly validUntilMs: number }
  | { readonly ok: false; readonly reason: LeaseReadRefusal };

interface SentRound {
  readonly id: LeaseRoundId;
  readonly sentAtMs: number;
}

/**
 * The leader side of leader leases (design brief, "Leader lease" and "Reads").
 *
 * One object per leadership term (ballot), created when the node becomes leader. The leader
 * calls {@link beginRound} when it sends messages that solicit grants (every heartbeat and
 * every Accept), puts the returned id in them, and calls {@link onAck} when an acceptor
 * acknowledges one. Time arrives only as explicit readings `nowMs` of the leader's monotonic
 * clock.
 *
 * An acknowledgement of a round sent at `sentAtMs` counts as a grant until
 * `sentAtMs + leaseDurationMs - clockDriftBoundMs` on the leader's clock. Why this is safe:
 *
 * - Measuring from the *send* time: the acceptor starts its grant when it *receives* the
 *   message, which is no earlier in true time than the send. Starting the leader's count at
 *   the send can only end it earlier than a count started at the receipt, whatever the
 *   network delay, and the leader needs no estimate of that delay.
 * - Subtracting the drift bound: the acceptor counts `leaseDurationMs` on its own clock, which
 *   may run faster than the leader's. By the clock assumption (see `LeaseConfig`), while the
 *   leader's clock advances by less than `leaseDurationMs - clockDriftBoundMs` from the send,
 *   the acceptor's advances by less than `leaseDurationMs` from the send, hence from the
 *   receipt: the acceptor's grant is still running whenever the leader counts it.
 *
 * The lease holds at `t` iff the acceptors whose counted grants run past `t` intersect every
 * phase-1 quorum: then no other ballot can complete phase 1 before `t`, since some member of
 * each phase-1 quorum refuses its Prepare (any phase-2 quorum is such a set when L + P > N;
 * Howard et al., "Flexible Paxos", §3). While a membership change is under way several quorum
 * systems are in force ({@link setQuorums}): a new ballot may need a phase-1 quorum of any of
 * them, so the lease holds only when the grants intersect every phase-1 quorum of each.
 *
 * Invariant: readings passed to one object never decrease.
 */
export class LeaderLease {
  /** The ballot this lease belongs to. */
  readonly ballot: LeaseBallot;
  readonly #config: LeaseConfig;
  #quorums: readonly QuorumSystem[];
  #voters: ReadonlySet<VoterId>;
  /** Grant-soliciting sends, in increasing id and send time; pruned once useless. */
  #rounds: SentRound[] = [];
  #nextRoundId = 1;
  /** Per acceptor: end (exclusive, leader's clock) of the latest grant counted. */
  readonly #grantedUntilMs = new Map<VoterId, number>();
  /** Per acceptor: when the leader last heard from it in this ballot. */
  readonly #lastHeardMs = new Map<VoterId, number>();
  readonly #becameLeaderAtMs: number;
  #transferring = false;
  #lastNowMs: number;
  /** Cached {@link validUntilMs} result; `null` when a grant changed since it was computed. */
  #validUntilCache: number | undefined | null = null;

  /**
   * Starts the lease bookkeeping of a leader of `ballot` that took office at `nowMs` (leader's
   * clock). It holds no lease until acknowledgements arrive. Throws a `LeaseConfigError`
   * listing every problem when `config` is invalid.
   */
  constructor(config: LeaseConfig, quorum: QuorumSystem, ballot: LeaseBallot, nowMs: number) {
    assertValidLeaseConfig(config);
    assertMonotonic(nowMs, -Infinity, 'LeaderLease start');
    this.#config = config;
    this.#quorums = [quorum];
    this.#voters = new Set(quorum.voters);
    this.ballot = { round: ballot.round, nodeId: ballot.nodeId };
    this.#becameLeaderAtMs = nowMs;
    this.#lastNowMs = nowMs;
  }

  /**
   * Replaces the quorum systems in force (at least one): from now on the lease holds only when
   * the counted grants intersect every phase-1 quorum of each of them, and acknowledgements from
   * acceptors that vote in none of them are ignored. The caller passes every configuration a
   * new ballot might have to win phase 1 in (for a membership change: the committed one and the
   * one proposed last).
   */
  setQuorums(quorums: readonly QuorumSystem[]): void {
    assert(quorums.length > 0, 'LeaderLease.setQuorums: at least one quorum system');
    this.#quorums = [...quorums];
    this.#voters = new Set(quorums.flatMap((q) => q.voters));
    for (const id of [...this.#grantedUntilMs.keys()]) {
      if (!this.#voters.has(id)) this.#grantedUntilMs.delete(id);
    }
    this.#validUntilCache = null;
  }

  /** Whether {@link beginTransfer} was called. */
  get transferring(): boolean {
    return this.#transferring;
  }

  /**
   * Records that the leader is sending, at `nowMs`, messages that solicit grants (a heartbeat
   * or Accepts). Returns the id the messages must carry and their acknowledgements echo.
   */
  beginRound(nowMs: number): LeaseRoundId {
    this.#observe(nowMs, 'LeaderLease.beginRound');
    const id = this.#nextRoundId as LeaseRoundId;
    this.#nextRoundId += 1;
    // Rounds whose grant would end by now can no longer extend anything: forget them, so the
    // list holds at most the rounds sent within one lease duration.
    const margin = this.#marginMs();
    let drop = 0;
    while (drop < this.#rounds.length && this.#rounds[drop]!.sentAtMs + margin <= nowMs) drop += 1;
    if (drop > 0) this.#rounds = this.#rounds.slice(drop);
    this.#rounds.push({ id, sentAtMs: nowMs });
    return id;
  }

  /**
   * Records that `acceptor` acknowledged the messages of `round` (an Accept or heartbeat of this
   * ballot it accepted). Counts a grant until `sentAt(round) + leaseDurationMs -
   * clockDriftBoundMs` and marks the acceptor as heard. Returns whether the acceptor's counted
   * grant got longer. Acknowledgements from non-voters are ignored; an acknowledgement of a
   * round already forgotten (its grant ended) only marks the acceptor as heard.
   */
  onAck(acceptor: VoterId, round: LeaseRoundId, nowMs: number): boolean {
    this.#observe(nowMs, 'LeaderLease.onAck');
    assert(
      Number.isSafeInteger(round) && round >= 1 && round < this.#nextRoundId,
      `LeaderLease.onAck: round ${round} was never begun by the leader of ${formatBallot(this.ballot)}`,
    );
    if (!this.#voters.has(acceptor)) return false;
    this.#lastHeardMs.set(acceptor, nowMs);
    if (this.#transferring) return false;
    const sent = this.#findRound(round);
    if (sent === undefined) return false;
    const untilMs = sent.sentAtMs + this.#marginMs();
    const previous = this.#grantedUntilMs.get(acceptor);
    if (previous !== undefined && previous >= untilMs) return false;
    this.#grantedUntilMs.set(acceptor, untilMs);
    this.#validUntilCache = null;
    return true;
  }

  /**
   * Records that the leader heard, at `nowMs`, a reply in this ballot from `acceptor` that
   * solicits no grant (a phase-1 promise, a reply without a round id). Counts for
   * {@link shouldStepDown} only. Non-voters are ignored.
   */
  onHeard(acceptor: VoterId, nowMs: number): void {
    this.#observe(nowMs, 'LeaderLease.onHeard');
    if (this.#voters.has(acceptor)) this.#lastHeardMs.set(acceptor, nowMs);
  }

  /**
   * The end (exclusive, leader's clock) of the lease as the acknowledgements so far make it:
   * the lease holds at every `t < validUntilMs()` and at no later `t`, unless renewed.
   * `undefined` when no set of counted grants intersects every phase-1 quorum, or after
   * {@link beginTransfer}.
   *
   * It is the largest grant end `g` such that the acceptors granted until `g` or later
   * intersect every phase-1 quorum (that set only shrinks as `t` grows).
   */
  validUntilMs(): number | undefined {
    if (this.#transferring) return undefined;
    if (this.#validUntilCache === null) this.#validUntilCache = this.#computeValidUntilMs();
    return this.#validUntilCache;
  }

  #computeValidUntilMs(): number | undefined {
    // Walk the grants from the longest down, growing the granting set; the first end at which
    // the set meets every phase-1 quorum is the answer (ties are added together).
    const byEnd = [...this.#grantedUntilMs].sort(([, a], [, b]) => b - a);
    const granting = new Set<VoterId>();
    for (let i = 0; i < byEnd.length; i++) {
      const [id, end] = byEnd[i]!;
      granting.add(id);
      if (i + 1 < byEnd.length && byEnd[i + 1]![1] === end) continue;
      if (this.#quorums.every((q) => q.intersectsEveryPhase1Quorum(granting))) return end;
    }
    return undefined;
  }

  /** Whether the leader holds its lease at `nowMs` (and has not begun a transfer). */
  holds(nowMs: number): boolean {
    this.#observe(nowMs, 'LeaderLease.holds');
    const until = this.validUntilMs();
    return until !== undefined && nowMs < until;
  }

  /** End (exclusive, leader's clock) of `acceptor`'s counted grant, if any. */
  grantedUntilMs(acceptor: VoterId): number | undefined {
    return this.#grantedUntilMs.get(acceptor);
  }

  /**
   * Ends lease reads for this ballot at once, before leadership is handed over: from now on
   * {@link holds} is false and acknowledgements count no grant. Only after this call may the
   * leader tell acceptors to release its grants (`AcceptorLease.release`) so the transfer
   * target can be promised. Irreversible for this object.
   */
  beginTransfer(): void {
    this.#transferring = true;
    this.#grantedUntilMs.clear();
    this.#validUntilCache = undefined;
  }

  /**
   * Whether a lease read may be answered locally at `input.nowMs`. All of:
   * not transferring; an entry of this ballot committed (so the leader knows every write
   * chosen under earlier ballots); everything committed applied; the lease holds.
   */
  canServeLeaseRead(input: LeaseReadInput): LeaseReadDecision {
    this.#observe(input.nowMs, 'LeaderLease.canServeLeaseRead');
    assert(
      Number.isSafeInteger(input.appliedIndex) &&
        Number.isSafeInteger(input.committedIndex) &&
        input.appliedIndex >= 0 &&
        input.appliedIndex <= input.committedIndex,
      `LeaderLease.canServeLeaseRead: need 0 <= appliedIndex (${input.appliedIndex}) <= committedIndex (${input.committedIndex})`,
    );
    if (this.#transferring) return { ok: false, reason: 'transferring' };
    if (!input.ownBallotEntryCommitted)
      return { ok: false, reason: 'own-ballot-entry-not-committed' };
    if (input.appliedIndex < input.committedIndex) return { ok: false, reason: 'not-applied' };
    const until = this.validUntilMs();
    if (until === undefined || !(input.nowMs < until)) return { ok: false, reason: 'no-lease' };
    return { ok: true, validUntilMs: until };
  }

  /**
   * Whether the leader should step down at `nowMs`: it has led for at least
   * `electionTimeoutMs` and the acceptors it heard from in the last `electionTimeoutMs`
   * (the window `(nowMs - electionTimeoutMs, nowMs]`) contain no phase-2 quorum. Its own
   * acceptor counts only if the host reports its acknowledgements like any other.
   */
  shouldStepDown(nowMs: number): boolean {
    this.#observe(nowMs, 'LeaderLease.shouldStepDown');
    const timeout = this.#config.electionTimeoutMs;
    if (nowMs - this.#becameLeaderAtMs < timeout) return false;
    const heard = new Set<VoterId>();
    for (const [id, at] of this.#lastHeardMs) if (nowMs - at < timeout) heard.add(id);
    return !this.#quorums.every((q) => q.isPhase2Quorum(heard));
  }

  /** A human summary, e.g. for logs. */
  describe(): string {
    const grants = [...this.#grantedUntilMs]
      .sort(([a], [b]) => a - b)
      .map(([id, until]) => `${id}<${until}`)
      .join(', ');
    return `LeaderLease${formatBallot(this.ballot)}(validUntil=${this.validUntilMs() ?? 'none'}, grants=[${grants}]${this.#transferring ? ', transferring' : ''})`;
  }

  /** What one acknowledgement counts for, from the send: `D - drift` (or `D` when unsafe). */
  #marginMs(): number {
    const { leaseDurationMs, clockDriftBoundMs, unsafeLease } = this.#config;
    return unsafeLease === true ? leaseDurationMs : leaseDurationMs - clockDriftBoundMs;
  }

  #findRound(id: LeaseRoundId): SentRound | undefined {
    let lo = 0;
    let hi = this.#rounds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.#rounds[mid]!;
      if (r.id === id) return r;
      if (r.id < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  #observe(nowMs: number, what: string): void {
    assertMonotonic(nowMs, this.#lastNowMs, what);
    this.#lastNowMs = nowMs;
  }
}

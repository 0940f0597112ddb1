import { assertMonotonic } from './assert.js';
import { formatBallot, sameBallot, type LeaseBallot } from './ballot.js';
import { assertValidLeaseConfig, type LeaseConfig } from './config.js';

/** A grant an acceptor is honouring: it refuses Prepare from other ballots until `untilMs`. */
export interface LeaseGrant {
  /** The ballot whose leader holds the grant. */
  readonly ballot: LeaseBallot;
  /** End of the grant on the acceptor's own monotonic clock (exclusive). */
  readonly untilMs: number;
}

/** Answer of {@link AcceptorLease.mayPromise}. */
export type PromiseDecision =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /**
       * `lease-granted`: a grant to another ballot is running. `restart-wait`: the acceptor
       * restarted less than one lease duration ago and may have forgotten a grant.
       */
      readonly reason: 'lease-granted' | 'restart-wait';
      /** Earliest reading of the acceptor's clock at which the refusal may lift. */
      readonly untilMs: number;
      /** For `lease-granted`: the ballot holding the (latest-ending) blocking grant. */
      readonly heldBy: LeaseBallot | undefined;
    };

/**
 * The acceptor side of leader leases (design brief, "Leader lease").
 *
 * When the acceptor acknowledges an Accept or a heartbeat of ballot `b`, it grants `b`'s leader
 * a lease that runs on the acceptor's *own* monotonic clock from the receipt of that message
 * until receipt + `leaseDurationMs`. While a grant runs, the acceptor refuses Prepare from every
 * other ballot ({@link mayPromise}); that refusal is what makes the leader's lease exclusive.
 *
 * Time arrives only as explicit readings `nowMs` of the acceptor's monotonic clock; an object
 * lives for one run of the process. A new object (a start or a restart) has forgotten every
 * grant of the previous run, so it refuses all promises for one full lease duration from its
 * start. Because `leaseDurationMs < electionTimeoutMs`, this costs nothing at cluster start.
 *
 * Invariant: readings passed to one object never decrease.
 */
export class AcceptorLease {
  readonly #config: LeaseConfig;
  /** Running (or expired, pruned lazily) grants, one per ballot; rarely more than one. */
  #grants: LeaseGrant[] = [];
  readonly #restartWaitUntilMs: number;
  #lastNowMs: number;

  /**
   * Starts (or restarts) the acceptor's lease bookkeeping at `startedAtMs` on its clock.
   * Throws a `LeaseConfigError` listing every problem when `config` is invalid.
   */
  constructor(config: LeaseConfig, startedAtMs: number) {
    assertValidLeaseConfig(config);
    assertMonotonic(startedAtMs, -Infinity, 'AcceptorLease start');
    this.#config = config;
    this.#lastNowMs = startedAtMs;
    // Failure scenario this wait prevents: (1) acceptor A acknowledges leader 1's heartbeat and
    // grants it a lease; (2) A crashes and restarts, forgetting the grant; (3) candidate 2's
    // Prepare reaches A, which promises; (4) with A's promise candidate 2 completes phase 1,
    // then acquires its own lease while leader 1 still counts A's grant: two leases.
    // Waiting one full lease duration from the restart outlasts any grant A may have given,
    // since every such grant was given before the restart (see README, "Safety argument").
    this.#restartWaitUntilMs =
      config.unsafeLease === true ? startedAtMs : startedAtMs + config.leaseDurationMs;
  }

  /**
   * Records that the acceptor acknowledged an Accept or heartbeat of `ballot`: grants (or
   * renews) `ballot`'s lease until `receivedAtMs + leaseDurationMs`. Pass a reading taken when
   * the message was received, or later (a later reading only makes the grant run longer, which
   * is safe); call it before the acknowledgement leaves. Do not call it for rejected messages.
   */
  onAcknowledged(ballot: LeaseBallot, receivedAtMs: number): void {
    this.#observe(receivedAtMs, 'AcceptorLease.onAcknowledged');
    const untilMs = receivedAtMs + this.#config.leaseDurationMs;
    const i = this.#grants.findIndex((g) => sameBallot(g.ballot, ballot));
    const existing = this.#grants[i];
    if (existing === undefined) {
      // A grant to a different ballot may still run: an acceptor outside the new leader's
      // phase-1 quorum can accept its higher ballot while the old grant runs. Both are kept:
      // the acceptor then refuses every Prepare until the old grant ends too (conservative).
      this.#grants.push({ ballot: { round: ballot.round, nodeId: ballot.nodeId }, untilMs });
    } else if (untilMs > existing.untilMs) {
      this.#grants[i] = { ballot: existing.ballot, untilMs };
    }
  }

  /**
   * Whether the acceptor may promise (answer Prepare of) `ballot` at `nowMs`: not while it
   * restarted less than one lease duration ago, and not while a grant to another ballot runs.
   * The Paxos rules (ballot above the promised one) apply on top of this.
   */
  mayPromise(ballot: LeaseBallot, nowMs: number): PromiseDecision {
    this.#observe(nowMs, 'AcceptorLease.mayPromise');
    let untilMs = -Infinity;
    let reason: 'lease-granted' | 'restart-wait' | undefined;
    let heldBy: LeaseBallot | undefined;
    for (const g of this.#grants) {
      if (!sameBallot(g.ballot, ballot) && g.untilMs > untilMs) {
        untilMs = g.untilMs;
        reason = 'lease-granted';
        heldBy = g.ballot;
      }
    }
    if (nowMs < this.#restartWaitUntilMs && this.#restartWaitUntilMs >= untilMs) {
      untilMs = this.#restartWaitUntilMs;
      reason = 'restart-wait';
      heldBy = undefined;
    }
    if (reason === undefined) return { ok: true };
    return { ok: false, reason, untilMs, heldBy };
  }

  /**
   * Drops the grant to `ballot`: its leader has handed over leadership (transfer) and has
   * already stopped serving lease reads, so nothing relies on the grant any more. Only call it
   * on a message from that leader saying so.
   */
  release(ballot: LeaseBallot, nowMs: number): void {
    this.#observe(nowMs, 'AcceptorLease.release');
    this.#grants = this.#grants.filter((g) => !sameBallot(g.ballot, ballot));
  }

  /** The grants still running at `nowMs` (for status and tests). */
  runningGrants(nowMs: number): readonly LeaseGrant[] {
    this.#observe(nowMs, 'AcceptorLease.runningGrants');
    return [...this.#grants];
  }

  /** End of the restart wait on this acceptor's clock (exclusive). */
  get restartWaitUntilMs(): number {
    return this.#restartWaitUntilMs;
  }

  /** A human summary, e.g. for logs. */
  describe(nowMs: number): string {
    const grants = this.runningGrants(nowMs)
      .map((g) => `${formatBallot(g.ballot)} until ${g.untilMs}`)
      .join(', ');
    return `AcceptorLease(restartWaitUntil=${this.#restartWaitUntilMs}, grants=[${grants}])`;
  }

  #observe(nowMs: number, what: string): void {
    assertMonotonic(nowMs, this.#lastNowMs, what);
    this.#lastNowMs = nowMs;
    if (this.#grants.some((g) => g.untilMs <= nowMs)) {
      this.#grants = this.#grants.filter((g) => g.untilMs > nowMs);
    }
  }
}

/**
 * The leader's side of the lease for one ballot (design brief, "Leader lease"; rules and safety
 * argument in `packages/lease/README.md`): every batch of grant-soliciting messages (Accepts,
 * heartbeats) is one lease round; acknowledgements echo the round, and the leader counts each
 * grant from the round's send time minus the drift bound (`LeaderLease`). A leadership transfer
 * ends lease reads first and then asks every acceptor to release its grant.
 */
import { LeaderLease, type LeaseConfig, type LeaseRoundId } from '@flexpaxos/lease';
import type { QuorumSystem } from '@flexpaxos/quorum';
import type { Acceptor } from './acceptor.js';
import { assert } from './assert.js';
import { ballotEquals } from './ballot.js';
import type { ReplicaContext } from './context.js';
import type { Ballot, NodeId } from './types.js';

/** Lease fields a grant-soliciting message carries. */
export interface LeaseFields {
  readonly leaseRound?: number;
  readonly leaseRelease?: boolean;
}

/** What the leader's lease says now. */
export interface LeaseView {
  readonly held: boolean;
  readonly validUntilMs: number | undefined;
  readonly servesReads: boolean;
}

/** The lease of one leader ballot. */
export class LeaseHolder {
  readonly #ctx: ReplicaContext;
  readonly #acceptor: Acceptor;
  readonly #ballot: Ballot;
  readonly #lease: LeaderLease;
  /** Highest lease round id begun (acknowledgements above it are ignored). */
  #maxRound = 0;
  /** A leadership transfer began: no grants are solicited any more. */
  #transferring = false;
  /** Tick at which the transfer began. */
  #transferStartTick = 0;

  /**
   * Starts the lease of `ballot`; it holds once the grants meet every phase-1 quorum of each of
   * `quorums` (the quorum systems in force, see `setQuorums`).
   */
  constructor(
    ctx: ReplicaContext,
    acceptor: Acceptor,
    ballot: Ballot,
    config: LeaseConfig,
    quorums: readonly QuorumSystem[],
  ) {
    this.#ctx = ctx;
    this.#acceptor = acceptor;
    this.#ballot = ballot;
    const [first] = quorums;
    assert(first !== undefined, 'a lease needs a quorum system');
    this.#lease = new LeaderLease(config, first, ballot, ctx.nowMs());
    this.#lease.setQuorums(quorums);
  }

  /**
   * The quorum systems in force changed (a configuration entry was proposed or committed): the
   * lease now needs grants meeting every phase-1 quorum of each of them.
   */
  setQuorums(quorums: readonly QuorumSystem[]): void {
    this.#lease.setQuorums(quorums);
  }

  /** Whether a leadership transfer began. */
  get transferring(): boolean {
    return this.#transferring;
  }

  /**
   * Lease fields for a batch of grant-soliciting messages created now: a new lease round
   * (`LeaderLease.beginRound`), or `leaseRelease` during a transfer. The leader's own acceptor
   * acknowledges at the send on the same clock, so it grants and is counted at once (receipt
   * time = send time: its grant outlasts what the leader counts).
   */
  fields(): LeaseFields {
    if (this.#transferring) {
      return { leaseRelease: true };
    }
    const now = this.#ctx.nowMs();
    const round = this.#lease.beginRound(now);
    this.#maxRound = round;
    assert(
      ballotEquals(this.#acceptor.promised, this.#ballot),
      'leader whose promise is not its own ballot',
    );
    this.#acceptor.lease?.onAcknowledged(this.#ballot, now);
    this.#lease.onAck(this.#ctx.id, round, now);
    return { leaseRound: round };
  }

  /** An acknowledgement echoing lease round `round` arrived from `from` in this ballot. */
  onAck(from: NodeId, round: number): void {
    if (!Number.isSafeInteger(round) || round < 1 || round > this.#maxRound) {
      return;
    }
    this.#lease.onAck(from, round as LeaseRoundId, this.#ctx.nowMs());
  }

  /** Whether a lease read may be served now, or why not (`LeaderLease.canServeLeaseRead`). */
  canServeRead(
    nowMs: number,
    ownBallotEntryCommitted: boolean,
  ): ReturnType<LeaderLease['canServeLeaseRead']> {
    const log = this.#ctx.log;
    return this.#lease.canServeLeaseRead({
      nowMs,
      ownBallotEntryCommitted,
      appliedIndex: log.applied,
      committedIndex: log.committed,
    });
  }

  /** The lease now. */
  view(nowMs: number, ownBallotEntryCommitted: boolean): LeaseView {
    const held = this.#lease.holds(nowMs);
    return {
      held,
      validUntilMs: held ? this.#lease.validUntilMs() : undefined,
      servesReads: this.canServeRead(nowMs, ownBallotEntryCommitted).ok,
    };
  }

  /**
   * Begins a leadership transfer: ends lease reads at once (`LeaderLease.beginTransfer`), and
   * only then releases the own grant (order matters: no lease read relies on a released grant).
   * Returns false when a transfer already began.
   */
  beginTransfer(): boolean {
    if (this.#transferring) {
      return false;
    }
    this.#lease.beginTransfer();
    this.#transferring = true;
    this.#transferStartTick = this.#ctx.ticks;
    this.#acceptor.lease?.release(this.#ballot, this.#ctx.nowMs());
    return true;
  }

  /** A transfer began an election timeout ago and this ballot still leads: it failed. */
  get transferTimedOut(): boolean {
    return (
      this.#transferring &&
      this.#ctx.ticks - this.#transferStartTick >= this.#ctx.config.electionTimeoutTicks
    );
  }
}

/**
 * The quorum-system abstraction, in the spirit of etcd-io/raft's `quorum/` package: it sees only
 * votes and acknowledged indexes, never a replica or its progress tracking.
 *
 * Voter ids are plain safe integers so that any caller's branded id type is assignable.
 */

/** A voter id (a node id). */
export type VoterId = number;

/** Outcome of a phase-1 (election) vote count. */
export type VoteResult = 'pending' | 'won' | 'lost';

/**
 * A quorum system over a fixed set of voters, with separate phase-1 (election, size L) and
 * phase-2 (replication, size P) quorums.
 *
 * Quorums are upward closed: every method asks whether a set *contains* a quorum, and ids that
 * are not voters are ignored everywhere. Implementations are immutable and pure (no clock, no
 * I/O); a membership change builds a new system (see `jointQuorum`).
 *
 * Invariant: every phase-1 quorum intersects every phase-2 quorum (Howard, Malkhi, Spiegelman,
 * "Flexible Paxos", arXiv 1608.06696, §3). Constructors validate this and refuse otherwise.
 *
 * Implementations in this package: `majorityQuorum`, `countingQuorum`, `gridQuorum`,
 * `jointQuorum`.
 */
export interface QuorumSystem {
  /** Every voter, ascending, without duplicates. */
  readonly voters: readonly VoterId[];
  /**
   * Phase-1 result from votes: `true` = granted, `false` = refused, absent = not answered.
   * `won` once the yes votes contain a phase-1 quorum; `lost` once no phase-1 quorum can be
   * formed from the yes votes plus the unanswered voters; `pending` otherwise.
   * Votes from non-voters are ignored.
   */
  phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult;
  /**
   * The highest index acknowledged by a phase-2 quorum, given each voter's highest acknowledged
   * index (absent = nothing acknowledged, counts as 0). Returns 0 when no quorum acknowledged
   * anything.
   */
  phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number;
  /** Whether `ids` contains a phase-1 quorum. */
  isPhase1Quorum(ids: ReadonlySet<VoterId>): boolean;
  /** Whether `ids` contains a phase-2 quorum. */
  isPhase2Quorum(ids: ReadonlySet<VoterId>): boolean;
  /**
   * Whether `ids` intersects every phase-1 quorum. A leader lease is held once the granting
   * acceptors form such a set (every phase-2 quorum is one when the system is valid).
   */
  intersectsEveryPhase1Quorum(ids: ReadonlySet<VoterId>): boolean;
  /** A human description, e.g. `counting(N=5, L=3, P=3) over [1,2,3,4,5]`. */
  describe(): string;
}

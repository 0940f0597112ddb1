import { ackOf } from './ack.js';
import { throwIfProblems } from './errors.js';
import type { QuorumSystem, VoteResult, VoterId } from './quorum-system.js';
import type { CountingQuorumConfig } from './validate.js';
import { defaultElectionQuorumSize, validateCountingQuorum, validateMembers } from './validate.js';

/**
 * A counting quorum system: any L of the N members form a phase-1 (election) quorum and any P
 * form a phase-2 (replication) quorum.
 *
 * Invariant: `1 <= L <= N`, `1 <= P <= N` and `L + P > N`, so any L members and any P members
 * share at least `L + P - N >= 1` member (Flexible Paxos, arXiv 1608.06696, §3).
 */
export interface CountingQuorumSystem extends QuorumSystem {
  /** `majority` for {@link majorityQuorum}, `counting` for {@link countingQuorum}. */
  readonly kind: 'counting' | 'majority';
  /** N: the number of members. */
  readonly memberCount: number;
  /** L: the phase-1 (election) quorum size. */
  readonly election: number;
  /** P: the phase-2 (replication) quorum size. */
  readonly replication: number;
}

/**
 * A counting quorum system from members, P and optional L (default `N - P + 1`). Throws a
 * {@link QuorumConfigError} listing every problem {@link validateCountingQuorum} finds, e.g.
 * `P=2 and L=3 do not intersect for N=5: need L + P > N`.
 */
export function countingQuorum(config: CountingQuorumConfig): CountingQuorumSystem {
  throwIfProblems(validateCountingQuorum(config));
  const n = config.members.length;
  const election = config.election ?? defaultElectionQuorumSize(n, config.replication);
  return new CountingQuorum('counting', config.members, election, config.replication);
}

/**
 * Classic Paxos quorums: a majority (`floor(N/2) + 1`) in both phases. Throws a
 * {@link QuorumConfigError} when the members are empty, repeated or not positive safe integers.
 */
export function majorityQuorum(members: readonly VoterId[]): CountingQuorumSystem {
  throwIfProblems(validateMembers(members));
  const majority = Math.floor(members.length / 2) + 1;
  return new CountingQuorum('majority', members, majority, majority);
}

class CountingQuorum implements CountingQuorumSystem {
  readonly kind: 'counting' | 'majority';
  readonly voters: readonly VoterId[];
  readonly memberCount: number;
  readonly election: number;
  readonly replication: number;
  readonly #voterSet: ReadonlySet<VoterId>;
  /** Scratch space for {@link phase2CommittedIndex}; never escapes. */
  readonly #scratch: number[];

  constructor(
    kind: 'counting' | 'majority',
    members: readonly VoterId[],
    election: number,
    replication: number,
  ) {
    this.kind = kind;
    this.voters = Object.freeze([...members].sort((a, b) => a - b));
    this.memberCount = members.length;
    this.election = election;
    this.replication = replication;
    this.#voterSet = new Set(members);
    this.#scratch = new Array<number>(members.length).fill(0);
  }

  phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult {
    let yes = 0;
    let no = 0;
    for (const [id, granted] of votes) {
      if (this.#voterSet.has(id)) {
        if (granted) yes++;
        else no++;
      }
    }
    if (yes >= this.election) return 'won';
    if (this.memberCount - no < this.election) return 'lost';
    return 'pending';
  }

  /** The P-th highest acknowledged index: P voters acknowledged at least it. */
  phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number {
    const scratch = this.#scratch;
    for (let i = 0; i < this.voters.length; i++) {
      scratch[i] = ackOf(acked, this.voters[i] as VoterId);
    }
    scratch.sort((a, b) => b - a);
    return scratch[this.replication - 1] as number;
  }

  isPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.#countVoters(ids) >= this.election;
  }

  isPhase2Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.#countVoters(ids) >= this.replication;
  }

  /** A phase-1 quorum avoids `ids` iff at least L voters lie outside it. */
  intersectsEveryPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    return this.memberCount - this.#countVoters(ids) < this.election;
  }

  describe(): string {
    const n = this.memberCount;
    const over = `over [${this.voters.join(',')}]`;
    return `${this.kind}(N=${n}, L=${this.election}, P=${this.replication}) ${over}`;
  }

  #countVoters(ids: ReadonlySet<VoterId>): number {
    let count = 0;
    for (const v of this.voters) {
      if (ids.has(v)) count++;
    }
    return count;
  }
}

import type { QuorumSystem, VoteResult, VoterId } from './quorum-system.js';

/**
 * A joint quorum system for membership change: a phase-1 quorum is a phase-1 quorum of both
 * systems together, and a phase-2 quorum a phase-2 quorum of both (as in etcd-io/raft's
 * `JointConfig` and Raft's joint consensus). While a configuration change is in flight, neither
 * the old nor the new configuration can decide anything alone.
 *
 * Invariant: if each of the two systems is valid, so is the joint one: a joint phase-1 quorum
 * contains a phase-1 quorum of `a`, a joint phase-2 quorum contains a phase-2 quorum of `a`,
 * and those meet.
 */
export interface JointQuorumSystem extends QuorumSystem {
  readonly kind: 'joint';
  /** The two systems, in the order given (conventionally: outgoing, incoming). */
  readonly systems: readonly [QuorumSystem, QuorumSystem];
}

/**
 * The joint quorum system of `a` and `b` (any two quorum systems, possibly over overlapping or
 * different members). Needs no validation of its own: it is safe whenever `a` and `b` are.
 */
export function jointQuorum(a: QuorumSystem, b: QuorumSystem): JointQuorumSystem {
  return new JointQuorum(a, b);
}

class JointQuorum implements JointQuorumSystem {
  readonly kind = 'joint' as const;
  readonly voters: readonly VoterId[];
  readonly systems: readonly [QuorumSystem, QuorumSystem];

  constructor(a: QuorumSystem, b: QuorumSystem) {
    this.systems = Object.freeze([a, b] as const);
    this.voters = Object.freeze([...new Set([...a.voters, ...b.voters])].sort((x, y) => x - y));
  }

  /**
   * Won when both systems won; lost when either lost (it can no longer form its own quorum,
   * which every joint quorum needs); pending otherwise. Each system ignores non-voters.
   */
  phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult {
    const [a, b] = this.systems;
    const ra = a.phase1Result(votes);
    const rb = b.phase1Result(votes);
    if (ra === 'lost' || rb === 'lost') return 'lost';
    if (ra === 'won' && rb === 'won') return 'won';
    return 'pending';
  }

  /**
   * The lower of the two committed indexes: index k is acknowledged by a joint quorum iff the
   * voters at k or above hold a phase-2 quorum of each system, and that is monotone in k.
   */
  phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number {
    const [a, b] = this.systems;
    return Math.min(a.phase2CommittedIndex(acked), b.phase2CommittedIndex(acked));
  }

  isPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    const [a, b] = this.systems;
    return a.isPhase1Quorum(ids) && b.isPhase1Quorum(ids);
  }

  isPhase2Quorum(ids: ReadonlySet<VoterId>): boolean {
    const [a, b] = this.systems;
    return a.isPhase2Quorum(ids) && b.isPhase2Quorum(ids);
  }

  /**
   * A joint phase-1 quorum avoiding `ids` is the union of a phase-1 quorum of `a` and one of `b`,
   * both avoiding `ids`. So `ids` meets every joint phase-1 quorum iff it meets every phase-1
   * quorum of `a` or every phase-1 quorum of `b`.
   */
  intersectsEveryPhase1Quorum(ids: ReadonlySet<VoterId>): boolean {
    const [a, b] = this.systems;
    return a.intersectsEveryPhase1Quorum(ids) || b.intersectsEveryPhase1Quorum(ids);
  }

  describe(): string {
    const [a, b] = this.systems;
    return `joint(${a.describe()}; ${b.describe()})`;
  }
}

/**
 * A deliberately broken counting quorum system for `--unsafe-quorum`: any L members form a
 * phase-1 quorum and any P a phase-2 quorum with NO intersection check, so L + P <= N is
 * accepted. It exists only to prove that the agreement checker can fail; the real
 * `countingQuorum` of `@flexpaxos/quorum` refuses such a configuration.
 */
import type { QuorumSystem, VoteResult, VoterId } from '@flexpaxos/quorum';

/** Builds the broken system over `members` with phase-1 size `election`, phase-2 size `replication`. */
export function unsafeCountingQuorum(members: readonly VoterId[], election: number, replication: number): QuorumSystem {
  const voters = [...members].sort((a, b) => a - b);
  const voterSet = new Set(voters);
  const n = voters.length;
  const countIn = (ids: ReadonlySet<VoterId>): number => {
    let k = 0;
    for (const id of ids) if (voterSet.has(id)) k++;
    return k;
  };
  return {
    voters,
    phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult {
      let yes = 0;
      let no = 0;
      for (const [id, granted] of votes) {
        if (!voterSet.has(id)) continue;
        if (granted) yes++;
        else no++;
      }
      if (yes >= election) return 'won';
      if (n - no < election) return 'lost';
      return 'pending';
    },
    phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number {
      const idx = voters.map((v) => acked.get(v) ?? 0).sort((a, b) => b - a);
      return idx[replication - 1] ?? 0;
    },
    isPhase1Quorum: (ids) => countIn(ids) >= election,
    isPhase2Quorum: (ids) => countIn(ids) >= replication,
    intersectsEveryPhase1Quorum: (ids) => countIn(ids) > n - election,
    describe: () => `UNSAFE counting(N=${n}, L=${election}, P=${replication}) over [${voters.join(',')}]`,
  };
}

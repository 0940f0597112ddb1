import type { QuorumSystem, VoterId, VoteResult } from '@flexpaxos/quorum';

/**
 * A small test-local counting quorum system (phase-1 quorums: any L voters; phase-2: any P),
 * used until `@flexpaxos/quorum` ships its concrete systems. Deliberately naive.
 */
export function testCountingQuorum(n: number, l: number, p: number): QuorumSystem {
  if (!(l + p > n && l >= 1 && p >= 1 && l <= n && p <= n)) {
    throw new Error(`testCountingQuorum: need L + P > N (N=${n}, L=${l}, P=${p})`);
  }
  const voters: VoterId[] = Array.from({ length: n }, (_, i) => i + 1);
  const voterSet = new Set(voters);
  const count = (ids: ReadonlySet<VoterId>): number =>
    [...ids].filter((id) => voterSet.has(id)).length;
  return {
    voters,
    phase1Result(votes: ReadonlyMap<VoterId, boolean>): VoteResult {
      let yes = 0;
      let no = 0;
      for (const [id, v] of votes) {
        if (!voterSet.has(id)) continue;
        if (v) yes += 1;
        else no += 1;
      }
      if (yes >= l) return 'won';
      if (n - no < l) return 'lost';
      return 'pending';
    },
    phase2CommittedIndex(acked: ReadonlyMap<VoterId, number>): number {
      const idx = voters.map((id) => acked.get(id) ?? 0).sort((a, b) => b - a);
      return idx[p - 1] ?? 0;
    },
    isPhase1Quorum: (ids) => count(ids) >= l,
    isPhase2Quorum: (ids) => count(ids) >= p,
    // A set meets every L-subset iff fewer than L voters lie outside it.
    intersectsEveryPhase1Quorum: (ids) => n - count(ids) < l,
    describe: () => `test-counting(N=${n}, L=${l}, P=${p})`,
  };
}

/** Every subset of `items` of size `k` (naive enumeration, for cross-checks). */
export function subsetsOfSize<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items as [T, ...T[]];
  return [...subsetsOfSize(rest, k - 1).map((s) => [first, ...s]), ...subsetsOfSize(rest, k)];
}

import { countingQuorum, type QuorumSystem } from '@flexpaxos/quorum';

/** A counting quorum system over voters 1..n with phase-1 size `l` and phase-2 size `p`. */
export function counting(n: number, l: number, p: number): QuorumSystem {
  const members = Array.from({ length: n }, (_, i) => i + 1);
  return countingQuorum({ members, election: l, replication: p });
}

/** Every subset of `items` of size `k` (naive enumeration, for cross-checks). */
export function subsetsOfSize<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items as [T, ...T[]];
  return [...subsetsOfSize(rest, k - 1).map((s) => [first, ...s]), ...subsetsOfSize(rest, k)];
}

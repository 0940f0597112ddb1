/**
 * Point planning: which (delay, N, P, L, clients) combinations a sweep runs, in run order, and
 * which requested combinations break the quorum rules (`1 <= P, L <= N`, `L + P > N`; Flexible
 * Paxos, Howard, Malkhi, Spiegelman, arXiv 1608.06696, §3).
 */
import { defaultElectionQuorumSize, validateCountingQuorum } from '@flexpaxos/quorum';
import type { DelayVariant } from './delay.js';

/** One benchmark point: one fresh cluster, one client count. */
export interface BenchPoint {
  readonly nodes: number;
  readonly replication: number;
  readonly election: number;
  readonly clients: number;
  readonly delay: DelayVariant;
}

/** What the planner reads from the options. */
export interface PlanInput {
  readonly nodes: readonly number[];
  readonly replication: readonly number[] | undefined;
  readonly election: readonly number[] | undefined;
  readonly clients: readonly number[];
  readonly delays: readonly DelayVariant[];
}

/** The points to run, and every problem with the requested quorums (option, values, rule). */
export interface Plan {
  readonly points: readonly BenchPoint[];
  readonly problems: readonly string[];
}

function members(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/**
 * The (P, L) pairs to run for cluster size `n`:
 * - P given, L given: every pair, each must be valid (problems otherwise);
 * - P given, L not: L = N - P + 1 for each P (P must be in 1..N);
 * - P not given, L given: every P that is valid with that L (P from max(1, N - L + 1) to N);
 * - neither: every P in 1..N with L = N - P + 1.
 */
export function quorumPairs(
  n: number,
  replication: readonly number[] | undefined,
  election: readonly number[] | undefined,
  problems: string[],
): { replication: number; election: number }[] {
  const out: { replication: number; election: number }[] = [];
  const check = (p: number, l: number | undefined): boolean => {
    const found = validateCountingQuorum({ members: members(n), replication: p, election: l });
    for (const q of found) {
      const option = q.field === 'replication' ? '--replication' : '--election';
      problems.push(`${option}: ${q.message}`);
    }
    return found.length === 0;
  };
  if (replication !== undefined) {
    for (const p of replication) {
      if (election === undefined) {
        if (check(p, undefined))
          out.push({ replication: p, election: defaultElectionQuorumSize(n, p) });
      } else {
        for (const l of election) if (check(p, l)) out.push({ replication: p, election: l });
      }
    }
    return out;
  }
  if (election !== undefined) {
    for (const l of election) {
      if (l > n) {
        check(1, l);
        continue;
      }
      for (let p = Math.max(1, n - l + 1); p <= n; p++) out.push({ replication: p, election: l });
    }
    return out;
  }
  for (let p = 1; p <= n; p++)
    out.push({ replication: p, election: defaultElectionQuorumSize(n, p) });
  return out;
}

/** Plans a sweep: delays outermost, then N, then P (then L), then clients. */
export function planPoints(input: PlanInput): Plan {
  const problems: string[] = [];
  const points: BenchPoint[] = [];
  for (const delay of input.delays) {
    for (const n of input.nodes) {
      for (const q of quorumPairs(n, input.replication, input.election, problems)) {
        for (const clients of input.clients) {
          points.push({
            nodes: n,
            replication: q.replication,
            election: q.election,
            clients,
            delay,
          });
        }
      }
    }
  }
  return { points, problems: [...new Set(problems)] };
}

/** Seconds spent outside warm-up and measurement per point (processes, election, teardown); an estimate for ETAs. */
export const POINT_OVERHEAD_S = 5;

/** Estimated wall time of a plan, in seconds. */
export function estimateSeconds(
  points: number,
  warmupS: number,
  durationS: number,
  failover: boolean,
): number {
  return points * (POINT_OVERHEAD_S + warmupS + durationS + (failover ? 3 : 0));
}

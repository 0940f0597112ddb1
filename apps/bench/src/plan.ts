/**
 * Point planning: which (delay, N, P, L, clients) combinations a sweep runs, in run order, and
 * which requested combinations break the quorum rules (`1 <= P, L <= N`, `L + P > N`; Flexible
 * Paxos, Howard, Malkhi, Spiegelman, arXiv 1608.06696, §3); and, with `--compare`, the points
 * of the comparison systems (same N, same client counts, no emulated delay).
 */
import { defaultElectionQuorumSize, validateCountingQuorum } from '@flexpaxos/quorum';
import { NO_DELAY } from './delay.js';
import type { DelayVariant } from './delay.js';
import { NATS_KV_MAX_REPLICAS, majority } from './system.js';
import type { BenchSystem, CompareSystem } from './system.js';

/** One benchmark point: one fresh cluster, one client count. */
export interface BenchPoint {
  /** The system measured. For `natskv` and `etcd`, `nodes` is the server count and P = L = a majority (Raft). */
  readonly system: BenchSystem;
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
  /** Comparison systems to run next to FlexPaxos (default none). */
  readonly compare?: readonly CompareSystem[];
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

/**
 * Plans a sweep: delays outermost, then N, then P (then L), then clients. With `compare`, in
 * the `none` delay variant (the comparisons run on plain loopback) the order is N, then
 * clients, then the FlexPaxos points (P, L) followed by one point of each comparison system
 * with N servers.
 */
export function planPoints(input: PlanInput): Plan {
  const problems: string[] = [];
  const points: BenchPoint[] = [];
  const compare = input.compare ?? [];
  if (compare.length > 0 && !input.delays.some((d) => d.label === NO_DELAY.label)) {
    problems.push(
      '--compare: the comparison systems run without emulated delays; add --delay none to compare them with FlexPaxos on the same links',
    );
  }
  if (compare.includes('natskv')) {
    for (const n of input.nodes) {
      if (n > NATS_KV_MAX_REPLICAS)
        problems.push(
          `--compare natskv: N=${n} is more than a JetStream stream can be replicated on (at most ${NATS_KV_MAX_REPLICAS} replicas)`,
        );
    }
  }
  for (const delay of input.delays) {
    for (const n of input.nodes) {
      const pairs = quorumPairs(n, input.replication, input.election, problems);
      const flexPaxos = (q: { replication: number; election: number }, clients: number): void => {
        points.push({ system: 'flexpaxos', nodes: n, ...q, clients, delay });
      };
      if (compare.length === 0 || delay.label !== NO_DELAY.label) {
        for (const q of pairs) for (const clients of input.clients) flexPaxos(q, clients);
        continue;
      }
      // Comparing: every system at one client count before the next count, so that points
      // compared with each other run close together in time (a shared machine's load drifts).
      for (const clients of input.clients) {
        for (const q of pairs) flexPaxos(q, clients);
        for (const system of compare) {
          points.push({
            system,
            nodes: n,
            replication: majority(n),
            election: majority(n),
            clients,
            delay: NO_DELAY,
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

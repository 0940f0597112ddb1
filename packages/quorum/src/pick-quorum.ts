import type { QuorumSystem, VoterId } from './quorum-system.js';

/**
 * A minimal phase-2 quorum drawn from `preferred`, favouring its earlier entries, or `undefined`
 * when `preferred` holds no phase-2 quorum. For thrifty phase 2: pass the voters ordered by
 * preference (the leader itself first, then the fastest responders) and send Accept only to the
 * result.
 *
 * Greedy: take the shortest prefix of `preferred` that is a quorum, then drop, latest first, any
 * member the rest does not need. Works for any {@link QuorumSystem}; for counting quorums it is
 * the first P preferred voters.
 */
export function pickPhase2Quorum(
  system: QuorumSystem,
  preferred: readonly VoterId[],
): VoterId[] | undefined {
  const chosen = new Set<VoterId>();
  for (const v of preferred) {
    if (system.isPhase2Quorum(chosen)) break;
    chosen.add(v);
  }
  if (!system.isPhase2Quorum(chosen)) return undefined;
  for (const v of [...chosen].reverse()) {
    chosen.delete(v);
    if (!system.isPhase2Quorum(chosen)) chosen.add(v);
  }
  return preferred.filter((v) => chosen.has(v));
}

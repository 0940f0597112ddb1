/**
 * Ballot arithmetic. Ballots are `(round, nodeId)` pairs ordered by round, then node id, so two
 * proposers never share one (Lamport, "Paxos Made Simple", §2.2: "different proposers choose
 * their numbers from disjoint sets").
 */
import type { Ballot, NodeId, Round } from './types.js';

/** The zero ballot `(0, 0)`: lower than every ballot a node can own. */
export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0 as Round, nodeId: 0 as NodeId });

/** Negative when `a < b`, zero when equal, positive when `a > b`. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) {
    return a.round < b.round ? -1 : 1;
  }
  if (a.nodeId !== b.nodeId) {
    return a.nodeId < b.nodeId ? -1 : 1;
  }
  return 0;
}

/** Whether `a` and `b` are the same ballot. */
export function ballotEquals(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.nodeId === b.nodeId;
}

/** The larger of two ballots. */
export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return compareBallots(a, b) >= 0 ? a : b;
}

/** A ballot as text, `r.n`, for logs and messages. */
export function formatBallot(b: Ballot): string {
  return `${b.round}.${b.nodeId}`;
}

/**
 * The lease package's view of a ballot. It is structural on purpose: `lease` sits below the
 * Paxos core and must not import it, yet the core's branded `Ballot` (`{ round: Round; nodeId:
 * NodeId }`, both branded numbers) is assignable to this type, so the core can pass its ballots
 * straight in.
 */
export interface LeaseBallot {
  /** The round part of the ballot. */
  readonly round: number;
  /** The node that owns the ballot. */
  readonly nodeId: number;
}

/** Whether `a` and `b` are the same ballot (same round and same owner). */
export function sameBallot(a: LeaseBallot, b: LeaseBallot): boolean {
  return a.round === b.round && a.nodeId === b.nodeId;
}

/** `(round.nodeId)`, for messages. */
export function formatBallot(b: LeaseBallot): string {
  return `(${b.round}.${b.nodeId})`;
}

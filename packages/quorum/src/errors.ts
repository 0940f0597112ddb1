/**
 * Configuration problems and the one error that lists them (conventions, "Errors" rule 4):
 * `validate*()` functions return every problem; constructors throw a single
 * {@link QuorumConfigError} carrying all of them.
 */

/** The rule a configuration problem breaks. Stable: callers may switch on it. */
export type QuorumConfigRule =
  /** A list that needs at least one element is empty. */
  | 'non-empty'
  /** A member id is not a positive safe integer. */
  | 'positive-safe-integer'
  /** A member id appears more than once. */
  | 'distinct'
  /** A quorum size is not an integer in `1..N`. */
  | 'range'
  /** Phase-1 and phase-2 quorums may not intersect (`L + P > N` for counting quorums). */
  | 'intersection'
  /** Grid rows have different lengths. */
  | 'rectangular'
  /** A value is not one of the allowed choices. */
  | 'one-of';

/** One problem with a quorum configuration: the field, the rule it breaks and a message. */
export interface QuorumConfigProblem {
  /** The configuration field at fault, e.g. `members`, `replication`, `election`, `rows[1]`. */
  readonly field: string;
  /** The rule broken. */
  readonly rule: QuorumConfigRule;
  /**
   * A human sentence naming the field (or, for intersection, N, L and P) and the rule, e.g.
   * `P=2 and L=3 do not intersect for N=5: need L + P > N`.
   */
  readonly message: string;
}

/**
 * Thrown by quorum constructors given an invalid configuration. Lists every problem found.
 * `code` is stable (`QUORUM_CONFIG_INVALID`); `name` is `QuorumConfigError`.
 */
export class QuorumConfigError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'QUORUM_CONFIG_INVALID' as const;
  override readonly name = 'QuorumConfigError' as const;
  /** Every problem found, in the order the validator reports them; never empty. */
  readonly problems: readonly QuorumConfigProblem[];

  constructor(problems: readonly QuorumConfigProblem[]) {
    super(`invalid quorum configuration: ${problems.map((p) => p.message).join('; ')}`);
    this.problems = problems;
  }
}

/** Throws a {@link QuorumConfigError} when `problems` is non-empty. */
export function throwIfProblems(problems: readonly QuorumConfigProblem[]): void {
  if (problems.length > 0) {
    throw new QuorumConfigError(problems);
  }
}

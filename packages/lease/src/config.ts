/**
 * Lease configuration and its validation.
 *
 * All durations are milliseconds of a node's *monotonic* clock (for example
 * `performance.now()` in the host), never wall-clock time.
 *
 * ## The clock assumption (what `clockDriftBoundMs` means)
 *
 * For any two nodes X and Y and any interval of true time over which X's monotonic clock
 * advances by `a <= leaseDurationMs`, Y's monotonic clock advances by at most
 * `a + clockDriftBoundMs`. Rate drift, steps and jitter of the clocks all count against this
 * bound; {@link requiredClockDriftBoundMs} turns a clock model into a bound that covers it.
 * A node's clock may restart from any origin when the node restarts.
 */

/** Lease settings shared by the acceptor and the leader side. */
export interface LeaseConfig {
  /**
   * How long an acceptor's grant runs on its own clock after it acknowledges a leader's
   * message. Positive safe integer.
   */
  readonly leaseDurationMs: number;
  /**
   * The clock assumption's bound (see the module comment): over any interval in which one
   * node's clock advances by at most `leaseDurationMs`, another node's advances by at most
   * this much more. Non-negative safe integer, `2 * clockDriftBoundMs < leaseDurationMs`.
   */
  readonly clockDriftBoundMs: number;
  /**
   * The shortest election timeout any node may draw (randomized timeouts draw at or above
   * it), and how long a leader goes without hearing a phase-2 quorum before it steps down.
   * Positive safe integer, `leaseDurationMs + clockDriftBoundMs < electionTimeoutMs`.
   */
  readonly electionTimeoutMs: number;
  /**
   * UNSAFE, for fault-injection only (the simulator's `--unsafe-lease`): the leader ignores
   * the drift bound (its grants run to `sentAt + leaseDurationMs`) and a restarted acceptor
   * promises at once instead of waiting one lease duration. Breaks lease exclusivity when
   * clocks drift or acceptors restart. Default `false`.
   */
  readonly unsafeLease?: boolean;
}

/** One problem found by {@link validateLeaseConfig}. */
export interface LeaseConfigProblem {
  /** The offending field. */
  readonly field: keyof LeaseConfig;
  /** A short stable name of the rule that failed, e.g. `positive-integer`. */
  readonly rule: string;
  /** A human sentence naming the field, the rule and the value. */
  readonly message: string;
}

/** Thrown by constructors given an invalid {@link LeaseConfig}; lists every problem. */
export class LeaseConfigError extends Error {
  /** Stable code for programmatic checks. */
  readonly code = 'LEASE_CONFIG_INVALID';
  /** Every problem, as {@link validateLeaseConfig} returned them. */
  readonly problems: readonly LeaseConfigProblem[];
  constructor(problems: readonly LeaseConfigProblem[]) {
    super(`invalid lease config:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.name = 'LeaseConfigError';
    this.problems = problems;
  }
}

/**
 * Checks a lease configuration and returns every problem (empty when valid). Rules:
 *
 * 1. `leaseDurationMs` and `electionTimeoutMs` are positive safe integers;
 *    `clockDriftBoundMs` is a non-negative safe integer.
 * 2. `2 * clockDriftBoundMs < leaseDurationMs` (drift bound in range). The leader counts a
 *    grant as `leaseDurationMs - clockDriftBoundMs`; a bound of half the lease or more leaves
 *    the leader less than half of every grant, which means the bound or the lease is mis-set.
 * 3. `leaseDurationMs + clockDriftBoundMs < electionTimeoutMs`. Safety does not rest on this
 *    rule (acceptors refuse Prepare while a grant runs, whatever the timeouts); it makes
 *    elections after a leader failure succeed on the first try. When the leader falls silent,
 *    a follower's election timer fires `electionTimeoutMs` after it last heard the leader (on
 *    its clock); an acceptor that acknowledged that same last message stops refusing
 *    `leaseDurationMs` later on *its* clock, which is at most `leaseDurationMs +
 *    clockDriftBoundMs` on the follower's clock. With the rule, such grants have ended by
 *    the time the candidate's timer fires (message delays aside), so the first candidate is
 *    not refused; with a longer lease every first election after a failure would be refused
 *    and retried. (That no leader is elected while an old lease is still valid is guaranteed
 *    by the refusals themselves, not by this rule.) It also means a leader that stops being
 *    renewed loses its lease (after at most `leaseDurationMs - clockDriftBoundMs`) before it
 *    steps down for want of a phase-2 quorum.
 * 4. `unsafeLease`, when present, is a boolean.
 */
export function validateLeaseConfig(config: LeaseConfig): LeaseConfigProblem[] {
  const problems: LeaseConfigProblem[] = [];
  const { leaseDurationMs, clockDriftBoundMs, electionTimeoutMs } = config;
  const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
  const isNonNegativeInt = (v: unknown): v is number =>
    Number.isSafeInteger(v) && (v as number) >= 0;

  if (!isPositiveInt(leaseDurationMs)) {
    problems.push({
      field: 'leaseDurationMs',
      rule: 'positive-integer',
      message: `leaseDurationMs must be a positive safe integer (got ${String(leaseDurationMs)})`,
    });
  }
  if (!isNonNegativeInt(clockDriftBoundMs)) {
    problems.push({
      field: 'clockDriftBoundMs',
      rule: 'non-negative-integer',
      message: `clockDriftBoundMs must be a non-negative safe integer (got ${String(clockDriftBoundMs)})`,
    });
  }
  if (!isPositiveInt(electionTimeoutMs)) {
    problems.push({
      field: 'electionTimeoutMs',
      rule: 'positive-integer',
      message: `electionTimeoutMs must be a positive safe integer (got ${String(electionTimeoutMs)})`,
    });
  }
  if (
    isPositiveInt(leaseDurationMs) &&
    isNonNegativeInt(clockDriftBoundMs) &&
    !(2 * clockDriftBoundMs < leaseDurationMs)
  ) {
    problems.push({
      field: 'clockDriftBoundMs',
      rule: 'drift-below-half-lease',
      message: `clockDriftBoundMs must be less than half of leaseDurationMs (2 * ${clockDriftBoundMs} >= ${leaseDurationMs})`,
    });
  }
  if (
    isPositiveInt(leaseDurationMs) &&
    isNonNegativeInt(clockDriftBoundMs) &&
    isPositiveInt(electionTimeoutMs) &&
    !(leaseDurationMs + clockDriftBoundMs < electionTimeoutMs)
  ) {
    problems.push({
      field: 'leaseDurationMs',
      rule: 'lease-plus-drift-below-election-timeout',
      message: `leaseDurationMs + clockDriftBoundMs must be less than electionTimeoutMs (${leaseDurationMs} + ${clockDriftBoundMs} >= ${electionTimeoutMs})`,
    });
  }
  const unsafe: unknown = config.unsafeLease;
  if (unsafe !== undefined && typeof unsafe !== 'boolean') {
    problems.push({
      field: 'unsafeLease',
      rule: 'boolean',
      message: `unsafeLease must be a boolean when present (got a ${typeof unsafe})`,
    });
  }
  return problems;
}

/** Throws one {@link LeaseConfigError} listing every problem unless `config` is valid. */
export function assertValidLeaseConfig(config: LeaseConfig): void {
  const problems = validateLeaseConfig(config);
  if (problems.length > 0) throw new LeaseConfigError(problems);
}

/** A clock model: what a deployment (or the simulator) promises about each node's clock. */
export interface ClockModel {
  /** Lease duration the bound is for. */
  readonly leaseDurationMs: number;
  /** Largest rate error of any clock against true time, in parts per million (< 1e6). */
  readonly rateErrorPpm: number;
  /** Largest total of forward steps any clock takes within one lease duration. */
  readonly stepMsMax: number;
  /** Largest distance of a reading from the clock's smooth (rate + steps) value. */
  readonly jitterMsMax: number;
}

/**
 * The smallest integer `clockDriftBoundMs` that covers `model`. Derivation: X advances
 * `a <= D` over true time `t`; jitter can hide at most `2j`, so `t <= (a + 2j) / (1 - rho)`.
 * Y advances at most `(1 + rho) t + S + 2j`. The excess over `a` is therefore at most
 * `D * 2rho / (1 - rho) + 2j (1 + rho) / (1 - rho) + S + 2j`.
 */
export function requiredClockDriftBoundMs(model: ClockModel): number {
  const rho = model.rateErrorPpm / 1_000_000;
  const j = model.jitterMsMax;
  const excess =
    (model.leaseDurationMs * 2 * rho) / (1 - rho) +
    (2 * j * (1 + rho)) / (1 - rho) +
    model.stepMsMax +
    2 * j;
  return Math.ceil(excess);
}

/**
 * Invariant checks for the lease package. A failed assertion is a bug in the caller or in this
 * package (a clock that went backwards, an acknowledgement from a round never sent), never an
 * expected outcome, so it throws and is meant to stay uncaught. Assertions stay on in production.
 */

/** Thrown when an invariant of the lease package is broken. */
export class LeaseAssertionError extends Error {
  /** Stable code for programmatic checks. */
  readonly code = 'LEASE_ASSERTION';
  constructor(message: string) {
    super(message);
    this.name = 'LeaseAssertionError';
  }
}

/** Throws a {@link LeaseAssertionError} with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new LeaseAssertionError(message);
}

/** Asserts that `nowMs` is a finite clock reading no earlier than `previousMs` (monotonic). */
export function assertMonotonic(nowMs: number, previousMs: number, what: string): void {
  assert(Number.isFinite(nowMs), `${what}: clock reading ${nowMs} is not a finite number`);
  assert(
    nowMs >= previousMs,
    `${what}: monotonic clock went backwards (${nowMs} after ${previousMs})`,
  );
}

/**
 * Invariant checks that stay on in production (conventions: "assert(cond, message)" throws and
 * is never caught).
 */

/** Thrown when an invariant of the core is broken or the core is misused by its host. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an `AssertionError` with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new AssertionError(message);
  }
}

/** Exhaustiveness check for `switch` statements over a union. */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

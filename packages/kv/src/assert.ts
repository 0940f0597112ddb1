/**
 * Throws when an invariant is broken or the caller misuses the API. Never caught: an
 * assertion failure is a bug, not an expected outcome (see conventions, "Errors").
 */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Exhaustiveness guard for `switch` statements over tagged unions. */
export function assertNever(value: never, what: string): never {
  throw new Error(`assertion failed: unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Marks code that a broken invariant alone could reach. */
export function unreachable(message: string): never {
  throw new Error(`assertion failed: ${message}`);
}

/**
 * Throws when `cond` is false. For broken invariants and programmer misuse only (conventions,
 * "Errors" rule 1): never caught, always on, also in production.
 */
export function assert(cond: boolean, message: string): asserts cond {
  if (!cond) {
    throw new Error(`assertion failed: ${message}`);
  }
}

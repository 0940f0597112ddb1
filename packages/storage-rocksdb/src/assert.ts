/** Thrown by `assert`: a broken invariant or programmer misuse. Never caught. */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an `AssertionError` with `message` unless `cond` holds. Stays on in production. */
export function assert(cond: boolean, message: string): asserts cond {
  if (!cond) {
    throw new AssertionError(message);
  }
}

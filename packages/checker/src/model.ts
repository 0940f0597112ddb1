/**
 * What the checker needs to know about a sequential specification.
 *
 * A model is a deterministic state machine over immutable states: `step` says whether an
 * operation with this input could have produced this output in `state`, and what the state is
 * afterwards. The checker never mutates a state, so models may share structure between them.
 */
import type { Operation } from './history.js';

/** The outcome of one step: the operation fits (with the next state) or it does not. */
export type StepResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false };

/** A shared "does not fit" result, so models need not allocate one per step. */
export const STEP_REJECTED: StepResult<never> = { ok: false };

/** A sequential specification the checker linearizes histories against. */
export interface Model<S, I, O> {
  /** Name for messages. */
  readonly name: string;
  /** The state before any operation. */
  init(): S;
  /**
   * Applies `input` to `state`. `output === undefined` means the result is unknown (the client
   * timed out): any result is acceptable, but the effect still happens.
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** Whether two states behave identically from now on (the cache relies on it). */
  equal(a: S, b: S): boolean;
  /**
   * Optional hash of a state, consistent with `equal`. Without it, all states reached with the
   * same set of linearized operations share one cache bucket, which is slow when there are many
   * (concurrent appends in every order, for example).
   */
  hash?(state: S): number;
  /**
   * Splits a history into independent parts (per key, for example); the history is
   * linearizable exactly when every part is. Absent: one part.
   */
  partition?(operations: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** A short description of an operation, for reports. */
  describe?(op: Operation<I, O>): string;
}

/** A 32-bit hash of a string (FNV-1a over UTF-16 code units, then a final mix). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

import { assert } from './assert.js';
import type { VoterId } from './quorum-system.js';

/**
 * The acknowledged index of `voter` in `acked`: absent counts as 0. Asserts the value is a
 * non-negative safe integer (anything else is caller misuse).
 */
export function ackOf(acked: ReadonlyMap<VoterId, number>, voter: VoterId): number {
  const index = acked.get(voter) ?? 0;
  assert(
    Number.isSafeInteger(index) && index >= 0,
    `acknowledged index of voter ${voter} must be a non-negative safe integer, got ${index}`,
  );
  return index;
}

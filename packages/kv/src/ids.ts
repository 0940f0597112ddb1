/**
 * Branded identifiers the state machine assigns: session ids and lease ids. Both are positive
 * safe integers handed out in log order from counters kept in the replicated state, so every
 * replica assigns the same id to the same command and an id is never handed out twice.
 */
import { assert } from './assert.js';

/** A registered client session (see `open-session`). */
export type SessionId = number & { readonly __brand: 'SessionId' };
/** A key lease (see `lease-grant`). Not the leader lease of `@flexpaxos/lease`. */
export type LeaseId = number & { readonly __brand: 'LeaseId' };

/** `n` as a session id; asserts a positive safe integer. */
export function sessionId(n: number): SessionId {
  assert(Number.isSafeInteger(n) && n >= 1, `session id ${n} must be a positive safe integer`);
  return n as SessionId;
}

/** `n` as a lease id; asserts a positive safe integer. */
export function leaseId(n: number): LeaseId {
  assert(Number.isSafeInteger(n) && n >= 1, `lease id ${n} must be a positive safe integer`);
  return n as LeaseId;
}

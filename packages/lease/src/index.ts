/**
 * `@flexpaxos/lease`: pure leader-lease logic (design brief, "Leader lease" and "Reads").
 * Acceptors grant leases on their own monotonic clock; leaders count them from the send time,
 * shortened by the clock-drift bound, and hold a lease once the granting acceptors intersect
 * every phase-1 quorum. See README.md for the rules and the safety argument.
 */
export { AcceptorLease } from './acceptor-lease.js';
export type { LeaseGrant, PromiseDecision } from './acceptor-lease.js';
export { LeaseAssertionError } from './assert.js';
export { formatBallot, sameBallot } from './ballot.js';
export type { LeaseBallot } from './ballot.js';
export {
  assertValidLeaseConfig,
  LeaseConfigError,
  requiredClockDriftBoundMs,
  validateLeaseConfig,
} from './config.js';
export type { ClockModel, LeaseConfig, LeaseConfigProblem } from './config.js';
export { LeaderLease } from './leader-lease.js';
export type {
  LeaseReadDecision,
  LeaseReadInput,
  LeaseReadRefusal,
  LeaseRoundId,
} from './leader-lease.js';

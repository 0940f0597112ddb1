import { countingQuorum } from '@flexpaxos/quorum';
import {
  AcceptorLease,
  LeaderLease,
  LeaseConfigError,
  validateLeaseConfig,
} from '@flexpaxos/lease';

// Every reading below is a node's own monotonic clock in ms (performance.now() in a host).
// For brevity all three nodes' clocks read the same here; in reality each has its own origin.
const config = { leaseDurationMs: 2000, clockDriftBoundMs: 100, electionTimeoutMs: 3000 };
console.log(validateLeaseConfig(config).length); // 0

// N = 3, P = 2, so L = 2: a lease needs grants from 2 acceptors (any set meeting every L-set).
const quorum = countingQuorum({ members: [1, 2, 3], replication: 2 });

// Each acceptor starts (or restarts) at 0 and refuses every promise until 2000.
const acceptors = new Map([1, 2, 3].map((id) => [id, new AcceptorLease(config, 0)]));
const ballot = { round: 1, nodeId: 1 };
console.log(acceptors.get(2)!.mayPromise(ballot, 1500).ok); // false

// Node 1 wins phase 1 with ballot (1.1) at 2500 and sends a heartbeat carrying a round id.
const lease = new LeaderLease(config, quorum, ballot, 2500);
const round = lease.beginRound(2500);
// Acceptors 1 and 2 receive it at 2510, grant, and acknowledge; the acks arrive at 2520.
for (const id of [1, 2]) {
  acceptors.get(id)!.onAcknowledged(ballot, 2510);
  lease.onAck(id, round, 2520);
}
// Counted from the send, shortened by the drift bound: 2500 + 2000 - 100.
console.log(lease.holds(2520), lease.validUntilMs()); // true 4400

// Acceptor 2 refuses a rival's Prepare until its own grant (2510 + 2000) ends.
const rival = { round: 2, nodeId: 3 };
const refusal = acceptors.get(2)!.mayPromise(rival, 3000);
console.log(refusal.ok ? 'ok' : `${refusal.reason} until ${refusal.untilMs}`); // lease-granted until 4510

// Lease reads need an entry of this ballot committed and everything committed applied.
const read = (nowMs: number, applied: number) =>
  lease.canServeLeaseRead({
    nowMs,
    ownBallotEntryCommitted: true,
    appliedIndex: applied,
    committedIndex: 7,
  });
console.log(JSON.stringify(read(3000, 6))); // {"ok":false,"reason":"not-applied"}
console.log(JSON.stringify(read(3000, 7))); // {"ok":true,"validUntilMs":4400}
console.log(JSON.stringify(read(4400, 7))); // {"ok":false,"reason":"no-lease"}

// Without a phase-2 quorum heard for an election timeout, the leader steps down.
console.log(lease.shouldStepDown(5400), lease.shouldStepDown(5520)); // false true

// Leadership transfer ends lease reads first.
lease.beginTransfer();
console.log(lease.holds(5520)); // false

// Constructors refuse an invalid config, listing every problem.
try {
  new AcceptorLease({ leaseDurationMs: 3000, clockDriftBoundMs: 1600, electionTimeoutMs: 3000 }, 0);
} catch (e) {
  if (e instanceof LeaseConfigError) console.log(e.problems.map((p) => p.rule).join(', '));
  // drift-below-half-lease, lease-plus-drift-below-election-timeout
}

import {
  QuorumConfigError,
  countingQuorum,
  gridQuorum,
  jointQuorum,
  majorityQuorum,
} from '@flexpaxos/quorum';

// N = 5 acceptors, replication quorum P = 2; the election quorum defaults to L = N - P + 1 = 4.
const flexible = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 2 });
console.log(flexible.describe()); // counting(N=5, L=4, P=2) over [1,2,3,4,5]

// Phase 2: each acceptor's highest acknowledged slot; committed = the P-th highest.
const acked = new Map([
  [1, 12],
  [2, 9],
  [3, 7],
]);
console.log(flexible.phase2CommittedIndex(acked)); // 9

// Phase 1: true = promised, false = refused, absent = no answer yet.
console.log(
  flexible.phase1Result(
    new Map([
      [1, true],
      [2, true],
      [3, true],
    ]),
  ),
); // pending
console.log(
  flexible.phase1Result(
    new Map([
      [4, false],
      [5, false],
    ]),
  ),
); // lost

// A leader lease needs grants from a set that meets every election quorum: any P acceptors.
console.log(flexible.intersectsEveryPhase1Quorum(new Set([1, 2]))); // true

// Unsafe settings are refused with a message naming N, L, P and the rule.
try {
  countingQuorum({ members: [1, 2, 3, 4, 5], replication: 2, election: 3 });
} catch (error) {
  if (error instanceof QuorumConfigError) console.log(error.code, error.problems[0]?.message);
  // QUORUM_CONFIG_INVALID P=2 and L=3 do not intersect for N=5: need L + P > N
}

// Grid: phase 1 takes a whole row, phase 2 a whole column.
const grid = gridQuorum({
  rows: [
    [1, 2, 3],
    [4, 5, 6],
  ],
  phase1: 'rows',
});
console.log(grid.isPhase2Quorum(new Set([2, 5]))); // true

// Membership change 3 -> 5 nodes: both configurations must agree in each phase.
const joint = jointQuorum(majorityQuorum([1, 2, 3]), majorityQuorum([1, 2, 3, 4, 5]));
console.log(joint.isPhase2Quorum(new Set([1, 2, 4]))); // true
console.log(joint.isPhase2Quorum(new Set([3, 4, 5]))); // false: only one of [1,2,3]

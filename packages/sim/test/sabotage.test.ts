import { describe, expect, it } from 'vitest';
import type { InvariantNumber } from '../src/checker.js';
import type { Sabotage } from '../src/cluster.js';
import type { ReplicaFactory } from '../src/core-types.js';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { runSeed } from '../src/simulation.js';

/**
 * A checker that cannot fail is no checker: each test breaks the system on purpose and shows
 * the violation being caught within a fixed seed budget.
 */
function invariantsCaught(
  budget: number,
  opts: { sabotage?: Sabotage; unsafeQuorum?: boolean; unsafeReconfig?: boolean; factory?: ReplicaFactory },
): Set<InvariantNumber> {
  const caught = new Set<InvariantNumber>();
  for (let seed = 1; seed <= budget; seed++) {
    const r = runSeed({ seed, factory: paxosReplicaFactory, ...opts });
    for (const v of r.violations) caught.add(v.invariant);
  }
  return caught;
}

describe('runSeed', () => {
  it('reports agreement violations with an unsafe quorum (L + P = N) within 20 seeds', () => {
    expect(invariantsCaught(20, { unsafeQuorum: true })).toContain(1);
  });

  it('catches membership changes without the joint step and the chain rule (--unsafe-reconfig: invariant 9)', () => {
    // The new configuration takes effect at once and a candidate runs phase 1 against the
    // newest configuration in its own log only: it can miss a value chosen under the old one.
    expect(invariantsCaught(40, { unsafeReconfig: true })).toContain(9);
  });

  it('catches an acceptor that forgets its promise on restart (invariant 7)', () => {
    expect(invariantsCaught(5, { sabotage: { forgetPromiseOnRestart: true } })).toContain(7);
  });

  it('catches a host that sends replies before persisting (invariant 7, persist before send)', () => {
    expect(invariantsCaught(5, { sabotage: { sendBeforePersist: true } })).toContain(7);
  });

  it('catches fabricated applied values (invariant 2)', () => {
    expect(invariantsCaught(3, { sabotage: { fabricateApplied: true } })).toContain(2);
  });

  it('catches a state machine that applies a retried command twice (invariant 4)', () => {
    expect(invariantsCaught(10, { sabotage: { noDedupe: true } })).toContain(4);
  });

  it('catches acknowledged commands lost from a replica state (invariant 3)', () => {
    expect(invariantsCaught(5, { sabotage: { loseAppliedOnRestart: true } })).toContain(3);
  });

  it('catches stale reads answered with a value nobody wrote (invariant 5, stale read check)', () => {
    expect(invariantsCaught(3, { sabotage: { corruptStaleReads: true } })).toContain(5);
  });

  it('catches followers answering lease and quorum reads from their own state (invariant 5, linearizability)', () => {
    expect(invariantsCaught(6, { sabotage: { followersServeReads: true } })).toContain(5);
  });

  it('catches transactions applied non-atomically (invariant 5, linearizability)', () => {
    // Both branches' writes happen (the reply names one), or only the first operation of the
    // branch does (the reply reports them all).
    for (const txn of ['both-branches', 'first-op-only'] as const) {
      const details: string[] = [];
      for (let seed = 1; seed <= 6; seed++) {
        const r = runSeed({ seed, factory: paxosReplicaFactory, sabotage: { txn } });
        for (const v of r.violations) if (v.invariant === 5) details.push(v.detail);
      }
      expect(details.some((d) => d.includes('not linearizable')), txn).toBe(true);
    }
  });

  it('catches a watch hub that drops an event (invariant 10)', () => {
    expect(invariantsCaught(4, { sabotage: { dropWatchEvent: true } })).toContain(10);
  });

  it('catches a watch hub that answers compacted while its history must still hold the start (invariant 10)', () => {
    expect(invariantsCaught(4, { sabotage: { shortWatchHistory: true } })).toContain(10);
  });

  it('catches a lessor that expires key leases after half their TTL (invariant 11)', () => {
    expect(invariantsCaught(16, { sabotage: { lessor: 'half-ttl' } })).toContain(11);
  });

  it('catches a lessor host that acknowledges keep-alives without renewing (invariant 11)', () => {
    expect(invariantsCaught(16, { sabotage: { lessor: 'ignore-keepalives' } })).toContain(11);
  });

  it('catches two nodes holding a lease at once (invariant 6) when a replica claims one whenever it leads', () => {
    // No grants, no drift margin: a deposed leader that has not heard of its successor yet
    // still claims the lease.
    const greedy: ReplicaFactory = (o, recovered) => {
      const inner = paxosReplicaFactory(o, recovered);
      const status = inner.status.bind(inner);
      inner.status = () => {
        const st = status() as { role: string; lease: object };
        return { ...st, lease: { ...st.lease, held: st.role === 'leader' } };
      };
      return inner;
    };
    expect(invariantsCaught(10, { factory: greedy })).toContain(6);
  });

  it('catches a cluster that cannot converge (invariant 8)', () => {
    // Every node but one stays down in the liveness phase: with P = 2 nothing can commit.
    const r = runSeed({ seed: 1, factory: paxosReplicaFactory, nodes: 3, replication: 2, election: 2, livenessBoundTicks: 300, sabotage: { keepDownInLiveness: 2 } });
    expect(r.violations.map((v) => v.invariant)).toContain(8);
  });

  it('is deterministic: the same seed gives the same run', () => {
    const a = runSeed({ seed: 77, factory: paxosReplicaFactory });
    const b = runSeed({ seed: 77, factory: paxosReplicaFactory });
    expect(a.summary).toBe(b.summary);
    expect(a.messagesSent).toBe(b.messagesSent);
  });
});

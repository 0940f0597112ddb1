import { describe, expect, it } from 'vitest';
import type { InvariantNumber } from '../src/checker.js';
import { SimCluster, defaultClusterConfig, type ClusterConfig } from '../src/cluster.js';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { Prng } from '../src/prng.js';
import { runSeed } from '../src/simulation.js';

interface LeaseLike {
  lease?: { held?: boolean };
}

/**
 * The restart-wait scenario of the lease safety argument (packages/lease/README.md, step 2),
 * driven on a random-delay cluster whose PRNG seed is pinned:
 *
 * 1. N = 3, P = 2, L = 2; leader A holds a lease granted by B.
 * 2. Bridge partition: C cannot talk to A, B sees both. C campaigns; B, granting A, drops C's
 *    Prepares.
 * 3. Just before C's next Prepare reaches B, B crashes and restarts one tick later, and the
 *    network changes so that B's replies no longer reach A (A still reaches B).
 *
 * A safe acceptor waits one lease duration after its restart before promising anything, so C
 * cannot win while A's lease runs. With `unsafeLease` B promises at once, C leads and gets its
 * own lease from B while A, which heard nothing, still holds: invariant 6 catches it.
 */
function scenario(seed: number, unsafeLease: boolean): { caught: Set<InvariantNumber>; bounced: boolean } {
  const base = defaultClusterConfig(3, 2, 2);
  const config: ClusterConfig = {
    ...base,
    electionTimeoutTicks: 30,
    electionTimeoutJitterTicks: 10,
    network: { ...base.network, minDelayTicks: 1, maxDelayTicks: 2 },
    clock: { leaseDurationMs: 200, rateErrorPpm: 0, stepMsMax: 0, jitterMsMax: 0 },
    lease: { leaseDurationMs: 200, clockDriftBoundMs: 10, unsafeLease },
  };
  const c = new SimCluster(config, paxosReplicaFactory, new Prng(seed));
  while (c.leaders().length === 0 && c.now < 500) c.step();
  for (let i = 0; i < 20; i++) c.step();
  const a = c.leaders()[0];
  if (a === undefined) throw new Error('no leader');
  const [b, other] = c.members.filter((x) => x !== a) as [number, number];
  expect((c.node(a).replica?.status() as LeaseLike).lease?.held).toBe(true);
  c.network.setPartition({ pieces: [[a], [other], [b]], kind: 'bridge' });
  let bounced = false;
  for (let i = 0; i < 300 && !bounced; i++) {
    c.step();
    if (c.network.upcoming('prepare', b, c.now + 2, c.now + 2).length > 0) {
      c.crash(b);
      c.network.setPartition({ pieces: [c.members], kind: 'links', cut: [[a, other], [other, a], [b, a]] });
      c.step();
      c.restart(b);
      bounced = true;
    }
  }
  for (let i = 0; i < 60; i++) c.step();
  return { caught: new Set(c.checker.violations.map((v) => v.invariant)), bounced };
}

describe('unsafeLease', () => {
  // Pinned cluster seeds (26 of seeds 1..40 catch it): on the others, e.g. seed 6, A's next
  // heartbeat reaches the restarted B before C's Prepare, B grants A again and even the unsafe
  // acceptor refuses C.
  const seeds = [1, 2, 3, 4, 5];

  it('a restarted acceptor that promises at once lets two nodes hold a lease (invariant 6 caught)', () => {
    for (const s of seeds) expect([...scenario(s, true).caught], `cluster seed ${s}`).toContain(6);
  });

  it('the restart wait prevents it on the same seeds', () => {
    for (const s of seeds) {
      const r = scenario(s, false);
      expect(r.bounced).toBe(true);
      expect([...r.caught]).toEqual([]);
    }
  });

  // The first of the seeds that `pnpm sim --seeds 6000 --first-seed 1000 --unsafe-lease --nodes 3`
  // reports with invariant 6 (565 of those 6,000).
  const found = { seed: 1015, nodes: 3, replication: 2, election: 2 } as const;

  it(`is caught on random seed ${found.seed} (N=3): two nodes hold a lease (invariant 6)`, () => {
    const r = runSeed({ ...found, factory: paxosReplicaFactory, unsafeLease: true });
    expect(r.violations.map((v) => v.invariant)).toContain(6);
    expect(r.violations.find((v) => v.invariant === 6)?.detail).toMatch(/both hold a lease at true time/);
  });

  it(`holds every invariant on seed ${found.seed} with the lease rules intact`, () => {
    const r = runSeed({ ...found, factory: paxosReplicaFactory });
    expect(r.violations).toEqual([]);
  });
});

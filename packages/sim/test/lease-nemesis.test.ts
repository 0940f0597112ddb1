import { describe, expect, it } from 'vitest';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { replayCommand, runSeed } from '../src/simulation.js';

/**
 * The lease nemesis (src/faults.ts) aims the random runs at the failure a leader lease must
 * survive: a leader isolated from the candidates but not from a bridge acceptor, which is
 * bounced just before a candidate's Prepare reaches it. With `unsafeLease` (no restart wait,
 * no drift margin) random seeds must now report lease violations; with the rules intact, the
 * same seeds report nothing. 300 seeds of every shape, each way, with pre-vote off: it hides
 * most of these runs (an acceptor that heard from the leader refuses to help a candidate), and
 * the lease must be safe without it (a leadership transfer campaigns without pre-vote).
 */
const first = 1;
const count = 300;

describe('lease nemesis', () => {
  it(`with --unsafe-lease, random seeds ${first}..${first + count - 1} report two leases at once (invariant 6 or 5)`, () => {
    const caught: number[] = [];
    let attempts = 0;
    for (let seed = first; seed < first + count; seed++) {
      const r = runSeed({ seed, factory: paxosReplicaFactory, unsafeLease: true, preVote: false });
      attempts += r.faults.nemeses;
      const invariants = new Set(r.violations.map((v) => v.invariant));
      // Unsafe leases may only break lease exclusivity or linearizable reads, nothing else.
      expect([...invariants].filter((i) => i !== 6 && i !== 5), `${r.summary}\nreplay: ${replayCommand(seed, { unsafeLease: true, preVote: false })}`).toEqual([]);
      if (invariants.size > 0) caught.push(seed);
    }
    expect(attempts).toBeGreaterThan(count / 4);
    // Measured: 6 of these 300 seeds (2 %; none without the nemesis); at least one must stay caught.
    expect(caught.length).toBeGreaterThanOrEqual(1);
  });

  it(`with the lease rules intact, the same seeds hold every invariant`, () => {
    let attempts = 0;
    for (let seed = first; seed < first + count; seed++) {
      const r = runSeed({ seed, factory: paxosReplicaFactory, preVote: false });
      attempts += r.faults.nemeses;
      const report = r.violations.map((v) => `invariant ${v.invariant} (${v.name}): ${v.detail}`);
      expect(report, `${r.summary}\nreplay: ${replayCommand(seed, { preVote: false })}`).toEqual([]);
    }
    expect(attempts).toBeGreaterThan(count / 4);
  });
});

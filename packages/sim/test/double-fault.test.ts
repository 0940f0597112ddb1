import { describe, expect, it } from 'vitest';
import { paxosReplicaFactory } from '../src/paxos-factory.js';
import { replayCommand, runSeed } from '../src/simulation.js';

/**
 * The double-fault scenario (`pnpm sim --scenario double-fault`): a partition that leaves no
 * side a phase-1 quorum, then the leader crashes. With automatic subsetting the survivors write
 * again before the partition heals; without it the same seeds lock up until it heals. Every
 * invariant holds both ways.
 */
describe('runSeed with the double-fault scenario', () => {
  const seeds = [1, 2, 3, 4, 5, 6];

  for (const autoSubset of [true, false]) {
    it(`${autoSubset ? 'recovers with' : 'locks up without'} automatic subsetting, every invariant holding`, () => {
      for (const seed of seeds) {
        const r = runSeed({ seed, factory: paxosReplicaFactory, scenario: 'double-fault', autoSubset });
        const replay = replayCommand(seed, { scenario: 'double-fault', autoSubset });
        expect(r.violations, `${r.summary}\nreplay: ${replay}`).toEqual([]);
        expect(r.doubleFault?.crashAt, replay).toBeDefined();
        if (autoSubset) {
          expect(r.doubleFault?.subsetDoneAt, replay).toBeDefined();
          expect(r.doubleFault?.recoveredAfterTicks, replay).toBeDefined();
        } else {
          expect(r.doubleFault?.recoveredAfterTicks, replay).toBeUndefined();
        }
      }
    });
  }
});

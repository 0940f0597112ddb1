import { expect, it } from 'vitest';
import { paxosReplicaFactory } from '../../src/paxos-factory.js';
import { replayCommand, runSeed } from '../../src/simulation.js';

/**
 * Registers one test per seed in `[first, first + count)`: the seed must finish without any
 * invariant violation. Failure messages carry the replay command.
 */
export function seedRange(first: number, count: number): void {
  for (let seed = first; seed < first + count; seed++) {
    it(`holds every invariant for seed ${seed}`, () => {
      const r = runSeed({ seed, factory: paxosReplicaFactory });
      const report = r.violations.map((v) => `invariant ${v.invariant} (${v.name}): ${v.detail}`);
      expect(report, `${r.summary}\nreplay: ${replayCommand(seed, {})}`).toEqual([]);
      expect(r.convergedAfterTicks).toBeDefined();
      // 'unknown' (the check's time budget ran out) is no pass either.
      expect(r.linearizability).toBe('linearizable');
    });
  }
}

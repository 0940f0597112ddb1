import { expect, it } from 'vitest';
import { paxosReplicaFactory } from '../../src/paxos-factory.js';
import { replayCommand, runSeed } from '../../src/simulation.js';

/**
 * Registers one test per seed in `[first, first + count)`: the seed must finish without any
 * invariant violation. Failure messages carry the replay command.
 */
export function seedRange(first: number, count: number, opts: { reconfig?: boolean } = {}): void {
  for (let seed = first; seed < first + count; seed++) {
    it(`holds every invariant for seed ${seed}${opts.reconfig === true ? ' with reconfiguration' : ''}`, () => {
      const r = runSeed({ seed, factory: paxosReplicaFactory, ...opts });
      const report = r.violations.map((v) => `invariant ${v.invariant} (${v.name}): ${v.detail}`);
      expect(report, `${r.summary}\nreplay: ${replayCommand(seed, opts)}`).toEqual([]);
      expect(r.convergedAfterTicks).toBeDefined();
      // 'unknown' (the check's time budget ran out) is no pass either.
      expect(r.linearizability).toBe('linearizable');
    });
  }
}

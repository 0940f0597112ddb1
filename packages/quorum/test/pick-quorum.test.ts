import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingQuorum, gridQuorum, pickPhase2Quorum } from '../src/index.js';
import { build, countingSpec, fcOptions, gridSpec, jointSpec } from './arbitraries.js';

describe('pickPhase2Quorum', () => {
  it('takes the first P preferred voters of a counting system', () => {
    const system = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 3 });
    expect(pickPhase2Quorum(system, [4, 2, 9, 5, 1, 3])).toEqual([4, 2, 5]);
  });

  it('finds a whole column of a grid', () => {
    const system = gridQuorum({
      rows: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      phase1: 'rows',
    });
    expect(pickPhase2Quorum(system, [1, 2, 5, 3, 4])).toEqual([2, 5]);
  });

  it('returns undefined when the preferred voters hold no quorum', () => {
    const system = countingQuorum({ members: [1, 2, 3], replication: 2 });
    expect(pickPhase2Quorum(system, [1, 7])).toBeUndefined();
  });

  it('returns a minimal phase-2 quorum whenever all voters are preferred', () => {
    fc.assert(
      fc.property(fc.oneof(countingSpec, gridSpec, jointSpec), (spec) => {
        const system = build(spec);
        const picked = pickPhase2Quorum(system, [...system.voters].reverse());
        expect(picked).toBeDefined();
        const set = new Set(picked);
        expect(system.isPhase2Quorum(set)).toBe(true);
        for (const v of set) {
          const fewer = new Set(set);
          fewer.delete(v);
          expect(system.isPhase2Quorum(fewer)).toBe(false);
        }
      }),
      fcOptions(200),
    );
  });
});

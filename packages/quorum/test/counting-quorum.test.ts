import { describe, expect, it } from 'vitest';
import type { VoterId } from '../src/index.js';
import {
  QuorumConfigError,
  countingQuorum,
  majorityQuorum,
  validateCountingQuorum,
} from '../src/index.js';
import { SUBSETS, idsOf, popcount } from './naive.js';

/** Sets of ids for every mask over members 1..9, built once. */
const subsetSets: Set<VoterId>[] = Array.from({ length: SUBSETS }, (_, m) => new Set(idsOf(m)));

function range(n: number): VoterId[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Whether some a in `as` and b in `bs` are disjoint. */
function disjointPair(as: readonly number[], bs: readonly number[]): [number, number] | undefined {
  for (const a of as) for (const b of bs) if ((a & b) === 0) return [a, b];
  return undefined;
}

describe('countingQuorum', () => {
  it('makes every phase-1 quorum meet every phase-2 quorum for every N <= 9 and valid (L, P)', () => {
    let checked = 0;
    for (let n = 1; n <= 9; n++) {
      const members = range(n);
      for (let p = 1; p <= n; p++) {
        for (let l = n - p + 1; l <= n; l++) {
          expect(validateCountingQuorum({ members, replication: p, election: l })).toEqual([]);
          const system = countingQuorum({ members, replication: p, election: l });
          const phase1: number[] = [];
          const phase2: number[] = [];
          for (let m = 0; m < 1 << n; m++) {
            const ids = subsetSets[m] as Set<VoterId>;
            if (system.isPhase1Quorum(ids)) phase1.push(m);
            if (system.isPhase2Quorum(ids)) phase2.push(m);
          }
          // Quorums are exactly the sets of at least L (P) members.
          expect(phase1.length).toBe(phase1.filter((m) => popcount(m) >= l).length);
          expect(Math.min(...phase1.map(popcount))).toBe(l);
          expect(Math.min(...phase2.map(popcount))).toBe(p);
          expect(disjointPair(phase1, phase2)).toBeUndefined();
          checked++;
        }
      }
    }
    // sum over N of N(N+1)/2 valid (L, P) pairs
    expect(checked).toBe(165);
  });

  it('rejects every invalid (L, P) with L + P <= N, where a disjoint pair of quorums exists', () => {
    let rejected = 0;
    for (let n = 2; n <= 9; n++) {
      const members = range(n);
      for (let p = 1; p <= n; p++) {
        for (let l = 1; l + p <= n; l++) {
          // By the definition (any L members; any P members), a disjoint pair exists.
          const phase1: number[] = [];
          const phase2: number[] = [];
          for (let m = 0; m < 1 << n; m++) {
            if (popcount(m) >= l) phase1.push(m);
            if (popcount(m) >= p) phase2.push(m);
          }
          expect(disjointPair(phase1, phase2)).toBeDefined();
          // And validation refuses it, naming N, L, P and the rule.
          const message = `P=${p} and L=${l} do not intersect for N=${n}: need L + P > N`;
          expect(validateCountingQuorum({ members, replication: p, election: l })).toEqual([
            { field: 'election', rule: 'intersection', message },
          ]);
          expect(() => countingQuorum({ members, replication: p, election: l })).toThrow(message);
          rejected++;
        }
      }
    }
    expect(rejected).toBe(120);
  });

  it('defaults L to N - P + 1', () => {
    const system = countingQuorum({ members: [5, 1, 3, 2, 4], replication: 2 });
    expect(system.election).toBe(4);
    expect(system.replication).toBe(2);
    expect(system.memberCount).toBe(5);
    expect(system.voters).toEqual([1, 2, 3, 4, 5]);
    expect(system.describe()).toBe('counting(N=5, L=4, P=2) over [1,2,3,4,5]');
  });

  it('accepts an even cluster with N=6, P=3, L=4 and refuses L=3', () => {
    const members = range(6);
    const system = countingQuorum({ members, replication: 3, election: 4 });
    expect(system.isPhase2Quorum(new Set([1, 2, 3]))).toBe(true);
    expect(system.isPhase1Quorum(new Set([1, 2, 3]))).toBe(false);
    expect(system.isPhase1Quorum(new Set([3, 4, 5, 6]))).toBe(true);
    expect(() => countingQuorum({ members, replication: 3, election: 3 })).toThrow(
      'P=3 and L=3 do not intersect for N=6: need L + P > N',
    );
  });

  it('takes the P-th highest acknowledged index as committed', () => {
    const system = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 2 });
    expect(system.phase2CommittedIndex(new Map())).toBe(0);
    expect(system.phase2CommittedIndex(new Map([[1, 9]]))).toBe(0);
    expect(
      system.phase2CommittedIndex(
        new Map([
          [1, 9],
          [4, 7],
          [5, 3],
          [99, 50],
        ]),
      ),
    ).toBe(7);
  });

  it('reports won, lost and pending from yes, no and missing votes', () => {
    const system = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 2 }); // L = 4
    expect(system.phase1Result(new Map())).toBe('pending');
    expect(
      system.phase1Result(
        new Map([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe('pending');
    expect(
      system.phase1Result(
        new Map([
          [1, true],
          [2, true],
          [3, true],
          [4, true],
        ]),
      ),
    ).toBe('won');
    expect(system.phase1Result(new Map([[1, false]]))).toBe('pending');
    expect(
      system.phase1Result(
        new Map([
          [1, false],
          [2, false],
        ]),
      ),
    ).toBe('lost');
    // votes from non-voters do not count
    expect(
      system.phase1Result(
        new Map([
          [1, true],
          [2, true],
          [3, true],
          [9, true],
        ]),
      ),
    ).toBe('pending');
  });

  it('holds a lease set once P voters granted it', () => {
    const system = countingQuorum({ members: [1, 2, 3, 4, 5], replication: 2 }); // L = 4
    expect(system.intersectsEveryPhase1Quorum(new Set([1]))).toBe(false);
    expect(system.intersectsEveryPhase1Quorum(new Set([1, 2]))).toBe(true);
    expect(system.intersectsEveryPhase1Quorum(new Set([1, 7]))).toBe(false);
  });

  it('asserts acknowledged indexes are non-negative safe integers', () => {
    const system = countingQuorum({ members: [1, 2, 3], replication: 2 });
    expect(() => system.phase2CommittedIndex(new Map([[1, -1]]))).toThrow(/non-negative/);
    expect(() => system.phase2CommittedIndex(new Map([[2, 1.5]]))).toThrow(/non-negative/);
  });

  it('throws one QuorumConfigError listing every problem', () => {
    let error: unknown;
    try {
      countingQuorum({ members: [1, 1, 0], replication: 4, election: 0 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuorumConfigError);
    expect(error).toBeInstanceOf(Error);
    const e = error as QuorumConfigError;
    expect(e.name).toBe('QuorumConfigError');
    expect(e.code).toBe('QUORUM_CONFIG_INVALID');
    expect(e.problems.map((p) => `${p.field}/${p.rule}`)).toEqual([
      'members/positive-safe-integer',
      'members/distinct',
      'replication/range',
      'election/range',
    ]);
    expect(e.message).toBe(
      'invalid quorum configuration: members[2] = 0 must be a positive safe integer; ' +
        'members must be distinct: 1 appears 2 times; ' +
        'replication P=4 is out of range: need an integer with 1 <= P <= N (N=2); ' +
        'election L=0 is out of range: need an integer with 1 <= L <= N (N=2)',
    );
  });
});

describe('majorityQuorum', () => {
  it('uses floor(N/2) + 1 in both phases', () => {
    for (let n = 1; n <= 9; n++) {
      const system = majorityQuorum(range(n));
      expect(system.election).toBe(Math.floor(n / 2) + 1);
      expect(system.replication).toBe(Math.floor(n / 2) + 1);
      expect(system.kind).toBe('majority');
    }
    expect(majorityQuorum([3, 1, 2]).describe()).toBe('majority(N=3, L=2, P=2) over [1,2,3]');
  });

  it('refuses empty or repeated members', () => {
    expect(() => majorityQuorum([])).toThrow('members must not be empty');
    expect(() => majorityQuorum([2, 2])).toThrow('members must be distinct: 2 appears 2 times');
  });
});

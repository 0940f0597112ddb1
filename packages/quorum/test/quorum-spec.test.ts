import { describe, expect, it } from 'vitest';
import {
  QuorumConfigError,
  describeQuorumSpec,
  quorumFromSpec,
  quorumSpecsEqual,
  specVoters,
  validateQuorumSpec,
  type QuorumSpec,
} from '../src/index.js';

const counting = (voters: number[], replication: number, election: number): QuorumSpec => ({
  kind: 'counting',
  voters,
  replication,
  election,
});

describe('validateQuorumSpec', () => {
  it('names the intersection rule for counting specs', () => {
    expect(validateQuorumSpec(counting([1, 2, 3, 4, 5], 2, 3)).map((p) => p.message)).toEqual([
      'P=2 and L=3 do not intersect for N=5: need L + P > N',
    ]);
  });

  it('accepts a valid counting spec and a valid grid', () => {
    expect(validateQuorumSpec(counting([1, 2, 3], 2, 2))).toEqual([]);
    expect(
      validateQuorumSpec({
        kind: 'grid',
        rows: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        phase1: 'rows',
      }),
    ).toEqual([]);
  });

  it('rejects an unknown kind with a one-of problem', () => {
    const bad = { kind: 'ring', voters: [1] } as unknown as QuorumSpec;
    expect(validateQuorumSpec(bad)).toEqual([
      expect.objectContaining({ field: 'kind', rule: 'one-of' }),
    ]);
  });
});

describe('quorumFromSpec', () => {
  it('builds a counting system with the given sizes', () => {
    const q = quorumFromSpec(counting([5, 1, 3, 2, 4], 2, 4));
    expect(q.voters).toEqual([1, 2, 3, 4, 5]);
    expect(q.isPhase2Quorum(new Set([1, 2]))).toBe(true);
    expect(q.isPhase1Quorum(new Set([1, 2, 3]))).toBe(false);
    expect(q.isPhase1Quorum(new Set([1, 2, 3, 4]))).toBe(true);
  });

  it('builds a grid system', () => {
    const q = quorumFromSpec({
      kind: 'grid',
      rows: [
        [1, 2],
        [3, 4],
      ],
      phase1: 'rows',
    });
    expect(q.isPhase1Quorum(new Set([1, 2]))).toBe(true);
    expect(q.isPhase2Quorum(new Set([1, 3]))).toBe(true);
    expect(q.isPhase2Quorum(new Set([1, 2]))).toBe(false);
  });

  it('throws one error listing every problem', () => {
    expect(() => quorumFromSpec(counting([1, 1, 2], 4, 0))).toThrow(QuorumConfigError);
  });
});

describe('quorumSpecsEqual / specVoters / describeQuorumSpec', () => {
  it('compares voters as sets and sizes exactly', () => {
    expect(quorumSpecsEqual(counting([3, 1, 2], 2, 2), counting([1, 2, 3], 2, 2))).toBe(true);
    expect(quorumSpecsEqual(counting([1, 2, 3], 2, 2), counting([1, 2, 3], 2, 3))).toBe(false);
    expect(quorumSpecsEqual(counting([1, 2, 3], 2, 2), counting([1, 2, 4], 2, 2))).toBe(false);
    expect(
      quorumSpecsEqual(counting([1, 2], 1, 2), { kind: 'grid', rows: [[1, 2]], phase1: 'rows' }),
    ).toBe(false);
  });

  it('lists voters ascending and describes the spec', () => {
    expect(
      specVoters({
        kind: 'grid',
        rows: [
          [4, 2],
          [3, 1],
        ],
        phase1: 'columns',
      }),
    ).toEqual([1, 2, 3, 4]);
    expect(describeQuorumSpec(counting([3, 1, 2], 2, 2))).toBe('N=3 P=2 L=2 [1,2,3]');
  });
});

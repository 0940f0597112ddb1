import { describe, expect, it } from 'vitest';
import type { GridQuorumConfig } from '../src/index.js';
import {
  defaultElectionQuorumSize,
  gridQuorum,
  validateCountingQuorum,
  validateGridQuorum,
  validateMembers,
} from '../src/index.js';

describe('validateMembers', () => {
  it('accepts distinct positive safe integers in any order', () => {
    expect(validateMembers([3, 1, 2])).toEqual([]);
  });

  it('reports an empty list', () => {
    expect(validateMembers([])).toEqual([
      { field: 'members', rule: 'non-empty', message: 'members must not be empty' },
    ]);
  });

  it('reports every bad id and every duplicate, under the given field name', () => {
    const problems = validateMembers([1, 0, -2, 1.5, Number.NaN, 2 ** 53, 4, 4, 4], 'voters');
    expect(problems.map((p) => p.message)).toEqual([
      'voters[1] = 0 must be a positive safe integer',
      'voters[2] = -2 must be a positive safe integer',
      'voters[3] = 1.5 must be a positive safe integer',
      'voters[4] = NaN must be a positive safe integer',
      'voters[5] = 9007199254740992 must be a positive safe integer',
      'voters must be distinct: 4 appears 3 times',
    ]);
    expect(problems.every((p) => p.field === 'voters')).toBe(true);
  });
});

describe('validateCountingQuorum', () => {
  it('reports P and L out of range, naming the field and the bound', () => {
    expect(validateCountingQuorum({ members: [1, 2, 3], replication: 0, election: 4 })).toEqual([
      {
        field: 'replication',
        rule: 'range',
        message: 'replication P=0 is out of range: need an integer with 1 <= P <= N (N=3)',
      },
      {
        field: 'election',
        rule: 'range',
        message: 'election L=4 is out of range: need an integer with 1 <= L <= N (N=3)',
      },
    ]);
  });

  it('reports non-integer sizes', () => {
    const problems = validateCountingQuorum({ members: [1, 2, 3], replication: 1.5 });
    expect(problems.map((p) => p.message)).toEqual([
      'replication P=1.5 is out of range: need an integer with 1 <= P <= N (N=3)',
    ]);
  });

  it('reports empty members and a bad P together', () => {
    const problems = validateCountingQuorum({ members: [], replication: 0 });
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'members: members must not be empty',
      'replication: replication P=0 is out of range: need an integer with 1 <= P',
    ]);
  });

  it('names N, L, P and the rule when the phases do not intersect', () => {
    expect(
      validateCountingQuorum({ members: [1, 2, 3, 4, 5], replication: 2, election: 3 }),
    ).toEqual([
      {
        field: 'election',
        rule: 'intersection',
        message: 'P=2 and L=3 do not intersect for N=5: need L + P > N',
      },
    ]);
  });

  it('accepts an explicit undefined election as the default', () => {
    expect(
      validateCountingQuorum({ members: [1, 2, 3], replication: 1, election: undefined }),
    ).toEqual([]);
  });
});

describe('defaultElectionQuorumSize', () => {
  it('is N - P + 1', () => {
    expect(defaultElectionQuorumSize(11, 3)).toBe(9);
    expect(defaultElectionQuorumSize(5, 3)).toBe(3);
  });
});

describe('validateGridQuorum', () => {
  it('accepts a rectangle of distinct ids', () => {
    expect(
      validateGridQuorum({
        rows: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        phase1: 'rows',
      }),
    ).toEqual([]);
  });

  it('reports an empty grid', () => {
    expect(validateGridQuorum({ rows: [], phase1: 'columns' })).toEqual([
      { field: 'rows', rule: 'non-empty', message: 'rows must hold at least one row' },
    ]);
  });

  it('reports empty and ragged rows, bad and repeated ids, and a bad phase1, all at once', () => {
    const config = {
      rows: [[1, 2], [], [3], [2, 0]],
      phase1: 'diagonal',
    } as unknown as GridQuorumConfig;
    expect(validateGridQuorum(config).map((p) => `${p.field}/${p.rule}: ${p.message}`)).toEqual([
      'rows[1]/non-empty: rows[1] must hold at least one member',
      'rows[2]/rectangular: rows[2] has 1 members but rows[0] has 2: every row needs the same length',
      'rows/positive-safe-integer: rows[3][1] = 0 must be a positive safe integer',
      'rows/distinct: rows must be distinct: 2 appears 2 times',
      `phase1/one-of: phase1 must be 'rows' or 'columns', got "diagonal"`,
    ]);
    expect(() => gridQuorum(config)).toThrow(/rows\[2\] has 1 members/);
  });
});

import { describe, expect, it } from 'vitest';
import type { VoterId } from '../src/index.js';
import { gridQuorum } from '../src/index.js';
import { idsOf, popcount } from './naive.js';

describe('gridQuorum', () => {
  it('makes every phase-1 quorum meet every phase-2 quorum for every grid of up to 9 cells', () => {
    let grids = 0;
    for (let height = 1; height <= 9; height++) {
      for (let width = 1; height * width <= 9; width++) {
        const rows = Array.from({ length: height }, (_, i) =>
          Array.from({ length: width }, (_, j) => i * width + j + 1),
        );
        for (const phase1 of ['rows', 'columns'] as const) {
          const system = gridQuorum({ rows, phase1 });
          const q1: number[] = [];
          const q2: number[] = [];
          for (let m = 0; m < 1 << (height * width); m++) {
            const ids = new Set<VoterId>(idsOf(m));
            if (system.isPhase1Quorum(ids)) q1.push(m);
            if (system.isPhase2Quorum(ids)) q2.push(m);
          }
          let disjoint = 0;
          for (const a of q1) for (const b of q2) if ((a & b) === 0) disjoint++;
          expect(disjoint).toBe(0);
          // The smallest quorums are whole lines: a row has `width` members, a column `height`.
          const [l, p] = phase1 === 'rows' ? [width, height] : [height, width];
          expect(Math.min(...q1.map(popcount))).toBe(l);
          expect(Math.min(...q2.map(popcount))).toBe(p);
          grids++;
        }
      }
    }
    expect(grids).toBe(46);
  });

  it('takes a whole row for phase 1 and a whole column for phase 2', () => {
    const system = gridQuorum({
      rows: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      phase1: 'rows',
    });
    expect(system.voters).toEqual([1, 2, 3, 4, 5, 6]);
    expect(system.isPhase1Quorum(new Set([4, 5, 6]))).toBe(true);
    expect(system.isPhase1Quorum(new Set([1, 2, 4, 5]))).toBe(false);
    expect(system.isPhase2Quorum(new Set([2, 5]))).toBe(true);
    expect(system.isPhase2Quorum(new Set([1, 2, 3]))).toBe(false);
    expect(system.describe()).toBe(
      'grid(2x3, phase-1=rows, phase-2=columns) over [[1,2,3],[4,5,6]]',
    );
  });

  it('swaps the roles with phase1 = columns', () => {
    const system = gridQuorum({
      rows: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      phase1: 'columns',
    });
    expect(system.isPhase1Quorum(new Set([2, 5]))).toBe(true);
    expect(system.isPhase2Quorum(new Set([1, 2, 3]))).toBe(true);
    expect(system.isPhase2Quorum(new Set([2, 5]))).toBe(false);
  });

  it('commits the best column minimum and decides votes per row', () => {
    const system = gridQuorum({
      rows: [
        [1, 2, 3],
        [4, 5, 6],
      ],
      phase1: 'rows',
    });
    // columns: [1,4], [2,5], [3,6]
    const acked = new Map([
      [1, 9],
      [4, 2],
      [2, 5],
      [5, 6],
      [3, 8],
    ]);
    expect(system.phase2CommittedIndex(acked)).toBe(5);
    expect(
      system.phase1Result(
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe('pending');
    expect(
      system.phase1Result(
        new Map([
          [1, true],
          [2, true],
          [3, true],
        ]),
      ),
    ).toBe('won');
    expect(
      system.phase1Result(
        new Map([
          [1, false],
          [6, false],
        ]),
      ),
    ).toBe('lost');
    expect(system.intersectsEveryPhase1Quorum(new Set([2, 5]))).toBe(true);
    expect(system.intersectsEveryPhase1Quorum(new Set([2, 3]))).toBe(false);
  });

  it('copies the grid it was given', () => {
    const rows = [
      [1, 2],
      [3, 4],
    ];
    const system = gridQuorum({ rows, phase1: 'rows' });
    (rows[0] as number[])[0] = 9;
    expect(system.rows).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import type { VoterId } from '../src/index.js';
import { countingQuorum, gridQuorum, jointQuorum, majorityQuorum } from '../src/index.js';
import { idsOf } from './naive.js';

describe('jointQuorum', () => {
  const outgoing = majorityQuorum([1, 2, 3]);
  const incoming = countingQuorum({ members: [3, 4, 5, 6, 7], replication: 2 }); // L = 4
  const joint = jointQuorum(outgoing, incoming);

  it('needs a quorum of both systems in each phase', () => {
    expect(joint.voters).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(joint.isPhase2Quorum(new Set([1, 2]))).toBe(false);
    expect(joint.isPhase2Quorum(new Set([4, 5]))).toBe(false);
    expect(joint.isPhase2Quorum(new Set([1, 3, 4]))).toBe(true);
    expect(joint.isPhase1Quorum(new Set([1, 2, 4, 5, 6]))).toBe(false);
    expect(joint.isPhase1Quorum(new Set([1, 2, 4, 5, 6, 7]))).toBe(true);
  });

  it('makes every phase-1 quorum meet every phase-2 quorum', () => {
    const q1: number[] = [];
    const q2: number[] = [];
    for (let m = 0; m < 1 << 7; m++) {
      const ids = new Set<VoterId>(idsOf(m));
      if (joint.isPhase1Quorum(ids)) q1.push(m);
      if (joint.isPhase2Quorum(ids)) q2.push(m);
    }
    expect(q1.length).toBeGreaterThan(0);
    let disjoint = 0;
    for (const a of q1) for (const b of q2) if ((a & b) === 0) disjoint++;
    expect(disjoint).toBe(0);
  });

  it('commits the lower of the two committed indexes', () => {
    const acked = new Map([
      [1, 8],
      [2, 7],
      [3, 2],
      [4, 5],
      [5, 4],
    ]);
    expect(outgoing.phase2CommittedIndex(acked)).toBe(7);
    expect(incoming.phase2CommittedIndex(acked)).toBe(4);
    expect(joint.phase2CommittedIndex(acked)).toBe(4);
  });

  it('loses the vote as soon as either system loses it', () => {
    expect(
      joint.phase1Result(
        new Map([
          [1, false],
          [2, false],
        ]),
      ),
    ).toBe('lost');
    expect(
      joint.phase1Result(
        new Map([
          [1, true],
          [2, true],
        ]),
      ),
    ).toBe('pending');
    const allYes = new Map([1, 2, 4, 5, 6, 7].map((id) => [id, true]));
    expect(joint.phase1Result(allYes)).toBe('won');
  });

  it('accepts a lease set that meets every phase-1 quorum of either system', () => {
    // {1,2} meets every majority of [1,2,3], hence every joint phase-1 quorum.
    expect(joint.intersectsEveryPhase1Quorum(new Set([1, 2]))).toBe(true);
    // {1} meets neither every majority of [1,2,3] nor every 4-subset of [3..7].
    expect(joint.intersectsEveryPhase1Quorum(new Set([1]))).toBe(false);
  });

  it('nests and describes both parts', () => {
    const grid = gridQuorum({
      rows: [
        [1, 2],
        [3, 4],
      ],
      phase1: 'rows',
    });
    const nested = jointQuorum(joint, grid);
    expect(nested.systems[1]).toBe(grid);
    expect(nested.describe()).toBe(
      'joint(joint(majority(N=3, L=2, P=2) over [1,2,3]; counting(N=5, L=4, P=2) over [3,4,5,6,7]); ' +
        'grid(2x2, phase-1=rows, phase-2=columns) over [[1,2],[3,4]])',
    );
  });
});

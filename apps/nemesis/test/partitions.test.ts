import { describe, expect, it } from 'vitest';
import { Prng } from '@flexpaxos/sim';
import { PARTITION_SHAPES, cutsBetween, drawPartition } from '../src/partitions.js';

const ids5 = [1, 2, 3, 4, 5];

describe('drawPartition', () => {
  it('draws every shape, each with the piece sizes it names', () => {
    const random = new Prng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const p = drawPartition(ids5, 4, 2, random, 3);
      seen.add(p.shape);
      expect(p.cuts.length).toBeGreaterThan(0);
      const all = p.pieces.flat().sort();
      expect(all).toEqual(ids5);
      const first = p.pieces[0] ?? [];
      const size: Partial<Record<string, number>> = {
        'isolate-one': 1,
        'isolate-leader': 1,
        'majority-minority': 2,
        L: 4,
        'L-1': 3,
        P: 2,
        'P-1': 1,
      };
      if (size[p.shape] !== undefined) expect(first).toHaveLength(size[p.shape] as number);
      if (p.shape === 'isolate-leader') expect(first).toEqual([3]);
      if (p.shape === 'isolate-one') expect(first).not.toEqual([3]);
      if (p.shape === 'bridge') {
        // Only sides A and B are cut from each other; the bridge sees both.
        const [a = [], b = [], bridge = []] = p.pieces;
        expect(bridge.length).toBeGreaterThan(0);
        expect(p.cuts).toEqual(cutsBetween([a, b]));
      }
    }
    expect([...seen].sort()).toEqual([...PARTITION_SHAPES].sort());
  });

  it('is a function of the seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    for (let i = 0; i < 50; i++) {
      expect(drawPartition(ids5, 4, 2, a, 1)).toEqual(drawPartition(ids5, 4, 2, b, 1));
    }
  });
});

describe('cutsBetween', () => {
  it('cuts every pair in different pieces, smaller id first', () => {
    expect(cutsBetween([[2], [1, 3]])).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });
});

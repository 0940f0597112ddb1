import { describe, expect, it } from 'vitest';
import { Prng, ratio } from '../src/prng.js';

describe('Prng', () => {
  it('produces the same sequence for the same seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 20 }, () => a.nextU32());
    const ys = Array.from({ length: 20 }, () => b.nextU32());
    expect(xs).toEqual(ys);
  });

  it('produces different sequences for different seeds', () => {
    expect(new Prng(1).nextU32()).not.toBe(new Prng(2).nextU32());
  });

  it('keeps nextInt within bounds and hits every value', () => {
    const r = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const x = r.nextInt(9);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(9);
      seen.add(x);
    }
    expect(seen.size).toBe(9);
  });

  it('derives child seeds independent of the parent draws', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    b.nextU32();
    expect(a.childSeed('network')).toBe(b.childSeed('network'));
    expect(a.childSeed('network')).not.toBe(a.childSeed('faults'));
  });

  it('honours integer-ratio probabilities roughly', () => {
    const r = new Prng(3);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(ratio(1, 4))) hits++;
    expect(hits).toBeGreaterThan(2300);
    expect(hits).toBeLessThan(2700);
    expect(r.chance(ratio(0, 5))).toBe(false);
    expect(r.chance(ratio(5, 5))).toBe(true);
  });

  it('rejects ratios that are not probabilities', () => {
    expect(() => ratio(3, 2)).toThrow(/not a probability/);
  });
});

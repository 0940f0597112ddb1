import { describe, expect, it } from 'vitest';
import { requiredClockDriftBoundMs, type ClockModel } from '@flexpaxos/lease';
import { SimClock } from '../src/clock.js';
import { Prng } from '../src/prng.js';

const model: ClockModel = { leaseDurationMs: 60, rateErrorPpm: 50_000, stepMsMax: 8, jitterMsMax: 2 };
const tickMs = 10;

/** Readings of `count` clocks over `ticks` ticks. */
function readings(count: number, ticks: number, seed: number): number[][] {
  const clocks = Array.from({ length: count }, (_, i) => new SimClock(model, tickMs, new Prng(seed).child(`c${i}`)));
  const out: number[][] = clocks.map(() => []);
  for (let t = 0; t <= ticks; t++) {
    clocks.forEach((c, i) => {
      c.advanceTo(t);
      out[i]?.push(c.nowMs());
    });
  }
  return out;
}

describe('SimClock', () => {
  it('never goes backwards', () => {
    for (const series of readings(4, 2000, 1)) {
      for (let t = 1; t < series.length; t++) expect(series[t]).toBeGreaterThanOrEqual(series[t - 1] as number);
    }
  });

  it('keeps any two clocks within the drift bound the lease package derives for the model', () => {
    const bound = requiredClockDriftBoundMs(model);
    let worst = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const series = readings(4, 3000, seed);
      for (const x of series) {
        for (const y of series) {
          for (let s = 0; s < 3000; s += 7) {
            // Intervals over which X advances by at most one lease duration.
            for (let e = s + 1; e < x.length && (x[e] as number) - (x[s] as number) <= model.leaseDurationMs; e++) {
              const excess = ((y[e] as number) - (y[s] as number)) - ((x[e] as number) - (x[s] as number));
              worst = Math.max(worst, excess);
            }
          }
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(bound);
    // The model is exercised, not trivially met: clocks do drift apart by a good part of it.
    expect(worst).toBeGreaterThan(bound / 4);
  });

  it('restarts from a new origin', () => {
    const c = new SimClock(model, tickMs, new Prng(3));
    c.advanceTo(100);
    const before = c.nowMs();
    c.restart(101);
    expect(c.nowMs()).not.toBe(before);
    const at = c.nowMs();
    c.advanceTo(102);
    expect(c.nowMs()).toBeGreaterThan(at);
  });
});

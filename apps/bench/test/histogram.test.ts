import { describe, expect, it } from 'vitest';
import {
  encodeHistogram,
  mergeHistograms,
  newLatencyHistogram,
  recordMs,
  summarize,
} from '../src/index.js';

describe('mergeHistograms', () => {
  it('holds every value of every process, so percentiles are over all of them', () => {
    // Process A: 990 fast ops (1 ms); process B: 10 slow ops (100 ms). Pooled p99 is 1 ms,
    // p99.9 is 100 ms; averaging per-process p99 would give ~50 ms.
    const a = newLatencyHistogram();
    const b = newLatencyHistogram();
    for (let i = 0; i < 990; i++) recordMs(a, 1);
    for (let i = 0; i < 10; i++) recordMs(b, 100);
    const merged = mergeHistograms([encodeHistogram(a), encodeHistogram(b)]);
    const s = summarize(merged);
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBeCloseTo(1, 2);
    expect(s.p99Ms).toBeCloseTo(1, 2);
    expect(s.p999Ms).toBeCloseTo(100, 0);
    expect(s.maxMs).toBeCloseTo(100, 0);
  });

  it('matches one histogram fed every value', () => {
    const parts = [newLatencyHistogram(), newLatencyHistogram(), newLatencyHistogram()];
    const whole = newLatencyHistogram();
    for (let i = 1; i <= 3000; i++) {
      const ms = (i % 97) * 0.37 + (i % 5 === 0 ? 40 : 0);
      recordMs(parts[i % 3]!, ms);
      recordMs(whole, ms);
    }
    const merged = summarize(mergeHistograms(parts.map(encodeHistogram)));
    expect(merged).toEqual(summarize(whole));
  });

  it('gives an empty summary for no values', () => {
    expect(summarize(mergeHistograms([]))).toEqual({
      count: 0,
      p50Ms: null,
      p99Ms: null,
      p999Ms: null,
      maxMs: null,
      meanMs: null,
    });
  });

  it('clamps values outside 1 µs .. 60 s', () => {
    const h = newLatencyHistogram();
    recordMs(h, 0);
    recordMs(h, 10 * 60 * 1000);
    expect(h.totalCount).toBe(2);
    expect(summarize(h).maxMs).toBeLessThanOrEqual(60_100);
  });
});

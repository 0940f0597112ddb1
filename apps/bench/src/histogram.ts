/**
 * Latency histograms (HdrHistogram, `hdr-histogram-js`): each client process records
 * microseconds into its own histogram and sends it to the benchmark encoded (compressed
 * base64); the benchmark merges them, so percentiles are over every operation of every process
 * (averaging per-process percentiles would be wrong).
 */
import hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

/** Largest latency recorded exactly: 60 s in microseconds (larger values are clamped). */
export const LATENCY_MAX_US = 60_000_000;

/** A new latency histogram: 1 µs .. 60 s, 3 significant digits. */
export function newLatencyHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_MAX_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records one latency given in milliseconds (rounded to µs, clamped to 1 µs .. 60 s). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(LATENCY_MAX_US, Math.max(1, Math.round(ms * 1000))));
}

/** The portable form a client process sends. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** One histogram holding every value of the encoded ones (an empty one for an empty list). */
export function mergeHistograms(encoded: readonly string[]): Histogram {
  const total = newLatencyHistogram();
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e, 32, false);
    total.add(h);
    h.destroy();
  }
  return total;
}

/** Count and percentiles of a histogram in milliseconds (null when it is empty). */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number | null;
  readonly meanMs: number | null;
}

/** Summarizes a histogram recorded in microseconds. */
export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0)
    return { count, p50Ms: null, p99Ms: null, p999Ms: null, maxMs: null, meanMs: null };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.getValueAtPercentile(100)),
    meanMs: Math.round(h.mean) / 1000,
  };
}

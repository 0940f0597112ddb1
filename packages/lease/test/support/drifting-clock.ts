/**
 * A node's monotonic clock as a function of true time, for tests: an origin, a rate error,
 * forward steps and bounded jitter, made monotonic by never reading below the last reading.
 *
 * Reading at true time T (before the monotonic max): `originMs + T * (1 + ratePpm / 1e6) +
 * (sum of steps at or before T) + jitter`, with `|jitter| <= jitterMsMax`.
 */
export interface DriftingClockSpec {
  readonly originMs: number;
  readonly ratePpm: number;
  readonly steps: readonly { readonly atTrueMs: number; readonly sizeMs: number }[];
  readonly jitterMsMax: number;
  /** Jitter samples in [-1, 1], used in turn per reading (cycled). */
  readonly jitter: readonly number[];
}

/** A stateful reader of a {@link DriftingClockSpec}; true time must not decrease. */
export class DriftingClock {
  readonly spec: DriftingClockSpec;
  #lastTrueMs = -Infinity;
  #lastReadingMs = -Infinity;
  #jitterIndex = 0;

  constructor(spec: DriftingClockSpec) {
    this.spec = spec;
  }

  /** The clock's reading at true time `trueMs` (same reading for repeated calls at one instant). */
  readAt(trueMs: number): number {
    if (trueMs < this.#lastTrueMs)
      throw new Error(`true time went backwards: ${trueMs} < ${this.#lastTrueMs}`);
    if (trueMs === this.#lastTrueMs) return this.#lastReadingMs;
    this.#lastTrueMs = trueMs;
    const s = this.spec;
    let v = s.originMs + trueMs * (1 + s.ratePpm / 1_000_000);
    for (const step of s.steps) if (step.atTrueMs <= trueMs) v += step.sizeMs;
    if (s.jitter.length > 0) {
      const sample = s.jitter[this.#jitterIndex % s.jitter.length] ?? 0;
      this.#jitterIndex += 1;
      v += sample * s.jitterMsMax;
    }
    this.#lastReadingMs = Math.max(this.#lastReadingMs, v);
    return this.#lastReadingMs;
  }
}

/** A perfectly linear clock: `originMs + trueMs * rate`. */
export function linearClock(originMs: number, rate: number): DriftingClock {
  return new DriftingClock({
    originMs,
    ratePpm: (rate - 1) * 1_000_000,
    steps: [],
    jitterMsMax: 0,
    jitter: [],
  });
}

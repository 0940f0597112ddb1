/**
 * Simulated monotonic clocks. True simulated time is `tick x tickMs`; each node reads its own
 * clock, which departs from true time within a {@link ClockModel} (see `@flexpaxos/lease`):
 *
 * - linear rate drift: the node's rate is `1 + r` with `|r| <= rateErrorPpm / 1e6` (half the
 *   nodes sit at an extreme, where drift hurts most);
 * - forward steps: now and then the clock jumps forward by up to `stepMsMax`, at most once in
 *   any `3 x leaseDurationMs` of true time (so the steps within one lease total at most
 *   `stepMsMax`);
 * - jitter: each tick's reading is off its smooth value by up to `jitterMsMax`, and readings
 *   never decrease (the clamp keeps them within the jitter band).
 *
 * A restarted node's clock starts again from a new random origin (allowed by the lease's clock
 * assumption). Readings are a pure function of the tick: the clock advances once per tick in
 * `advanceTo`, whoever reads it, so checks that read clocks do not change the run.
 */
import type { ClockModel } from '@flexpaxos/lease';
import type { Prng } from './prng.js';

/** A per-node simulated clock (implements the core's `MonotonicClock`). */
export class SimClock {
  private readonly model: ClockModel;
  private readonly tickMs: number;
  private readonly random: Prng;
  /** Rate error of this node (fraction). */
  readonly rate: number;
  private origin = 0;
  private startMs = 0;
  private stepsMs = 0;
  private nextStepAtMs = Number.POSITIVE_INFINITY;
  private reading = 0;
  private jitterSeed = 0;
  /** Forward steps taken (statistics). */
  steps = 0;

  constructor(model: ClockModel, tickMs: number, random: Prng) {
    this.model = model;
    this.tickMs = tickMs;
    this.random = random;
    const ppm = model.rateErrorPpm;
    const draw = random.nextInt(4);
    const r = draw === 0 ? -ppm : draw === 1 ? ppm : random.between(-ppm, ppm);
    this.rate = r / 1_000_000;
    this.restart(0);
  }

  /** A fresh incarnation at tick `tick` (node start or restart): new origin, no history. */
  restart(tick: number): void {
    const trueMs = tick * this.tickMs;
    this.origin = this.random.between(0, 1_000_000);
    this.startMs = trueMs;
    this.stepsMs = 0;
    this.jitterSeed = this.random.nextU32();
    this.nextStepAtMs = this.model.stepMsMax > 0 ? trueMs + this.stepGapMs() : Number.POSITIVE_INFINITY;
    this.reading = Number.NEGATIVE_INFINITY;
    this.advanceTo(tick);
  }

  private stepGapMs(): number {
    const d = this.model.leaseDurationMs;
    return 3 * d + this.random.between(0, 20 * d);
  }

  /** Moves the clock to true time `tick x tickMs` (call once per tick, in order). */
  advanceTo(tick: number): void {
    const trueMs = tick * this.tickMs;
    while (trueMs >= this.nextStepAtMs) {
      this.stepsMs += this.random.between(1, this.model.stepMsMax);
      this.steps++;
      this.nextStepAtMs += this.stepGapMs();
    }
    const smooth = this.origin + (trueMs - this.startMs) * (1 + this.rate) + this.stepsMs;
    const j = this.model.jitterMsMax;
    const jitter = j === 0 ? 0 : ((hash(this.jitterSeed, tick) % (2 * j * 16 + 1)) / 16) - j;
    this.reading = Math.max(this.reading, smooth + jitter);
  }

  /** The node's monotonic clock reading in ms. */
  nowMs(): number {
    return this.reading;
  }
}

function hash(seed: number, n: number): number {
  let z = (seed ^ Math.imul(n, 0x9e3779b1)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

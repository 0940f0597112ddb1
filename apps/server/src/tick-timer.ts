/**
 * Time for the core: it counts ticks. A timer fires every `tickMs`; each firing reads the
 * node's monotonic clock (`performance.now()`, or a test-skewed one: `test-faults.ts`) and hands over as many ticks as real time has passed since the start, at
 * most {@link TICKS_PER_FIRING_MAX}, so a stalled event loop never makes the core's clock run
 * faster than real time in a burst larger than that (the excess is dropped).
 */

/** Most ticks handed over per timer firing (see the module comment). */
export const TICKS_PER_FIRING_MAX = 5;

/** A running tick timer; see the module comment. */
export class TickTimer {
  readonly #tickMs: number;
  readonly #onFire: (ticks: number) => void;
  readonly #now: () => number;
  #originMs = 0;
  #fed = 0;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `onFire(n)` runs at every firing with the ticks due now (`0 <= n <= TICKS_PER_FIRING_MAX`);
   * `now` is the clock ticks are counted on.
   */
  constructor(
    tickMs: number,
    onFire: (ticks: number) => void,
    now = (): number => performance.now(),
  ) {
    this.#tickMs = tickMs;
    this.#onFire = onFire;
    this.#now = now;
  }

  /** Starts counting from now. */
  start(): void {
    this.#originMs = this.#now();
    this.#timer = setInterval(() => this.#fire(), this.#tickMs);
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  #fire(): void {
    const due = Math.floor((this.#now() - this.#originMs) / this.#tickMs);
    let n = due - this.#fed;
    if (n > TICKS_PER_FIRING_MAX) {
      // The event loop stalled: drop the excess so the core's clock never bursts ahead.
      this.#fed = due - TICKS_PER_FIRING_MAX;
      n = TICKS_PER_FIRING_MAX;
    }
    this.#fed += Math.max(0, n);
    this.#onFire(Math.max(0, n));
  }
}

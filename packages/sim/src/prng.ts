/**
 * A fast, seeded pseudo-random generator (sfc32, Chris Doty-Humphrey's "small fast counter")
 * and integer-ratio probabilities, so a whole simulation is a pure function of one seed.
 *
 * Following TigerBeetle's VOPR, one seed drives everything and each subsystem gets its own
 * child seed (`Prng.child(label)`), so adding draws to one subsystem does not perturb another.
 */

/** A probability as an integer ratio `num / den` (no floating point in fault decisions). */
export interface Ratio {
  readonly num: number;
  readonly den: number;
}

/** Builds a ratio, checking that it is a probability. */
export function ratio(num: number, den: number): Ratio {
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || den <= 0 || num < 0 || num > den) {
    throw new Error(`ratio ${num}/${den} is not a probability`);
  }
  return { num, den };
}

/** The ratio that never happens. */
export const NEVER: Ratio = { num: 0, den: 1 };

/** splitmix32: scrambles a 32-bit value; used to expand seeds. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hashes a label to 32 bits (FNV-1a). */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded sfc32 generator. `nextInt` satisfies the Paxos core's `RandomSource` contract
 * (a uniform integer in `[0, maxExclusive)`).
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** The seed this generator was built from (for child derivation and diagnostics). */
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
    this.seed = seed;
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    this.a = splitmix32(lo);
    this.b = splitmix32(this.a ^ hi);
    this.c = splitmix32(this.b ^ 0x1234567);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in `[0, maxExclusive)`; `maxExclusive` must be a positive safe integer. */
  nextInt(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new Error(`nextInt bound must be a positive integer, got ${maxExclusive}`);
    }
    if (maxExclusive <= 0x100000000) {
      // Lemire-style rejection keeps the draw unbiased.
      const limit = 0x100000000 - (0x100000000 % maxExclusive);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % maxExclusive;
      }
    }
    return Math.floor((this.nextU32() * 0x100000000 + this.nextU32()) % maxExclusive);
  }

  /** A uniform integer in `[min, max]` (inclusive). */
  between(min: number, max: number): number {
    return min + this.nextInt(max - min + 1);
  }

  /** True with probability `r.num / r.den`. */
  chance(r: Ratio): boolean {
    if (r.num === 0) return false;
    if (r.num >= r.den) return true;
    return this.nextInt(r.den) < r.num;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.nextInt(items.length)];
    if (item === undefined && items.length === 0) throw new Error('pick from an empty array');
    return item as T;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A child seed for subsystem `label`: independent of how many draws this generator made. */
  childSeed(label: string): number {
    return splitmix32((this.seed >>> 0) ^ splitmix32(hashLabel(label))) * 0x200000 + (hashLabel(label) & 0x1fffff);
  }

  /** A child generator for subsystem `label` (see `childSeed`). */
  child(label: string): Prng {
    return new Prng(this.childSeed(label));
  }
}

/**
 * Seedable pseudo-random numbers for the traffic simulator.
 *
 * Everything the simulator produces is a pure function of its seed, so a run
 * can be replayed exactly (in tests, and when chasing a detector bug). The
 * generator is sfc32, which is small, fast and passes PractRand; seeds of any
 * shape are first hashed to 32 bits with {@link hashSeed}.
 */
import { hashSeed } from '../hash.js';

/** A deterministic random stream (sfc32). Same seed, same sequence of calls: same numbers. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    // splitmix32 spreads the one seed word over the four state words.
    let s = hashSeed(seed);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.next(); // discard the warm-up outputs
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next());
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element, uniformly. Throws on an empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[Math.floor(items.length * this.next())] as T;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor((i + 1) * this.next());
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** Standard normal N(0, 1) (Box-Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log() stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Exponential with the given rate (mean `1 / rate`): the gap between Poisson arrivals. */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /**
   * Poisson with the given mean (Knuth's method; means above 30 are summed in
   * chunks so `exp(-mean)` never underflows). Exact, O(mean) time.
   */
  poisson(mean: number): number {
    let count = 0;
    for (let left = mean; left > 0; left -= 30) {
      const limit = Math.exp(-Math.min(left, 30));
      for (let p = this.next(); p > limit; p *= this.next()) count++;
    }
    return count;
  }
}

/**
 * Weighted choice among a fixed set of items: the cumulative weights are
 * built once, so each draw is a binary search (the simulator draws from the
 * same popularity table millions of times).
 */
export class WeightedSampler<T> {
  readonly #items: readonly T[];
  readonly #cumulative: Float64Array;

  /** Weights must be finite and non-negative, with a positive total. */
  constructor(items: readonly T[], weights: readonly number[]) {
    if (items.length !== weights.length) throw new RangeError('items and weights differ in length');
    this.#items = items;
    this.#cumulative = new Float64Array(weights.length);
    let total = 0;
    weights.forEach((w, i) => {
      if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`invalid weight ${w}`);
      total += w;
      this.#cumulative[i] = total;
    });
    if (!(total > 0)) throw new RangeError('weights must have a positive total');
  }

  /** The share of the total weight carried by item `index`. */
  share(index: number): number {
    const c = this.#cumulative;
    const total = c[c.length - 1] as number;
    return ((c[index] as number) - (index > 0 ? (c[index - 1] as number) : 0)) / total;
  }

  /** Draws one item with probability proportional to its weight. */
  sample(rng: Rng): T {
    const c = this.#cumulative;
    const target = rng.next() * (c[c.length - 1] as number);
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((c[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return this.#items[lo] as T;
  }
}

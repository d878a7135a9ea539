/**
 * A key's time-of-day cycle: one multiplicative factor per bin of the UTC
 * day (hourly by default), learned as a ratio of decayed sums shrunk
 * towards 1 by a prior that fades, so a young profile cannot be swept along
 * by one day (or one surge), and a mature one is not held back. Shoppers
 * keep a daily rhythm; a flat baseline would call every evening peak a
 * trend and miss surges in the quiet hours.
 */

export const DAY_MS = 86_400_000;

export class DailyProfile {
  readonly #binMs: number;
  /** Per bin: decayed sum of (clipped) observed counts. */
  readonly #observed: Float64Array;
  /** Per bin: decayed sum of the deseasonalised level at those times. */
  readonly #level: Float64Array;
  /** Per bin: the normalised factor, kept up to date by `learn`. */
  readonly #factors: Float64Array;

  /** `binMs` must divide a day. */
  constructor(binMs: number) {
    if (!(binMs > 0) || DAY_MS % binMs !== 0) throw new RangeError(`season bin ${binMs} ms does not divide a day`);
    const bins = DAY_MS / binMs;
    this.#binMs = binMs;
    this.#observed = new Float64Array(bins);
    this.#level = new Float64Array(bins);
    this.#factors = new Float64Array(bins).fill(1);
  }

  /** The factor at event time `t`: linear between bin centres, so the expected level has no steps. */
  factorAt(t: number): number {
    const [i0, i1, w1] = this.#neighbours(t);
    return (1 - w1) * this.#factors[i0]! + w1 * this.#factors[i1]!;
  }

  /**
   * Learns one window: `observed` counts at time `t` when the deseasonalised
   * level was `level`. `keep` (0..1) decays every bin first, so old days
   * fade. Each factor is (C_b + P) / (L_b + P), `prior` P being
   * pseudo-observations of factor 1 in the units of L_b; then the factors
   * are scaled to average 1, so the level stays the daily mean.
   */
  learn(t: number, observed: number, level: number, keep: number, prior: number): void {
    const c = this.#observed;
    const l = this.#level;
    for (let b = 0; b < c.length; b++) {
      c[b]! *= keep;
      l[b]! *= keep;
    }
    const [i0, i1, w1] = this.#neighbours(t);
    c[i0]! += (1 - w1) * observed;
    l[i0]! += (1 - w1) * level;
    c[i1]! += w1 * observed;
    l[i1]! += w1 * level;
    let sum = 0;
    for (let b = 0; b < c.length; b++) sum += (this.#factors[b] = (c[b]! + prior) / (l[b]! + prior));
    const mean = sum / c.length;
    for (let b = 0; b < c.length; b++) this.#factors[b]! /= mean;
  }

  /** The two bins whose centres enclose `t`, and the weight of the second. */
  #neighbours(t: number): [number, number, number] {
    const bins = this.#factors.length;
    const position = ((((t % DAY_MS) + DAY_MS) % DAY_MS) / this.#binMs) - 0.5;
    const floor = Math.floor(position);
    const i0 = (floor + bins) % bins;
    return [i0, (i0 + 1) % bins, position - floor];
  }
}

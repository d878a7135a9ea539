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
    const [i0, i1, w1] = neighbours(t, this.#binMs, this.#factors.length);
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
    const [i0, i1, w1] = neighbours(t, this.#binMs, c.length);
    c[i0]! += (1 - w1) * observed;
    l[i0]! += (1 - w1) * level;
    c[i1]! += w1 * observed;
    l[i1]! += w1 * level;
    let sum = 0;
    for (let b = 0; b < c.length; b++) sum += (this.#factors[b] = (c[b]! + prior) / (l[b]! + prior));
    const mean = sum / c.length;
    for (let b = 0; b < c.length; b++) this.#factors[b]! /= mean;
  }
}

/**
 * The decayed mean value of each time-of-day slot across days, for plain
 * values: what this time of day usually reads. Slots are interpolated
 * between their centres; a slot never seen yet has no value (nor does a
 * time between two such slots).
 */
export class SlotMeans {
  readonly #binMs: number;
  readonly #sums: Float64Array;
  readonly #weights: Float64Array;

  constructor(binMs: number) {
    if (!(binMs > 0) || DAY_MS % binMs !== 0) throw new RangeError(`season bin ${binMs} ms does not divide a day`);
    this.#binMs = binMs;
    this.#sums = new Float64Array(DAY_MS / binMs);
    this.#weights = new Float64Array(DAY_MS / binMs);
  }

  valueAt(t: number): number | undefined {
    const [i0, i1, w1] = neighbours(t, this.#binMs, this.#sums.length);
    const v0 = this.#weights[i0]! > 0 ? this.#sums[i0]! / this.#weights[i0]! : undefined;
    const v1 = this.#weights[i1]! > 0 ? this.#sums[i1]! / this.#weights[i1]! : undefined;
    if (v0 === undefined) return w1 > 0 ? v1 : undefined;
    if (v1 === undefined) return w1 < 1 ? v0 : undefined;
    return (1 - w1) * v0 + w1 * v1;
  }

  /** Learns `value` at time `t`; `keep` decays every slot first, so old days fade. */
  learn(t: number, value: number, keep: number): void {
    const s = this.#sums;
    const w = this.#weights;
    for (let b = 0; b < s.length; b++) {
      s[b]! *= keep;
      w[b]! *= keep;
    }
    const [i0, i1, w1] = neighbours(t, this.#binMs, s.length);
    s[i0]! += (1 - w1) * value;
    w[i0]! += 1 - w1;
    s[i1]! += w1 * value;
    w[i1]! += w1;
  }
}

/** The two bins whose centres enclose `t`, and the weight of the second. */
function neighbours(t: number, binMs: number, bins: number): [number, number, number] {
  const position = ((((t % DAY_MS) + DAY_MS) % DAY_MS) / binMs) - 0.5;
  const floor = Math.floor(position);
  const i0 = (floor + bins) % bins;
  return [i0, (i0 + 1) % bins, position - floor];
}

/**
 * A coarse time-of-day profile and, optionally, a fine one (one bin per
 * row of a series, say): sharp routine steps need the fine one, noisy
 * series the coarse one. Each learned window tells how far off each was;
 * predictions use the one that has erred less lately.
 */
export class ProfileChoice<P> {
  #coarseError = 0;
  #fineError = 0;

  constructor(
    readonly coarse: P,
    readonly fine?: P,
  ) {}

  /** The fine one unless it has erred more (a sharp shape is the one that cannot wait to be proven). */
  get current(): P {
    return this.fine && this.#fineError <= this.#coarseError ? this.fine : this.coarse;
  }

  /** Decays (`keep`) and adds how far off each profile's prediction of one window was. */
  judge(coarseError: number, fineError: number, keep: number): void {
    this.#coarseError = keep * this.#coarseError + Math.abs(coarseError);
    this.#fineError = keep * this.#fineError + Math.abs(fineError);
  }
}

/**
 * What each time-of-day bin's windows missed by, today and yesterday: a
 * profile may learn from a window inside a spike only when yesterday's
 * windows at that time missed the same way (a routine daily step first
 * taken for a spike), never from a surge that comes once. Nor from one
 * excursion that has lasted since then (a stock-out for a day and a half):
 * a miss recurs only if the key was ordinary in between.
 */
export class DailyResiduals {
  readonly #binMs: number;
  readonly #todaySum: Float32Array;
  readonly #todayCount: Uint16Array;
  readonly #yesterday: Float32Array;
  #day = -Infinity;
  /** When the last ordinary window (not in an excursion) was recorded. */
  #ordinaryAt = -Infinity;

  constructor(binMs: number) {
    const bins = DAY_MS / binMs;
    this.#binMs = binMs;
    this.#todaySum = new Float32Array(bins);
    this.#todayCount = new Uint16Array(bins);
    this.#yesterday = new Float32Array(bins).fill(NaN);
  }

  /** Records what a window at `t` missed by (any signed measure, e.g. a log ratio), and whether it was in an excursion. */
  record(t: number, residual: number, excursion: boolean): void {
    if (!excursion) this.#ordinaryAt = t;
    const day = Math.floor(t / DAY_MS);
    if (day !== this.#day) {
      for (let b = 0; b < this.#yesterday.length; b++) {
        const n = this.#todayCount[b]!;
        this.#yesterday[b] = day === this.#day + 1 && n > 0 ? this.#todaySum[b]! / n : NaN;
        this.#todaySum[b] = 0;
        this.#todayCount[b] = 0;
      }
      this.#day = day;
    }
    const bin = this.#bin(t);
    this.#todaySum[bin]! += residual;
    if (this.#todayCount[bin]! < 65_535) this.#todayCount[bin]! += 1;
  }

  /** Whether yesterday's windows at `t` missed the same way, by at least half as much, with an ordinary window since. */
  recurs(t: number, residual: number): boolean {
    const before = this.#yesterday[this.#bin(t)]!;
    return before * residual > 0 && Math.abs(before) >= 0.5 * Math.abs(residual) && this.#ordinaryAt > t - DAY_MS;
  }

  #bin(t: number): number {
    return Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / this.#binMs);
  }
}

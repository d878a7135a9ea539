/**
 * Calibrated evidence: how rare a surprise of `z` standard deviations
 * really is for this key, as -log10 of a tail probability.
 *
 * The model (negative binomial for counts, a robust scale for values) says
 * how rare a z is if the model is right; real series are rarely that
 * tidy: response times have heavy tails, wandering readings have runs of
 * same-signed errors. So each key counts, with a decay, how often its own
 * windows went past a ladder of thresholds (2 to 22 sd), and reads a z
 * against the highest threshold below it: the tail beyond is the model's
 * shape, anchored at the rate the key's own history shows there (with the
 * model's rate as a prior worth `priorWindows` windows). Where the key's
 * tail is heavier than the model's, the evidence shrinks by that factor;
 * where it is lighter, the model stands. A z beyond anything seen is judged
 * by the model's tail alone, so a burst of 20 or 170 sd stays extreme. The
 * result is monotone in z, never saturates, and means the same on every
 * series: one threshold serves all of them.
 */

/** Thresholds the ladder counts exceedances of, sd. */
const LADDER = [2, 3, 4, 5, 6, 8, 10, 13, 17, 22] as const;
/** A rung's own rate is used once this many (decayed) windows have passed it. */
const TRUSTED = 5;

export class CalibratedTail {
  readonly #model: (z: number) => number;
  readonly #priorWindows: number;
  /** The model's evidence at each rung, computed once. */
  readonly #modelAtRung: Float64Array;
  /** Decayed count of windows learned, and of those at or past each rung. */
  #windows = 0;
  readonly #past = new Float32Array(LADDER.length);
  /** The key's own evidence at its trusted rungs, as of the last window learned (computed when first asked). */
  #own?: number[];

  /**
   * `model(z)`: -log10 of the model's probability of a surprise of at least
   * z (normalEvidence for one window; twice that for the smaller of two
   * independent windows).
   */
  constructor(model: (z: number) => number, priorWindows: number) {
    this.#model = model;
    this.#priorWindows = priorWindows;
    this.#modelAtRung = Float64Array.from(LADDER, model);
  }

  /**
   * Counts one window's surprise; `keep` (0..1) first decays what was
   * counted; `share`: how much of the window is new (slide / size for
   * hopping windows), so one event seen by many overlapping windows counts once.
   */
  learn(z: number, keep: number, share = 1): void {
    this.#own = undefined;
    this.#windows = keep * this.#windows + share;
    for (let j = 0; j < LADDER.length; j++) this.#past[j] = keep * this.#past[j]! + (z >= LADDER[j]! ? share : 0);
  }

  /** -log10 of the calibrated probability of a surprise at least `z`; 0 for z <= 0. */
  evidence(z: number): number {
    if (!(z > 0)) return 0;
    const model = this.#model(z);
    const own = (this.#own ??= this.#ownEvidence());
    const trusted = own.length;
    const inflation = (j: number) => this.#modelAtRung[j]! - own[j]!;
    if (trusted === 0) return model;
    if (z < LADDER[0]) return model * (own[0]! / this.#modelAtRung[0]!);
    const top = trusted - 1;
    if (z <= LADDER[top]!) {
      // Between trusted rungs: the model's shape, its overstatement interpolated; the best rung passed
      // on the way keeps the evidence from falling as z grows.
      let j = 0;
      while (j + 1 < trusted && LADDER[j + 1]! <= z) j++;
      const share = j < top ? (z - LADDER[j]!) / (LADDER[j + 1]! - LADDER[j]!) : 0;
      const shrink = inflation(j) + (j < top ? share * (inflation(j + 1) - inflation(j)) : 0);
      return Math.max(own[j]!, model - shrink);
    }
    // Beyond the last trusted rung: the model's shape anchored there, but no steeper than the key's own
    // tail was falling between its last two trusted rungs (a heavy tail goes on being heavy).
    const anchored = model - inflation(top);
    if (top === 0) return Math.max(own[top]!, anchored);
    const slope = (own[top]! - own[top - 1]!) / (LADDER[top]! - LADDER[top - 1]!);
    return Math.max(own[top]!, Math.min(anchored, own[top]! + slope * (z - LADDER[top]!)));
  }

  /**
   * The key's own evidence at each rung it has seen passed often enough to
   * trust (a prefix of the ladder, since fewer windows pass each higher
   * rung): its rate there with the model's as a prior, never more than the
   * model says.
   */
  #ownEvidence(): number[] {
    const own: number[] = [];
    for (let j = 0; j < LADDER.length && this.#past[j]! >= TRUSTED; j++) {
      const prior = 10 ** -this.#modelAtRung[j]!;
      const rate = (this.#past[j]! + this.#priorWindows * prior) / (this.#windows + this.#priorWindows);
      own.push(Math.min(this.#modelAtRung[j]!, -Math.log10(rate)));
    }
    return own;
  }
}

/**
 * A count key's recent average: an event-time EWMA of its window volumes
 * and of what was expected of them, judged as the sum of the windows it
 * averages. It shows what no single window proves: a sparse item's
 * stock-out (a shortfall), a slow builder (a surplus). Pure.
 */
import type { CountPrediction } from './baseline.js';
import { countSurprise, decayWeight } from './stats.js';

export interface RecentAverageOptions {
  /** Half-life of the average: it stands for 2 * halfLife / ln 2 of windows. */
  readonly halfLifeMs: number;
  readonly phiMin: number;
  readonly phiPriorWindows: number;
  /** Memory of the learned persistence. */
  readonly dispersionHalfLifeMs: number;
}

export class RecentAverage {
  readonly #o: RecentAverageOptions;
  /** Average volume and expected per window. */
  mean = 0;
  expected = 0;
  #spanMs = 0;
  #windowMs = 1;
  /**
   * Decayed sum (and weight) of the average's squared relative miss beyond
   * its Poisson part: how much of the over-dispersion persists from window
   * to window, learned.
   */
  #persistenceSum = 0;
  #persistenceWeight = 0;

  constructor(options: RecentAverageOptions) {
    this.#o = options;
  }

  /**
   * Folds in one window of `volume` (`windowMs` long, `dtMs` after the
   * last) and returns how far (sd, positive below) the average lies below
   * what was expected. The Poisson part of the spread adds up over the
   * windows averaged; the over-dispersion (which also holds the baseline's
   * own error, such as a young key's lag behind its daily cycle) is taken
   * to persist across them.
   */
  step(dtMs: number, windowMs: number, volume: number, p: CountPrediction): number {
    this.#windowMs = windowMs;
    const weight = Math.max(decayWeight(dtMs, this.#o.halfLifeMs), dtMs / Math.max(dtMs, this.#spanMs + dtMs));
    this.#spanMs += dtMs;
    this.mean += weight * (volume - this.mean);
    this.expected += weight * (p.mean - this.expected);
    const windows = this.windows;
    return -countSurprise(windows * this.mean, windows * this.expected, this.#persistence(windows, p.phi));
  }

  /** Starts over: the windows before this one are no longer what it is judged on. */
  reset(): void {
    this.#spanMs = 0;
  }

  /** Independent windows the average stands for (overlapping windows count as one per window length). */
  get windows(): number {
    return Math.max(1, Math.min(this.#spanMs, this.#memoryMs) / this.#windowMs);
  }

  /** Learns how far the average missed beyond its Poisson part, once it spans its whole memory; `share`: the window's new share. */
  learn(dtMs: number, share: number): void {
    const expected = this.windows * this.expected;
    if (this.#spanMs < this.#memoryMs || !(expected > 0)) return;
    const keep = 1 - decayWeight(dtMs, this.#o.dispersionHalfLifeMs);
    const miss = (this.mean - this.expected) / this.expected;
    this.#persistenceSum = keep * this.#persistenceSum + share * (miss * miss - 1 / expected);
    this.#persistenceWeight = keep * this.#persistenceWeight + share;
  }

  get #memoryMs(): number {
    return (2 * this.#o.halfLifeMs) / Math.LN2;
  }

  /**
   * The over-dispersion of the average's sum (as phi): the key's own,
   * learned from how far the average usually misses, with the prior that
   * phi / sqrt(windows) of a window's over-dispersion persists across them
   * (worth `phiPriorWindows`). Independent noise averages out over a
   * stock-out's first hour; a level that wanders does not, and a key shows
   * which it has.
   */
  #persistence(windows: number, phi: number): number {
    const prior = phi / Math.sqrt(windows);
    const priorWindows = this.#o.phiPriorWindows;
    const learned = (priorWindows * prior + this.#persistenceSum) / (priorWindows + this.#persistenceWeight);
    return Math.max(this.#o.phiMin / windows, learned);
  }
}

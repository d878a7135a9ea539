/**
 * The detector's surprise score on one series of numbers, for
 * `trendmon score`: causal (row i is scored against rows before it only)
 * and mapped to [0, 1].
 */
import { ewmaAlpha, learn, type Baseline, EMPTY_BASELINE } from './baseline.js';

export interface SeriesScoreOptions {
  /** Baseline memory, in rows. */
  readonly halfLifeRows: number;
  /** Rows of history before any score above 0. */
  readonly warmupRows: number;
  /** The surprise (standard deviations) that maps to 0.5. */
  readonly midScore: number;
  /** How sharply scores rise around `midScore`. */
  readonly steepness: number;
}

export const DEFAULT_SERIES_OPTIONS: SeriesScoreOptions = {
  halfLifeRows: 48,
  warmupRows: 12,
  midScore: 4,
  steepness: 1.5,
};

/**
 * Scores each value against the baseline learned from the values before
 * it. The spread is the larger of the learned standard deviation and the
 * Poisson spread sqrt(|mean|) (counts), with a small floor so a flat series
 * does not turn the smallest wiggle into a spike.
 */
export function scoreSeries(values: readonly number[], options: Partial<SeriesScoreOptions> = {}): number[] {
  const o = { ...DEFAULT_SERIES_OPTIONS, ...options };
  const alpha = ewmaAlpha(o.halfLifeRows);
  let baseline: Baseline = EMPTY_BASELINE;
  return values.map((value) => {
    let score = 0;
    let spread = 0;
    if (baseline.windows > 0) {
      const mean = baseline.mean;
      spread = Math.max(Math.sqrt(baseline.variance), Math.sqrt(Math.abs(mean)), Math.abs(mean) * 0.01, 1e-9);
      if (baseline.windows >= o.warmupRows) {
        const z = (value - mean) / spread;
        score = 1 / (1 + Math.exp(-o.steepness * (z - o.midScore)));
      }
    }
    // Learn a clipped value once warm, so a spike does not widen the spread it is judged by.
    const learned = baseline.windows >= o.warmupRows ? Math.min(value, baseline.mean + 3 * spread) : value;
    baseline = learn(baseline, learned, alpha);
    return score;
  });
}

/**
 * A key's expected level: an exponentially weighted mean and variance of its
 * window counts. Counts are Poisson-like or over-dispersed, so the spread
 * used for scoring is never below the Poisson spread (variance = mean).
 */

export interface Baseline {
  readonly mean: number;
  readonly variance: number;
  /** Windows observed since the key first appeared. */
  readonly windows: number;
}

export const EMPTY_BASELINE: Baseline = { mean: 0, variance: 0, windows: 0 };

/** Weight of one new window for a given half-life, in windows. */
export function ewmaAlpha(halfLifeWindows: number): number {
  return 1 - 2 ** (-1 / halfLifeWindows);
}

/**
 * Learns one window count. Before `alpha` would weigh more than a plain
 * average the update is a running average, so a new key's first windows
 * count fully rather than being damped towards zero.
 */
export function learn(baseline: Baseline, count: number, alpha: number): Baseline {
  const windows = baseline.windows + 1;
  const weight = Math.max(alpha, 1 / windows);
  const delta = count - baseline.mean;
  const mean = baseline.mean + weight * delta;
  const variance = (1 - weight) * (baseline.variance + weight * delta * delta);
  return { mean, variance, windows };
}

export interface Surprise {
  /** The level the baseline expected (never below `minExpected`). */
  readonly expected: number;
  /** Standard deviations above expected. */
  readonly z: number;
}

/** How surprising `count` is against the baseline. */
export function surprise(baseline: Baseline, count: number, minExpected: number): Surprise {
  const expected = Math.max(baseline.mean, minExpected);
  const spread = Math.sqrt(Math.max(baseline.variance, expected));
  return { expected, z: (count - expected) / spread };
}

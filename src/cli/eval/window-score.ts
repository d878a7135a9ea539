/**
 * The labelled-window score, after the method published with the Numenta
 * Anomaly Benchmark (standard profile): each labelled anomaly gets a window
 * of 10% of the series length divided by the number of labels, centred on
 * its onset; within a window only the first detection counts, worth more
 * the earlier it comes (a scaled sigmoid of its position); every detection
 * outside the windows costs 0.11, less just after a window; a window with
 * no detection costs 1; detections in the first 15% of a series (at most
 * 750 rows) are not scored. Totals are normalised so that never detecting
 * scores 0 and detecting every window at its first row scores 100. One
 * threshold on the [0, 1] anomaly score serves every series, as a user
 * would set it: the sweep finds the best one.
 *
 * Labels that are not real (too weak to be held to) get no window, and
 * detections inside their span count neither way.
 */
import type { Label } from './labelled.js';

const A_TP = 1;
const A_FP = 0.11;
const A_FN = 1;
const WINDOW_SHARE = 0.1;
const PROBATION_SHARE = 0.15;
const PROBATION_MAX = 750;

/** -1 at a window's first row, 0 at its end; positive after it, in window lengths. */
export const scaledSigmoid = (position: number): number => (position > 3 ? -1 : 2 / (1 + Math.exp(5 * position)) - 1);

export interface ScoredSeries {
  /** The anomaly score of each row, [0, 1]. */
  readonly scores: readonly number[];
  readonly labels: readonly Label[];
}

/** Thresholds the sweep tries, 0.05 to 0.9995. */
export const THRESHOLDS: readonly number[] = Array.from({ length: 400 }, (_, i) => 0.05 + (i * 0.9495) / 399);

/**
 * Per threshold in `thresholds`, the raw score of one series, with what
 * never detecting (`none`) and perfect detection would score.
 */
export function seriesWindowScores(series: ScoredSeries, thresholds: readonly number[] = THRESHOLDS): { raw: Float64Array; none: number; perfect: number } {
  const n = series.scores.length;
  const real = series.labels.filter((l) => l.real);
  const raw = new Float64Array(thresholds.length);
  const probation = Math.floor(Math.min(PROBATION_SHARE * n, PROBATION_MAX));
  const length = real.length ? Math.max(1, Math.floor((WINDOW_SHARE * n) / real.length)) : 0;
  const windows = real
    .map((l) => [Math.max(0, l.onset - Math.floor(length / 2)), Math.min(n, l.onset - Math.floor(length / 2) + length)] as const)
    .sort((a, b) => a[0] - b[0]);
  const ignored = series.labels.filter((l) => !l.real);
  /** Adds `weight` at every threshold at or below `score`. */
  const addAtOrBelow = (score: number, weight: number) => {
    for (let k = 0; k < thresholds.length && thresholds[k]! <= score; k++) raw[k]! += weight;
  };
  let perfect = 0;
  for (const [start, end] of windows) {
    perfect += A_TP * scaledSigmoid(-(end - 1 - start) / (end - start));
    // The first detection at each threshold: walk the window keeping the running maximum.
    const first = new Float64Array(thresholds.length).fill(NaN);
    for (let i = Math.max(start, probation); i < end; i++) {
      const value = A_TP * scaledSigmoid(-(end - 1 - i) / (end - start));
      for (let k = 0; k < thresholds.length && thresholds[k]! <= series.scores[i]!; k++) if (Number.isNaN(first[k]!)) first[k] = value;
    }
    for (let k = 0; k < thresholds.length; k++) raw[k]! += Number.isNaN(first[k]!) ? -A_FN : first[k]!;
  }
  let w = 0;
  for (let i = probation; i < n; i++) {
    while (w < windows.length && windows[w]![1] <= i) w++;
    if (w < windows.length && windows[w]![0] <= i) continue; // inside a window: counted above
    if (ignored.some((l) => i >= l.onset && i < l.until)) continue;
    const before = windows[w - 1];
    const weight = before ? A_FP * scaledSigmoid((i - (before[1] - 1)) / (before[1] - before[0])) : -A_FP;
    if (weight < 0) addAtOrBelow(series.scores[i]!, weight);
  }
  return { raw, none: -A_FN * windows.length, perfect };
}

export interface WindowScore {
  readonly threshold: number;
  /** Normalised: 0 never detecting, 100 perfect. */
  readonly score: number;
}

/** Normalised scores of a set of series per threshold, and the best threshold. */
export function windowScore(all: readonly { raw: Float64Array; none: number; perfect: number }[], thresholds: readonly number[] = THRESHOLDS): WindowScore & { readonly byThreshold: Float64Array } {
  const total = new Float64Array(thresholds.length);
  let none = 0;
  let perfect = 0;
  for (const s of all) {
    for (let k = 0; k < thresholds.length; k++) total[k]! += s.raw[k]!;
    none += s.none;
    perfect += s.perfect;
  }
  const byThreshold = total.map((t) => (perfect > none ? (100 * (t - none)) / (perfect - none) : NaN));
  let best = 0;
  for (let k = 1; k < thresholds.length; k++) if (byThreshold[k]! > byThreshold[best]!) best = k;
  return { threshold: thresholds[best]!, score: byThreshold[best]!, byThreshold };
}

/** The index of the threshold closest to `value`. */
export const thresholdIndex = (value: number, thresholds: readonly number[] = THRESHOLDS): number =>
  thresholds.reduce((best, t, k) => (Math.abs(t - value) < Math.abs(thresholds[best]! - value) ? k : best), 0);

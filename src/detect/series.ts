/**
 * The live detector's model on one series, for `trendmon score`: each row
 * is one tumbling window stepped through a {@link KeyModel}, causally (row
 * i is scored before it is learned, from rows before it), and each row's
 * alarm strength is mapped to an anomaly score in [0, 1] that is high only
 * where a spike opens or grows.
 */
import { DEFAULT_KEY_OPTIONS, KeyModel, type KeyModelOptions } from './key-model.js';

export interface SeriesPoint {
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly value: number;
}

/**
 * Options for a series with rows `cadenceMs` apart. Memories are the live
 * defaults in time, stretched for coarser series so they still span the
 * same number of rows as at 5-minute rows (24 rows of level memory, 12 rows
 * before a plateau is a new normal, ...).
 */
function seriesOptions(cadenceMs: number, overrides: Partial<KeyModelOptions> = {}): KeyModelOptions {
  const d = DEFAULT_KEY_OPTIONS;
  const rows = (defaultMs: number) => Math.max(defaultMs, (defaultMs / 300_000) * cadenceMs);
  return {
    ...d,
    levelHalfLifeMs: rows(d.levelHalfLifeMs),
    dispersionHalfLifeMs: rows(d.dispersionHalfLifeMs),
    seasonHalfLifeMs: rows(d.seasonHalfLifeMs),
    newNormalAfterMs: rows(d.newNormalAfterMs),
    depressionAdoptMs: rows(d.depressionAdoptMs),
    recoveryMs: rows(d.recoveryMs),
    ...overrides,
  };
}

/** A plain (non-count) series has no volume (it may even be negative): only its surprise gates a spike. */
const VALUE_OVERRIDES: Partial<KeyModelOptions> = { minVolume: -Infinity, minLift: 0 };

/**
 * Maps an alarm strength (standard deviations) to [0, 1]:
 * 1 - 2^(-(a / openScore)^2), so a window exactly at the open threshold
 * scores 0.5, twice the threshold 0.94, and anything that is not a spike
 * opening or growing stays below 0.5.
 */
export function anomalyScore(alarm: number, openScore: number): number {
  return alarm <= 0 ? 0 : 1 - 2 ** -((alarm / openScore) ** 2);
}

/**
 * Scores every point of a series; point i sees points 0..i only. The
 * cadence is the first positive gap between timestamps, known at the second
 * row (the first row is warm-up whatever it holds). Two models run side by
 * side: the count model (Poisson / negative binomial) speaks while every
 * value so far is a non-negative integer, the plain-value model (learned
 * spread) from the first value that is not.
 */
export function scoreSeries(points: readonly SeriesPoint[], overrides: Partial<KeyModelOptions> = {}): number[] {
  const scores: number[] = [];
  let models: { counts: KeyModel; values: KeyModel; openScore: number } | undefined;
  let countsSoFar = true;
  let previousTs: number | undefined;
  let lastGap = 0;
  points.forEach((point, i) => {
    countsSoFar &&= Number.isInteger(point.value) && point.value >= 0;
    const gap = previousTs === undefined ? 0 : point.ts - previousTs;
    previousTs = point.ts;
    if (gap > 0) lastGap = gap;
    if (!models && lastGap > 0) {
      const options = seriesOptions(lastGap, overrides);
      models = {
        counts: new KeyModel(options, true),
        values: new KeyModel({ ...options, ...VALUE_OVERRIDES }, false),
        openScore: options.openScore,
      };
      for (const earlier of points.slice(0, i)) stepBoth(models, earlier, lastGap);
    }
    if (!models) {
      scores.push(0);
      return;
    }
    const [counts, values] = stepBoth(models, point, lastGap);
    scores.push(anomalyScore((countsSoFar ? counts : values).alarm, models.openScore));
  });
  return scores;
}

function stepBoth(models: { counts: KeyModel; values: KeyModel }, point: SeriesPoint, gap: number) {
  const input = { end: point.ts + gap, at: point.ts + gap / 2, dtMs: gap, events: point.value };
  return [models.counts.step(input), models.values.step(input)] as const;
}

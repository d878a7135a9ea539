/**
 * The live detector's model on one series, for `trendmon score`: each row
 * is one tumbling window stepped through a {@link KeyModel}, causally (row
 * i is scored before it is learned, from rows before it), and each row's
 * alarm strength is mapped to an anomaly score in [0, 1] that is high only
 * where a spike opens or grows.
 */
import { alarmThreshold, DEFAULT_KEY_OPTIONS, KeyModel, type KeyModelOptions } from './key-model.js';

export interface SeriesPoint {
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly value: number;
}

/** Finest time-of-day bin the fine profile uses. */
const FINEST_BIN_MS = 60_000;

/**
 * Options for a series with rows `cadenceMs` apart. Memories are the live
 * defaults in time, stretched for coarser series so they still span the
 * same number of rows as at 5-minute rows (24 rows of level memory, 12 rows
 * before a plateau is a new normal, ...). A series finer than the hourly
 * profile also keeps one profile bin per row, for sharp routine steps.
 */
export function seriesOptions(cadenceMs: number, overrides: Partial<KeyModelOptions> = {}): KeyModelOptions {
  const d = DEFAULT_KEY_OPTIONS;
  const rows = (defaultMs: number) => Math.max(defaultMs, (defaultMs / 300_000) * cadenceMs);
  return {
    ...d,
    levelHalfLifeMs: rows(d.levelHalfLifeMs),
    dispersionHalfLifeMs: rows(d.dispersionHalfLifeMs),
    seasonHalfLifeMs: rows(d.seasonHalfLifeMs),
    newNormalAfterMs: rows(d.newNormalAfterMs),
    resumeWithinMs: rows(d.resumeWithinMs),
    depressionAdoptMs: rows(d.depressionAdoptMs),
    recoveryMs: rows(d.recoveryMs),
    fallHalfLifeMs: rows(d.fallHalfLifeMs),
    calibrationHalfLifeMs: rows(d.calibrationHalfLifeMs),
    youngRecordMs: rows(d.youngRecordMs),
    ...(cadenceMs >= FINEST_BIN_MS && cadenceMs < d.seasonBinMs && 86_400_000 % cadenceMs === 0 ? { fineSeasonBinMs: cadenceMs } : {}),
    ...overrides,
  };
}

/**
 * Maps an alarm (evidence, -log10 of a calibrated tail probability) to
 * [0, 1]: a / (a + threshold), so a window exactly at the alarm threshold
 * scores 0.5, windows that open or grow a spike score above it, every other
 * window below, and the score keeps growing with the evidence without ever
 * reaching 1 (alarms stay ranked).
 */
export function anomalyScore(alarm: number, threshold: number): number {
  return alarm <= 0 ? 0 : alarm / (alarm + threshold);
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
  let models: { counts: KeyModel; values: KeyModel; threshold: number } | undefined;
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
      models = { counts: new KeyModel(options, true), values: new KeyModel(options, false), threshold: alarmThreshold(options) };
      for (const earlier of points.slice(0, i)) stepBoth(models, earlier, lastGap);
    }
    if (!models) {
      scores.push(0);
      return;
    }
    const [counts, values] = stepBoth(models, point, lastGap);
    scores.push(anomalyScore((countsSoFar ? counts : values).alarm, models.threshold));
  });
  return scores;
}

function stepBoth(models: { counts: KeyModel; values: KeyModel }, point: SeriesPoint, gap: number) {
  const input = { end: point.ts + gap, at: point.ts + gap / 2, dtMs: gap, events: point.value };
  return [models.counts.step(input), models.values.step(input)] as const;
}

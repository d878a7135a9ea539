/**
 * Past surges as the demand projection reuses them: each one's cumulative
 * events and units sold above its baseline, sampled at ages (time since the detector
 * opened its spike) spaced by half-octaves, from a day before the start to
 * sixteen days after. Time-scale free: a surge of minutes and one of weeks
 * are both a few dozen numbers, with detail where it changes fastest.
 *
 * Pure: the history adapter (src/store/planning-history.ts) and the
 * evaluation both fit curves with `fitSurgeCurve` from counts in buckets.
 */
import type { Dimension } from '../domain.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Ages at which a curve is sampled: 0, then ±1 minute growing by √2 per step, to -1 day and +16 days. */
export const CURVE_AGES: readonly number[] = (() => {
  const after: number[] = [];
  for (let age = MINUTE; age < 16 * DAY; age *= Math.SQRT2) after.push(Math.round(age));
  after.push(16 * DAY);
  const before = [...after.filter((age) => age < DAY), DAY].map((age) => -age).reverse();
  return [...before, 0, ...after];
})();

/** The latest age a curve can cover. */
export const CURVE_LAST_AGE = CURVE_AGES[CURVE_AGES.length - 1]!;

/** Where a past surge happened: what the projection matches peers on. */
export interface SurgeOrigin {
  readonly dimension: Dimension;
  readonly key: string;
  /** The catalog category of a sku (or the key of a category spike). */
  readonly category?: string;
  /** The item's attributes as `name=value` (sku), or the key itself (attribute spikes). */
  readonly attributes?: readonly string[];
}

export interface SurgeCurve {
  readonly origin: SurgeOrigin;
  /** When the detector opened the spike (epoch ms): age 0. */
  readonly startedAt: number;
  /**
   * Events above baseline accumulated from age 0 to each of CURVE_AGES
   * (negative before the start); NaN at ages the data does not cover.
   */
  readonly cumulative: readonly number[];
  /** Units sold above baseline, likewise: sales follow a surge's events with a lag, and this keeps it. */
  readonly units: readonly number[];
  /** The key's baseline events per ms around the start: how strong the surge was relative to its key. */
  readonly baselineRate: number;
  /** The key's baseline units per ms around the start: with `baselineRate`, its usual units per event. */
  readonly baselineUnitsRate: number;
  /** The first age the data covers (at or after CURVE_AGES[0]). */
  readonly fromAge: number;
  /** The last age the data covers. */
  readonly toAge: number;
}

/** Counts over one span of time. */
export interface CountBucket {
  readonly startMs: number;
  readonly widthMs: number;
  readonly events: number;
  /** Units sold. */
  readonly units: number;
}

/** Events the key makes without a surge: a level with, given enough history, an hour-of-day profile. */
export interface Baseline {
  /** Expected events in [fromMs, toMs). */
  expected(fromMs: number, toMs: number): number;
}

/** History kept out of the baseline just before a spike opens: surges start rising before they are detected. */
export const BASELINE_GAP_MS = 6 * HOUR;
/** Days of history it takes to trust an hour-of-day profile. */
const PROFILE_DAYS = 3;

/**
 * The baseline of `value` (events by default) from buckets that end before `untilMs`: the mean rate, and
 * with at least three days of them, a factor per hour of the UTC day
 * (shrunk towards 1 by a day's worth of pseudo-counts).
 */
export function fitBaseline(buckets: readonly CountBucket[], untilMs: number, value: (b: CountBucket) => number = (b) => b.events): Baseline {
  let events = 0;
  let span = 0;
  const hourEvents = new Array<number>(24).fill(0);
  const hourSpan = new Array<number>(24).fill(0);
  for (const b of buckets) {
    if (b.startMs + b.widthMs > untilMs) continue;
    events += value(b);
    span += b.widthMs;
    const hour = Math.floor((b.startMs % DAY) / HOUR);
    hourEvents[hour]! += value(b);
    hourSpan[hour]! += b.widthMs;
  }
  const rate = span > 0 ? events / span : 0;
  const useProfile = span >= PROFILE_DAYS * DAY && rate > 0;
  const factors = hourEvents.map((e, h) => (useProfile ? (e + rate * HOUR) / (rate * (hourSpan[h]! + HOUR)) : 1));
  const mean = factors.reduce((a, b) => a + b, 0) / 24;
  const profile = factors.map((f) => f / mean);
  return {
    expected(fromMs, toMs) {
      if (!useProfile) return rate * (toMs - fromMs);
      let total = 0;
      for (let t = fromMs; t < toMs; ) {
        const hourEnd = (Math.floor(t / HOUR) + 1) * HOUR;
        const end = Math.min(toMs, hourEnd);
        total += rate * profile[Math.floor((t % DAY) / HOUR)]! * (end - t);
        t = end;
      }
      return total;
    },
  };
}

/**
 * A past surge's curve from its key's counts around it: buckets before the
 * start (less BASELINE_GAP_MS, or less half the history before it when
 * there is less) give the baseline; the excess over it is
 * accumulated from age 0 outwards, spreading each bucket evenly over its
 * width. Buckets must not overlap; gaps count as no events. Undefined when
 * the buckets do not reach past the start.
 */
export function fitSurgeCurve(origin: SurgeOrigin, startedAt: number, buckets: readonly CountBucket[]): SurgeCurve | undefined {
  if (buckets.length === 0) return undefined;
  const sorted = [...buckets].sort((a, b) => a.startMs - b.startMs);
  const first = sorted[0]!.startMs;
  const last = Math.max(...sorted.map((b) => b.startMs + b.widthMs));
  const fromIndex = CURVE_AGES.findIndex((age) => age >= first - startedAt);
  let toIndex = -1;
  CURVE_AGES.forEach((age, i) => {
    if (age <= last - startedAt) toIndex = i;
  });
  if (fromIndex < 0 || CURVE_AGES[fromIndex]! > 0 || CURVE_AGES[toIndex]! <= 0) return undefined;
  // A young shop has less history than the gap: then keep out the later half of what there is.
  const baselineUntil = startedAt - Math.min(BASELINE_GAP_MS, (startedAt - first) / 2);
  const accumulate = (value: (b: CountBucket) => number) => {
    const baseline = fitBaseline(sorted, baselineUntil, value);
    // Sums up to each bucket's start, for the sum over any span by a binary search.
    const before: number[] = [0];
    for (const b of sorted) before.push(before[before.length - 1]! + value(b));
    const observedUntil = (t: number): number => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]!.startMs < t) lo = mid + 1;
        else hi = mid;
      }
      // Buckets [0, lo) start before t; the last of them may reach past it.
      const open = sorted[lo - 1];
      const cut = open && open.startMs + open.widthMs > t ? (value(open) * (open.startMs + open.widthMs - t)) / open.widthMs : 0;
      return before[lo]! - cut;
    };
    const excessBetween = (a: number, b: number) =>
      observedUntil(startedAt + b) - observedUntil(startedAt + a) - baseline.expected(startedAt + a, startedAt + b);
    const cumulative = CURVE_AGES.map((age, i) =>
      i < fromIndex || i > toIndex ? NaN : age === 0 ? 0 : age > 0 ? excessBetween(0, age) : -excessBetween(age, 0),
    );
    return { cumulative, rate: baseline.expected(startedAt - HOUR, startedAt + HOUR) / (2 * HOUR) };
  };
  const events = accumulate((b) => b.events);
  const units = accumulate((b) => b.units);
  return {
    origin,
    startedAt,
    cumulative: events.cumulative,
    units: units.cumulative,
    baselineRate: events.rate,
    baselineUnitsRate: units.rate,
    fromAge: CURVE_AGES[fromIndex]!,
    toAge: CURVE_AGES[toIndex]!,
  };
}

/** The curve's cumulative excess events (or `units`) at `age`, linear between samples; NaN outside what it covers. */
export function cumulativeAt(curve: SurgeCurve, age: number, series: 'events' | 'units' = 'events'): number {
  if (age < curve.fromAge || age > curve.toAge) return NaN;
  const values = series === 'events' ? curve.cumulative : curve.units;
  // The first sample age at or after `age` (binary search: this runs for every peer at every slide).
  let lo = 0;
  let hi = CURVE_AGES.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CURVE_AGES[mid]! < age) lo = mid + 1;
    else hi = mid;
  }
  if (CURVE_AGES[hi] === age) return values[hi]!;
  const a0 = CURVE_AGES[hi - 1]!;
  const a1 = CURVE_AGES[hi]!;
  return values[hi - 1]! + ((values[hi]! - values[hi - 1]!) * (age - a0)) / (a1 - a0);
}

/** Mean excess events (or units) per ms over [from, to) of the curve's age; NaN outside its data. */
export function excessRate(curve: SurgeCurve, from: number, to: number, series: 'events' | 'units' = 'events'): number {
  return (cumulativeAt(curve, to, series) - cumulativeAt(curve, from, series)) / (to - from);
}

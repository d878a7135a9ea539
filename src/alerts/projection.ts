/**
 * Projected demand: how many extra units a spike implies over the next 24 h
 * and 7 d, with an interval a planner can staff and buy fabric against.
 * Pure; the method is written out in docs/alerts.md ("Projection") and
 * measured by `npm run eval -- --projection` (docs/planning.md).
 *
 * In short, per detector window of length W:
 *   1. the rate now: the window's sale lines (observed, and what its
 *      leading signal buys at its category's conversion, weighted by
 *      precision on the log scale) times units per line; the share above
 *      baseline is the share of its events above what was expected;
 *   2. the trend's units ahead: past surges like this one, scaled to its
 *      excess now and converted at its category's units per event
 *      (src/alerts/analogs.ts); their quantiles are the interval, widened
 *      by the noise of today's excess, of the item's conversion and of the
 *      outcome itself;
 *   3. capped by sane priors: no day above ten times the key's best day
 *      (or what it sells a day now), nor twice its category's best day.
 */
import type { Dimension, Spike } from '../domain.js';
import { forecastFromPeers, predictiveQuantile, quantile, type PeerGroup } from './analogs.js';
import type { Conversion } from './conversion.js';
import type { ProjectionLevel } from './rules.js';
import type { SurgeTrack } from './surge-track.js';
import type { VariantDemand } from './variants.js';

/** Units over one horizon. */
export interface DemandRange {
  /** What the baseline alone would sell. */
  readonly baseline: number;
  /** Extra units the trend implies (median). */
  readonly extra: number;
  /** The interval of `extra` at the projection's level (the low end may be below 0: fewer than the baseline). */
  readonly low: number;
  readonly high: number;
}

export interface ProjectionBasis {
  /** Sale lines in the latest window, for keys that carry sales. */
  readonly observedSales?: number;
  /** Sale lines the window's leading signal implies at its category's conversion. */
  readonly leadingSales?: number;
  readonly leadingSignal?: 'view' | 'search';
  /** The blended sale lines per window the projection starts from. */
  readonly salesPerWindow: number;
  readonly unitsPerSale: number;
  /** (V - E) / V: the share of the key's activity above its baseline. */
  readonly excessShare: number;
  /** ln(high / low) of the 7-day interval over its width in standard normal units: its spread on the log scale. */
  readonly logSpread: number;
  readonly windowMs: number;
  /** How long the spike has run (event time). */
  readonly ageMs: number;
  /** Past surges the forecast is made of. */
  readonly peers: number;
  /** The broadest group they were drawn from: the key's own surges, its category's, ..., or the prior. */
  readonly peerGroup?: PeerGroup['name'];
  /** Most units a day may come to (baseline and extra): see `capPerDay`. */
  readonly capPerDay: number;
}

export interface Projection {
  /** Probability covered by each range's low..high. */
  readonly level: ProjectionLevel;
  /** The planning assumption of how long surges last, used only when there is no history (the prior). */
  readonly persistenceMs: number;
  /** Units per day at the current rate, baseline included. */
  readonly unitsPerDayNow: number;
  readonly baselineUnitsPerDay: number;
  readonly next24h: DemandRange;
  readonly next7d: DemandRange;
  readonly basis: ProjectionBasis;
  /** e.g. `+1,800 units/7 d, 80% interval 1,200-2,500`. */
  readonly summary: string;
  /** The 7-day extra split over the catalog items the key covers, by their recent sales (variants: colour and size). */
  readonly variants?: readonly VariantDemand[];
}

export interface ProjectionInput {
  readonly spike: Pick<Spike, 'dimension' | 'volume' | 'expected' | 'drivers'>;
  /** The spike's windows so far, the latest last. */
  readonly track: SurgeTrack;
  /** The detector's window length: the spike's counts are per window. */
  readonly windowMs: number;
  /** The funnel of the key's category (or the shop's). */
  readonly conversion: Conversion;
  /** Past surges to forecast from, most specific group first, the prior last. */
  readonly peers: readonly PeerGroup[];
  /** The best days the store knows of, which cap the projection. */
  readonly records: DayRecords;
  /** How far an item's units per event sit from its category's (standard deviation of the log ratio), when measured. */
  readonly conversionSpread?: number;
  readonly persistenceMs: number;
  readonly level: ProjectionLevel;
}

/** Best days' units (baseline and extra), when the store has seen them. */
export interface DayRecords {
  readonly key?: number;
  readonly category?: number;
  /** The whole shop's. */
  readonly shop?: number;
}

/**
 * A day may come to at most this many times the key's best day, or what it
 * sells a day now if more or if it has no record (surges do break records:
 * this only stops a burst of seconds becoming millions)...
 */
export const KEY_RECORD_HEADROOM = 10;
/** ...and this many times its category's best day, or the shop's (which already hold their biggest items' surges). */
export const CATEGORY_RECORD_HEADROOM = 2;

/** The most units a day may come to, baseline included. */
export function capPerDay(records: DayRecords, baselinePerDay: number): number {
  const caps = [KEY_RECORD_HEADROOM * Math.max(records.key ?? 0, baselinePerDay)];
  for (const wider of [records.category, records.shop]) if (wider !== undefined) caps.push(CATEGORY_RECORD_HEADROOM * wider);
  return Math.max(1, Math.min(...caps));
}

const DAY_MS = 86_400_000;
/** Two-sided normal quantiles for the supported levels. */
const Z: Record<ProjectionLevel, number> = { 0.5: 0.6745, 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96 };
/**
 * How far an item's conversion may sit from the figure used (its category's,
 * or the shop's): one standard deviation on the log scale, until the store's
 * history measures it (`conversionSpread`).
 */
const CONVERSION_SPREAD = 0.5;
/** Search-only keys: their sales happen under other keys (the items found). */
const CARRIES_SALES: Readonly<Record<Dimension, boolean>> = {
  sku: true,
  category: true,
  attribute: true,
  region: true,
  query: false,
  term: false,
};

interface LogEstimate {
  readonly log: number;
  readonly variance: number;
}

/** The current sale lines per window: observed and leading estimates, weighted by precision on the log scale. */
function salesPerWindow(input: ProjectionInput): { basis: Partial<ProjectionBasis>; estimate?: LogEstimate } {
  const { spike, conversion } = input;
  const estimates: LogEstimate[] = [];
  const basis: { observedSales?: number; leadingSales?: number; leadingSignal?: 'view' | 'search' } = {};
  if (CARRIES_SALES[spike.dimension]) {
    const c = spike.drivers.sale;
    basis.observedSales = c;
    // A Poisson count on the log scale: ln(c + 1/2) with variance 1/(c + 1/2); finite at c = 0.
    estimates.push({ log: Math.log(c + 0.5), variance: 1 / (c + 0.5) });
  }
  const lead =
    spike.drivers.view > 0 && conversion.salesPerView
      ? { signal: 'view' as const, count: spike.drivers.view, rate: conversion.salesPerView }
      : spike.drivers.search > 0 && conversion.salesPerSearch
        ? { signal: 'search' as const, count: spike.drivers.search, rate: conversion.salesPerSearch }
        : undefined;
  if (lead) {
    const leading = lead.count * lead.rate;
    basis.leadingSales = round3(leading);
    basis.leadingSignal = lead.signal;
    estimates.push({ log: Math.log(leading), variance: 1 / lead.count + (input.conversionSpread ?? CONVERSION_SPREAD) ** 2 });
  }
  if (estimates.length === 0) return { basis };
  const weight = estimates.reduce((sum, e) => sum + 1 / e.variance, 0);
  const log = estimates.reduce((sum, e) => sum + e.log / e.variance, 0) / weight;
  return { basis, estimate: { log, variance: 1 / weight } };
}

export function projectDemand(input: ProjectionInput): Projection {
  const { spike, windowMs, level, track } = input;
  const { basis: partial, estimate } = salesPerWindow(input);
  const unitsPerSale = input.conversion.unitsPerSale;
  const excess = Math.max(0, spike.volume - spike.expected);
  const excessShare = spike.volume > 0 ? excess / spike.volume : 0;
  const salesNow = estimate ? Math.exp(estimate.log) : 0;
  const unitsPerMs = (salesNow * unitsPerSale) / windowMs;
  const baselinePerMs = unitsPerMs * (1 - excessShare);
  // The key's usual units per event: its category's funnel, else what this window shows (sales lag, so it reads low).
  const category = input.conversion.unitsPerEvent;
  const unitsPerEvent = category ?? (spike.volume > 0 ? (salesNow * unitsPerSale) / spike.volume : 0);
  // Relative noise of the rate ahead: the excess now as a Poisson count above E, and how far the key's conversion may sit from the figure used.
  const spreadOfItems = input.conversionSpread ?? CONVERSION_SPREAD;
  const rateVariance = (excess > 0 ? spike.volume / excess ** 2 : 0) + (category !== undefined ? spreadOfItems ** 2 : (estimate?.variance ?? 0));
  const z = Z[level];
  const lo = (1 - level) / 2;
  const horizons = [DAY_MS, 7 * DAY_MS];
  const forecast = estimate && excess > 0 ? forecastFromPeers(track, windowMs, horizons, input.peers, unitsPerEvent) : undefined;
  const dayCap = capPerDay(input.records, baselinePerMs * DAY_MS);

  const range = (h: number, index: number): DemandRange => {
    const baseline = baselinePerMs * h;
    const ensemble = forecast?.ensembles[index] ?? [];
    if (ensemble.length === 0) return { baseline: Math.round(baseline), extra: 0, low: 0, high: 0 };
    const median = quantile(ensemble, 0.5);
    // The peers' spread and the rate's noise are independent factors: they combine on the log scale.
    const widen = (q: number, side: 1 | -1) => {
      if (q > 0 && median > 0) return median * Math.exp(side * Math.hypot(Math.log(q / median), z * Math.sqrt(rateVariance)));
      return q + side * z * Math.sqrt(rateVariance) * Math.abs(median);
    };
    // The outcome itself is counted: sale lines are Poisson around the expectation, in units of u.
    const outcome = z * Math.sqrt(unitsPerSale * (baseline + Math.max(0, median)));
    let low = median - Math.hypot(median - widen(predictiveQuantile(ensemble, lo), -1), outcome);
    let high = median + Math.hypot(widen(predictiveQuantile(ensemble, 1 - lo), 1) - median, outcome);
    const cap = Math.max(0, dayCap - baselinePerMs * DAY_MS) * (h / DAY_MS);
    const extra = Math.min(median, cap);
    low = Math.min(low, cap);
    high = Math.min(high, cap);
    // Fewer than none cannot be sold.
    low = Math.max(low, -baseline);
    return { baseline: Math.round(baseline), extra: Math.round(extra), low: Math.round(low), high: Math.round(high) };
  };
  const next24h = range(DAY_MS, 0);
  const next7d = range(7 * DAY_MS, 1);
  const spread = next7d.low > 0 && next7d.high > next7d.low ? Math.log(next7d.high / next7d.low) / (2 * z) : 0;
  const basis: ProjectionBasis = {
    ...partial,
    salesPerWindow: round3(salesNow),
    unitsPerSale: round3(unitsPerSale),
    excessShare: round3(excessShare),
    logSpread: round3(spread),
    windowMs,
    ageMs: (track.points[track.points.length - 1]?.end ?? track.startedAt) - track.startedAt,
    peers: forecast?.peers ?? 0,
    ...(forecast ? { peerGroup: forecast.group } : {}),
    capPerDay: Math.round(dayCap),
  };
  return {
    level,
    persistenceMs: input.persistenceMs,
    unitsPerDayNow: Math.round(unitsPerMs * DAY_MS),
    baselineUnitsPerDay: Math.round(baselinePerMs * DAY_MS),
    next24h,
    next7d,
    basis,
    summary: estimate ? formatDemand(next7d, '7 d', level) : 'no demand projection: no sales and no leading signal seen yet',
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Two significant digits from 100 up: a projection is not more precise than that. Below zero with a minus sign (U+2212). */
export function formatUnits(units: number): string {
  const magnitude = Math.abs(units);
  const rounded = magnitude < 100 ? Math.round(magnitude) : Number(magnitude.toPrecision(2));
  return `${units < 0 && rounded > 0 ? '\u2212' : ''}${rounded.toLocaleString('en-US')}`;
}

/** `+1,800 units/7 d, 80% interval 1,200-2,500`. */
export function formatDemand(range: DemandRange, horizon: string, level: ProjectionLevel): string {
  return `${range.extra >= 0 ? '+' : ''}${formatUnits(range.extra)} units/${horizon}, ${Math.round(level * 100)}% interval ${formatUnits(range.low)}-${formatUnits(range.high)}`;
}

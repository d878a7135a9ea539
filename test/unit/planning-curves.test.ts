/**
 * How past surges become curves (src/alerts/surge-curves.ts), how the
 * nearest ones are picked and continued (src/alerts/analogs.ts), and the
 * split by variant (src/alerts/variants.ts). Pure.
 */
import { describe, expect, it } from 'vitest';
import { forecastFromPeers, predictiveQuantile, priorCurves, quantile, type PeerGroup } from '../../src/alerts/analogs.js';
import { conversionSpread } from '../../src/alerts/planning.js';
import { CURVE_AGES, cumulativeAt, excessRate, fitBaseline, fitSurgeCurve, type CountBucket } from '../../src/alerts/surge-curves.js';
import { formatVariants, splitByVariant, variantAttributes } from '../../src/alerts/variants.js';
import type { CatalogItem } from '../../src/domain.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 5, 2, 12);

/** Buckets of `widthMs` from `fromMs` to `toMs` with `events(t)` events (units a quarter of them). */
function buckets(fromMs: number, toMs: number, widthMs: number, events: (t: number) => number): CountBucket[] {
  const out: CountBucket[] = [];
  for (let t = fromMs; t < toMs; t += widthMs) out.push({ startMs: t, widthMs, events: events(t), units: events(t) / 4 });
  return out;
}

describe('surge curves', () => {
  it('accumulate events and units above the baseline at ages around the start', () => {
    // 60 events an hour; from the start, 600 more an hour for two hours.
    const counts = buckets(T0 - 3 * DAY, T0 + 8 * DAY, MINUTE, (t) => 1 + (t >= T0 && t < T0 + 2 * HOUR ? 10 : 0));
    const curve = fitSurgeCurve({ dimension: 'sku', key: 'SKU-1' }, T0, counts)!;
    expect(curve.baselineRate * HOUR).toBeCloseTo(60, 6);
    expect(curve.baselineUnitsRate * HOUR).toBeCloseTo(15, 6);
    expect(cumulativeAt(curve, 0)).toBe(0);
    expect(cumulativeAt(curve, HOUR)).toBeCloseTo(600, 6);
    expect(cumulativeAt(curve, 5 * DAY)).toBeCloseTo(1200, 6);
    expect(cumulativeAt(curve, 5 * DAY, 'units')).toBeCloseTo(300, 6);
    expect(cumulativeAt(curve, -HOUR)).toBeCloseTo(0, 6);
    expect(excessRate(curve, 0, HOUR) * HOUR).toBeCloseTo(600, 6);
    // The data ends 8 days in: later ages are unknown.
    expect(curve.toAge).toBeLessThanOrEqual(8 * DAY);
    expect(cumulativeAt(curve, 9 * DAY)).toBeNaN();
    expect(CURVE_AGES[0]).toBe(-DAY);
  });

  it('measure the excess against an hour-of-day profile once there are days of history', () => {
    // Twice as busy from 12:00 to 24:00 UTC as at night, and no surge at all.
    const daily = (t: number) => ((t % DAY) / HOUR >= 12 ? 2 : 1);
    const counts = buckets(T0 - 5 * DAY, T0 + 2 * DAY, MINUTE, daily);
    // 2 an hour-minute at noon, shrunk a little towards the daily mean by the profile's prior.
    const noon = fitBaseline(counts, T0).expected(T0, T0 + HOUR);
    expect(noon).toBeGreaterThan(110);
    expect(noon).toBeLessThanOrEqual(120);
    const curve = fitSurgeCurve({ dimension: 'sku', key: 'SKU-1' }, T0, counts)!;
    expect(Math.abs(cumulativeAt(curve, DAY))).toBeLessThan(0.05 * 1.5 * 60 * 24);
  });

  it('are undefined without data past the start', () => {
    expect(fitSurgeCurve({ dimension: 'sku', key: 'X' }, T0, buckets(T0 - DAY, T0, HOUR, () => 5))).toBeUndefined();
    expect(fitSurgeCurve({ dimension: 'sku', key: 'X' }, T0, [])).toBeUndefined();
  });
});

describe('peers', () => {
  /** A past surge of `peak` extra events a minute for `hours`, on a key of one event a minute. */
  const peer = (key: string, peak: number, hours: number) =>
    fitSurgeCurve({ dimension: 'sku', key }, T0, buckets(T0 - 2 * DAY, T0 + 9 * DAY, 5 * MINUTE, (t) => 5 * (1 + (t >= T0 && t < T0 + hours * HOUR ? peak : 0))))!;
  const path = (excess: number[]) => ({ startedAt: 0, points: excess.map((e, i) => ({ end: (i + 1) * 5 * MINUTE, excess: e, expected: 5 })) });

  it('are scaled to the spike now and continued; the k nearest by path and height make the ensemble', () => {
    const short = Array.from({ length: 25 }, (_, i) => peer(`S${i}`, 10, 1));
    const long = Array.from({ length: 25 }, (_, i) => peer(`L${i}`, 10, 48));
    const groups: PeerGroup[] = [{ name: 'category', curves: [...short, ...long] }];
    // Two hours in, still ten times its baseline: only the long surges were still up.
    const forecast = forecastFromPeers(path(Array.from({ length: 24 }, () => 50)), 5 * MINUTE, [DAY], groups, 1)!;
    expect(forecast.group).toBe('category');
    expect(forecast.peers).toBe(25);
    // 10 extra events a minute all the next day; a quarter unit each on their keys, one unit each on this one.
    expect(quantile(forecast.ensembles[0]!, 0.5)).toBeCloseTo(10 * 60 * 24, -1);
  });

  it('come from broader groups until there are enough of them', () => {
    const own = [peer('SKU-1', 10, 2)];
    const category = Array.from({ length: 10 }, (_, i) => peer(`C${i}`, 10, 2));
    const all = Array.from({ length: 30 }, (_, i) => peer(`A${i}`, 10, 2));
    const forecast = forecastFromPeers(path([50]), 5 * MINUTE, [DAY], [
      { name: 'key', curves: own },
      { name: 'category', curves: category },
      { name: 'dimension', curves: all },
    ], 1)!;
    expect(forecast.group).toBe('dimension');
    expect(forecast.peers).toBeGreaterThanOrEqual(20);
    expect(forecastFromPeers(path([0]), 5 * MINUTE, [DAY], [{ name: 'key', curves: own }], 1)).toBeUndefined();
  });

  it('place an interval by order statistics that holds new draws at its level', () => {
    const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.1)).toBeCloseTo(2.9, 6);
    // (n + 1) p = 2.1: between the 2nd and 3rd of 20, so 17 of 21 gaps lie inside: 80%.
    expect(predictiveQuantile(sorted, 0.1)).toBeCloseTo(2.1, 6);
    expect(predictiveQuantile(sorted, 0.9)).toBeCloseTo(18.9, 6);
  });

  it('fall back on a prior family of shapes from one window to the persistence', () => {
    const prior = priorCurves(2 * DAY, 5 * MINUTE, { dimension: 'sku', key: '(prior)' });
    expect(prior).toHaveLength(44);
    const total = (p: number, w: number) => priorCurves(p, w, { dimension: 'sku', key: '(prior)' }).reduce((sum, c) => sum + cumulativeAt(c, 7 * DAY), 0);
    expect(total(4 * DAY, 5 * MINUTE)).toBeGreaterThan(total(DAY, 5 * MINUTE));
    expect(total(2 * DAY, 10_000)).toBeLessThan(total(2 * DAY, HOUR));
  });

  it('measure how far items convert from their category', () => {
    const items = [0.8, 0.9, 1, 1.1, 1.25, 1].map((f, i) => ({ category: i % 2 ? 'a' : 'b', events: 10_000, units: 1_000 * f }));
    expect(conversionSpread(items)).toBeGreaterThan(0.1);
    expect(conversionSpread(items)).toBeLessThan(0.25);
    expect(conversionSpread(items.slice(0, 3))).toBeUndefined();
  });
});

describe('units per variant', () => {
  const variant = (color: string, size: string): CatalogItem => ({
    sku: `T-${color}-${size}`,
    title: 'Linen Wide-Leg Trousers',
    category: 'trousers',
    parent: 'T',
    attributes: { material: 'linen', color, size },
  });
  const family = [variant('sage', 'M'), variant('sage', 'L'), variant('sand', 'M')];
  const sold: Record<string, number> = { 'T-sage-M': 59, 'T-sage-L': 39, 'T-sand-M': 0 };

  it('splits by recent sales, labelled by what tells the variants apart', () => {
    expect(variantAttributes(family)).toEqual(['color', 'size']);
    const lines = splitByVariant(2_100, family, (sku) => sold[sku] ?? 0, () => family);
    // Shares 60 : 40 : 1 (one unit of smoothing each).
    expect(lines.map((l) => [l.label, l.units])).toEqual([
      ['sage M', 1_248],
      ['sage L', 832],
      ['sand M', 21],
    ]);
    expect(formatVariants(lines)).toBe('make 1,200 sage M, 830 sage L, 21 sand M');
  });

  it('works by item for catalogs without variants, and not at all for one item', () => {
    const items: CatalogItem[] = [
      { sku: 'A', title: 'Linen Shirt', category: 'tops' },
      { sku: 'B', title: 'Silk Blouse', category: 'tops' },
    ];
    expect(splitByVariant(100, items, (sku) => (sku === 'A' ? 3 : 1), () => []).map((l) => l.label)).toEqual(['Linen Shirt', 'Silk Blouse']);
    expect(splitByVariant(100, items.slice(0, 1), () => 1, () => [])).toEqual([]);
    expect(splitByVariant(0, items, () => 1, () => [])).toEqual([]);
  });
});

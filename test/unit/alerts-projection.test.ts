/**
 * The demand projection (src/alerts/projection.ts): past surges scaled to a
 * spike and continued, converted at its category's funnel, with an honest
 * interval and sane caps. Pure; peers are fitted from synthetic counts the
 * way the app fits them from ClickHouse.
 */
import { describe, expect, it } from 'vitest';
import { ConversionRates } from '../../src/alerts/conversion.js';
import { priorCurves } from '../../src/alerts/analogs.js';
import { formatDemand, formatUnits, projectDemand, type ProjectionInput } from '../../src/alerts/projection.js';
import { fitSurgeCurve, type SurgeCurve } from '../../src/alerts/surge-curves.js';
import type { SurgeTrack } from '../../src/alerts/surge-track.js';
import type { TrendEvent } from '../../src/domain.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 5, 2);

/** A past surge on a key of `base` events a minute (units a tenth of them), whose excess per minute after its start is `excess(minute)`. */
function pastSurge(key: string, excess: (minute: number) => number, base = 10): SurgeCurve {
  const buckets = [];
  for (let m = -2 * 24 * 60; m < 9 * 24 * 60; m += 5) {
    let events = 0;
    for (let i = m; i < m + 5; i++) events += base + (i >= 0 ? excess(i) : 0);
    buckets.push({ startMs: T0 + m * MINUTE, widthMs: 5 * MINUTE, events, units: events / 10 });
  }
  return fitSurgeCurve({ dimension: 'sku', key, category: 'dresses' }, T0, buckets)!;
}

/** A fad: +100 events a minute for its first hour, fading with a 2-hour half-life. */
const fad = (key: string) => pastSurge(key, (m) => (m < 60 ? 100 : 100 * 2 ** (-(m - 60) / 120)));

/** A spike's path: `excess` events above `expected` in each 5-minute window since it started. */
function track(excess: readonly number[], expected = 50, windowMs = 5 * MINUTE): SurgeTrack {
  return { startedAt: 0, points: excess.map((e, i) => ({ end: (i + 1) * windowMs, excess: e, expected })) };
}

const input = (over: Partial<ProjectionInput> = {}): ProjectionInput => ({
  spike: { dimension: 'sku', volume: 550, expected: 50, drivers: { search: 50, view: 450, sale: 50 } },
  track: track([500]),
  windowMs: 5 * MINUTE,
  conversion: { salesPerView: 0.1, salesPerSearch: 0.05, unitsPerSale: 1, unitsPerEvent: 0.1 },
  peers: [{ name: 'category', curves: Array.from({ length: 30 }, (_, i) => fad(`P${i}`)) }],
  records: {},
  persistenceMs: 2 * DAY,
  level: 0.8,
  ...over,
});

describe('projection: extra units a spike implies', () => {
  it('continues past surges scaled to the spike now, at its units per event', () => {
    const p = projectDemand(input());
    // Each peer made 100 extra events a minute 5 minutes in, the spike 100 (500 per 5-minute window):
    // the spike goes as they went, and sells 0.1 unit per event as their keys did.
    const remaining = (hours: number) => {
      let sum = 0;
      for (let m = 5; m < 5 + hours * 60; m++) sum += m < 60 ? 100 : 100 * 2 ** (-(m - 60) / 120);
      return sum * 0.1;
    };
    expect(p.next24h.extra).toBeCloseTo(remaining(24), -1);
    expect(p.next7d.extra).toBeCloseTo(remaining(7 * 24), -1);
    expect(p.basis).toMatchObject({ peers: 30, peerGroup: 'category', ageMs: 5 * MINUTE, windowMs: 5 * MINUTE });
  });

  it('states an interval around the median, wider for 7 days, whatever the peers agree on', () => {
    const p = projectDemand(input());
    for (const range of [p.next24h, p.next7d]) {
      expect(range.low).toBeLessThan(range.extra);
      expect(range.high).toBeGreaterThan(range.extra);
    }
    // Identical peers leave the noise of the spike's own rate, its conversion and the outcome.
    expect(p.next7d.high - p.next7d.low).toBeGreaterThan(0.3 * p.next7d.extra);
    expect(p.summary).toBe(formatDemand(p.next7d, '7 d', 0.8));
  });

  it('matches the spike to the peers whose path it follows', () => {
    // Half the peers are fads (an hour up, hours down), half new normals (they stay up).
    const stays = (key: string) => pastSurge(key, () => 100);
    const peers = [{ name: 'category' as const, curves: [...Array.from({ length: 30 }, (_, i) => fad(`F${i}`)), ...Array.from({ length: 30 }, (_, i) => stays(`N${i}`))] }];
    // Four hours in, the spike has faded to a fifth of its first hour: a fad.
    const path = Array.from({ length: 48 }, (_, i) => (i < 12 ? 500 : 500 * 2 ** (-((i - 12) * 5) / 120)));
    const faded = projectDemand(input({ track: track(path), spike: { dimension: 'sku', volume: 50 + path[47]!, expected: 50, drivers: { search: 0, view: 200, sale: 20 } }, peers }));
    const steady = projectDemand(input({ track: track(Array.from({ length: 48 }, () => 500)), peers }));
    expect(faded.next7d.extra).toBeLessThan(steady.next7d.extra / 20);
  });

  it('without history, draws on a broad prior, and caps a burst of seconds by what the key sells', () => {
    // The issue: 10 s windows, a 20-second surge of 3,000 events projected at +36,000,000 units over 7 days.
    const burst = {
      spike: { dimension: 'sku' as const, volume: 3_000, expected: 150, drivers: { search: 0, view: 2_700, sale: 300 } },
      track: track([2_850, 2_850], 150, 10_000),
      windowMs: 10_000,
      peers: [{ name: 'prior' as const, curves: priorCurves(2 * DAY, 10_000, { dimension: 'sku', key: '(prior)' }) }],
    };
    const p = projectDemand(input(burst));
    expect(p.basis.peerGroup).toBe('prior');
    // With no record, a day comes to at most ten times what the key sells a day now.
    expect(Math.abs(p.basis.capPerDay! - 10 * p.baselineUnitsPerDay)).toBeLessThanOrEqual(10);
    expect(p.next24h.high).toBeLessThanOrEqual(9 * p.baselineUnitsPerDay + 1);
    expect(p.next7d.high).toBeLessThanOrEqual(7 * 9 * p.baselineUnitsPerDay + 1);
    // Seconds or weeks, nobody knows yet: the interval spans orders of magnitude, the median a surge of middling length.
    expect(p.next24h.high / Math.max(1, p.next24h.low)).toBeGreaterThan(20);
    // The old method let the burst fade over 2 days: about two days' worth of its rate over 7 days. Now: hours' worth.
    expect(p.next7d.extra).toBeLessThan(p.unitsPerDayNow / 2);
    // The key's best day and its category's: the tighter one holds.
    const capped = projectDemand(input({ ...burst, records: { key: 2 * p.baselineUnitsPerDay, category: 6 * p.baselineUnitsPerDay } }));
    expect(Math.abs(capped.basis.capPerDay! - 12 * p.baselineUnitsPerDay)).toBeLessThanOrEqual(12);
  });

  it('projects nothing for a key back at its baseline, and says so without sales or a leading signal', () => {
    const flat = projectDemand(input({ spike: { dimension: 'sku', volume: 50, expected: 50, drivers: { search: 0, view: 45, sale: 5 } }, track: track([0]) }));
    expect(flat.next7d).toMatchObject({ extra: 0, low: 0, high: 0 });
    const none = projectDemand(
      input({ conversion: { unitsPerSale: 1 }, spike: { dimension: 'term', volume: 50, expected: 10, drivers: { search: 50, view: 0, sale: 0 } } }),
    );
    expect(none.summary).toBe('no demand projection: no sales and no leading signal seen yet');
  });
});

describe('conversion per category', () => {
  const view = (ts: number, sku: string): TrendEvent => ({ kind: 'view', id: `v${ts}${sku}`, ts, sku });
  const sale = (ts: number, sku: string, qty = 1): TrendEvent => ({ kind: 'sale', id: `s${ts}${sku}`, ts, sku, qty });
  const categoryOf = (e: TrendEvent) => (e.kind === 'search' ? undefined : e.sku.startsWith('D') ? 'dresses' : 'shoes');

  it('learns each category funnel, leaning on the shop while a category has little evidence', () => {
    const rates = new ConversionRates(categoryOf);
    for (let i = 0; i < 2000; i++) {
      rates.observe(view(i, 'D1'));
      rates.observe(view(i, 'S1'));
      if (i % 10 === 0) rates.observe(sale(i, 'D1', 2));
      if (i % 50 === 0) rates.observe(sale(i, 'S1'));
    }
    expect(rates.read().salesPerView).toBeCloseTo(240 / 4000, 3);
    expect(rates.read('dresses').salesPerView).toBeCloseTo((200 + 200 * 0.06) / 2200, 3);
    expect(rates.read('shoes').salesPerView).toBeCloseTo((40 + 200 * 0.06) / 2200, 3);
    expect(rates.read('dresses').unitsPerSale).toBeGreaterThan(rates.read('shoes').unitsPerSale);
    expect(rates.read('hats')).toEqual(rates.read());
  });

  it('forgets with its half-life in event time', () => {
    const rates = new ConversionRates(categoryOf, HOUR);
    for (let i = 0; i < 100; i++) rates.observe(view(i, 'D1'));
    rates.observe(sale(100, 'D1'));
    for (let i = 0; i < 100; i++) rates.observe(view(10 * HOUR + i, 'D1'));
    // The old views weigh 2^-10 now: about one sale per 100 views.
    expect(rates.read().salesPerView).toBeCloseTo(2 ** -10 / 100, 4);
  });
});

describe('formatting', () => {
  it('rounds to two significant digits from 100 up, with a minus sign below zero', () => {
    expect(formatUnits(87.4)).toBe('87');
    expect(formatUnits(1_234)).toBe('1,200');
    expect(formatUnits(36_123_456)).toBe('36,000,000');
    expect(formatUnits(-40)).toBe('\u221240');
    expect(formatDemand({ baseline: 0, extra: 1_834, low: -12, high: 2_490 }, '7 d', 0.8)).toBe('+1,800 units/7 d, 80% interval \u221212-2,500');
  });
});

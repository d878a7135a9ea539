import { describe, expect, it } from 'vitest';
import { formatDemand, formatUnits, projectDemand, ShopRates, type ProjectionInput } from '../../src/alerts/projection.js';
import type { TrendEvent } from '../../src/domain.js';

const DAY = 86_400_000;
const WINDOW = 5 * 60_000;

const input = (over: Partial<Omit<ProjectionInput, 'spike'>> & { spike?: Partial<ProjectionInput['spike']> } = {}): ProjectionInput => ({
  windowMs: WINDOW,
  shop: { salesPerView: 0.2, salesPerSearch: 0.25, unitsPerSale: 1.5 },
  persistenceMs: 2 * DAY,
  level: 0.8,
  ...over,
  spike: { dimension: 'sku', volume: 240, expected: 60, drivers: { search: 0, view: 200, sale: 40 }, ...over.spike },
});

describe('projection: extra units a spike implies', () => {
  it('follows the documented formulas', () => {
    const p = projectDemand(input());
    // 1. Sales per window: observed ln(40.5) with variance 1/40.5, leading ln(0.2 x 200) with 1/200 + 0.5^2.
    const wObserved = 40.5;
    const wLeading = 1 / (1 / 200 + 0.25);
    const sales = Math.exp((wObserved * Math.log(40.5) + wLeading * Math.log(40)) / (wObserved + wLeading));
    expect(p.basis).toMatchObject({ observedSales: 40, leadingSales: 40, leadingSignal: 'view', unitsPerSale: 1.5, excessShare: 0.75, windowMs: WINDOW });
    expect(p.basis.salesPerWindow).toBeCloseTo(sales, 3);
    // 2-3. Units now, the share above baseline, faded over the horizon with tau = 2 d.
    const unitsPerMs = (sales * 1.5) / WINDOW;
    expect(p.unitsPerDayNow).toBe(Math.round(unitsPerMs * DAY));
    expect(p.baselineUnitsPerDay).toBe(Math.round(unitsPerMs * 0.25 * DAY));
    const faded = (h: number) => 2 * DAY * (1 - Math.exp(-h / (2 * DAY)));
    expect(p.next24h.extra).toBe(Math.round(unitsPerMs * 0.75 * faded(DAY)));
    expect(p.next7d.extra).toBe(Math.round(unitsPerMs * 0.75 * faded(7 * DAY)));
    expect(p.next7d.baseline).toBe(Math.round(unitsPerMs * 0.25 * 7 * DAY));
    // 4. A log-normal interval around the median; the persistence weighs more on 7 days than on 24 h.
    for (const r of [p.next24h, p.next7d]) {
      expect(r.low).toBeLessThan(r.extra);
      expect(r.high).toBeGreaterThan(r.extra);
      expect(r.extra / r.low).toBeCloseTo(r.high / r.extra, 1);
    }
    expect(p.next7d.high / p.next7d.low).toBeGreaterThan(p.next24h.high / p.next24h.low);
    expect(p.summary).toBe(formatDemand(p.next7d, '7 d', 0.8));
  });

  it('leans on the leading signal when sales are few, on sales when they are many', () => {
    const early = projectDemand(input({ spike: { drivers: { search: 0, view: 400, sale: 2 }, volume: 402 } }));
    expect(early.basis.salesPerWindow).toBeGreaterThan(10); // observed 2, leading 80
    expect(early.basis.salesPerWindow).toBeLessThan(80);
    const settled = projectDemand(input({ spike: { drivers: { search: 0, view: 900, sale: 45 }, volume: 945 } }));
    expect(settled.basis.salesPerWindow).toBeLessThan(60); // observed 45 dominates leading 180
  });

  it('projects search-only keys from searches at the shop conversion', () => {
    const p = projectDemand(input({ spike: { dimension: 'query', volume: 100, expected: 20, drivers: { search: 100, view: 0, sale: 0 } } }));
    expect(p.basis.observedSales).toBeUndefined();
    expect(p.basis).toMatchObject({ leadingSignal: 'search', leadingSales: 25, salesPerWindow: 25, excessShare: 0.8 });
    expect(p.next7d.extra).toBeGreaterThan(0);
  });

  it('says so when there is nothing to project from, and projects no extra without excess', () => {
    const none = projectDemand(input({ shop: { unitsPerSale: 1 }, spike: { dimension: 'term', drivers: { search: 50, view: 0, sale: 0 }, volume: 50, expected: 10 } }));
    expect(none.summary).toMatch(/no demand projection/);
    expect(none.next7d).toEqual({ baseline: 0, extra: 0, low: 0, high: 0 });
    const flat = projectDemand(input({ spike: { volume: 60, expected: 60 } }));
    expect(flat.next7d.extra).toBe(0);
    expect(flat.next7d.baseline).toBeGreaterThan(0);
  });

  it('formats as planners read it: two significant digits from 100 up', () => {
    expect(formatDemand({ baseline: 0, extra: 1834, low: 1234, high: 2460 }, '7 d', 0.8)).toBe('+1,800 units/7 d, 80% interval 1,200-2,500');
    expect(formatUnits(37.4)).toBe('37');
    expect(formatUnits(123_456)).toBe('120,000');
  });
});

describe('shop rates', () => {
  const view = (ts: number): TrendEvent => ({ kind: 'view', id: `v${ts}`, ts, sku: 'A' });
  const sale = (ts: number, qty: number): TrendEvent => ({ kind: 'sale', id: `s${ts}`, ts, sku: 'A', qty });

  it('learns sale lines per view and units per line, and states nothing on thin evidence', () => {
    const rates = new ShopRates();
    for (let i = 0; i < 10; i++) rates.observe(view(i));
    expect(rates.read()).toEqual({ unitsPerSale: 1 });
    for (let i = 10; i < 100; i++) rates.observe(view(i));
    for (let i = 0; i < 20; i++) rates.observe(sale(100 + i, 2));
    expect(rates.read()).toEqual({ salesPerView: 0.2, unitsPerSale: 2 });
  });

  it('forgets with a half-life in event time', () => {
    const rates = new ShopRates(3_600_000);
    for (let i = 0; i < 100; i++) rates.observe(view(i));
    rates.observe(sale(100, 1));
    for (let i = 0; i < 100; i++) rates.observe(view(3_600_000 + i));
    // One sale an hour ago weighs half: 0.5 / (50 + 100).
    expect(rates.read().salesPerView).toBeCloseTo(0.5 / 150, 3);
  });
});

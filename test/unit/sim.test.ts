import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../src/domain.js';
import { generateCatalog } from '../../src/sim/catalog.js';
import { asTyped, queryPhrases } from '../../src/sim/queries.js';
import { hashSeed } from '../../src/hash.js';
import { Rng, WeightedSampler } from '../../src/sim/random.js';
import { createTraffic, type SimEvent, type SpikePlan, type TrafficOptions } from '../../src/sim/traffic.js';

const T0 = Date.UTC(2025, 2, 14, 9, 0, 0);
const catalog = generateCatalog(1);

function traffic(overrides: Partial<TrafficOptions> = {}) {
  return createTraffic({ seed: 1, catalog, ratePerSec: 500, ...overrides });
}

/** Everything wrong with `event` per the producer contract (empty when it is valid). */
function contractErrors(event: SimEvent, fromMs: number, toMs: number): string[] {
  const errors: string[] = [];
  const p = event.payload as unknown as Record<string, unknown>;
  const allowed: Record<string, readonly string[]> = {
    search: ['id', 'ts', 'query', 'region', 'user', 'session', 'label'],
    view: ['id', 'ts', 'sku', 'region', 'user', 'session', 'label'],
    sale: ['id', 'ts', 'sku', 'qty', 'price', 'currency', 'region', 'user', 'label'],
  };
  const isText = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0;
  if (event.subject !== `events.${event.kind}`) errors.push(`subject ${event.subject} for kind ${event.kind}`);
  for (const key of Object.keys(p)) {
    if (!allowed[event.kind]?.includes(key)) errors.push(`unexpected field ${key}`);
    if (p[key] === undefined) errors.push(`${key} is present but undefined`);
  }
  if (!isText(p.id)) errors.push('id');
  if (!Number.isInteger(p.ts) || (p.ts as number) < fromMs || (p.ts as number) >= toMs) errors.push(`ts ${String(p.ts)}`);
  for (const key of ['region', 'user', 'session', 'currency']) {
    if (key in p && !isText(p[key])) errors.push(key);
  }
  if ('label' in p && !/^spike:SKU-\d{4}$/.test(String(p.label))) errors.push(`label ${String(p.label)}`);
  switch (event.kind) {
    case 'search':
      if (!isText(p.query)) errors.push('query');
      break;
    case 'view':
      if (!isText(p.sku)) errors.push('sku');
      break;
    case 'sale':
      if (!isText(p.sku)) errors.push('sku');
      if (!Number.isInteger(p.qty) || (p.qty as number) < 1) errors.push(`qty ${String(p.qty)}`);
      if ('price' in p && !(typeof p.price === 'number' && p.price >= 0 && Number.isFinite(p.price))) errors.push('price');
      break;
  }
  return errors;
}

const withoutId = (e: SimEvent) => {
  const { id: _id, ...rest } = e.payload;
  return { subject: e.subject, ...rest };
};
const skuOf = (e: SimEvent) => (e.kind === 'search' ? undefined : e.payload.sku);

describe('random', () => {
  it('repeats a sequence for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('hashes parts without ambiguity', () => {
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed(1, 2)).toBe(hashSeed(1, 2));
  });

  it('draws from the documented distributions', () => {
    const rng = new Rng(7);
    const n = 40_000;
    const mean = (f: () => number) => Array.from({ length: n }, f).reduce((a, b) => a + b, 0) / n;
    expect(mean(() => rng.poisson(3))).toBeCloseTo(3, 1);
    expect(mean(() => rng.poisson(75))).toBeGreaterThan(74);
    expect(mean(() => rng.poisson(75))).toBeLessThan(76);
    expect(mean(() => rng.exponential(4))).toBeCloseTo(0.25, 2);
    expect(mean(() => rng.normal())).toBeCloseTo(0, 1);
    const ints = Array.from({ length: 1000 }, () => rng.int(2, 5));
    expect(new Set(ints)).toEqual(new Set([2, 3, 4, 5]));
    const sampler = new WeightedSampler(['a', 'b', 'c'], [1, 0, 3]);
    const picks = Array.from({ length: n }, () => sampler.sample(rng));
    expect(picks.filter((x) => x === 'b')).toHaveLength(0);
    expect(picks.filter((x) => x === 'c').length / n).toBeCloseTo(0.75, 1);
    expect(sampler.share(2)).toBe(0.75);
  });
});

describe('generateCatalog', () => {
  it('is deterministic per seed', () => {
    expect(generateCatalog(5)).toEqual(generateCatalog(5));
    expect(generateCatalog(5)).not.toEqual(generateCatalog(6));
  });

  it('makes plausible apparel items', () => {
    const items = generateCatalog(3, 200);
    expect(items).toHaveLength(200);
    expect(items[0]?.sku).toBe('SKU-0001');
    expect(items[199]?.sku).toBe('SKU-0200');
    expect(new Set(items.map((i) => i.title)).size).toBe(200);
    expect(new Set(items.map((i) => i.category)).size).toBeGreaterThanOrEqual(7);
    for (const item of items) {
      expect(item.title).toMatch(/^[A-Z][\w-]*( [A-Z][\w-]*){2,3}$/);
      expect(item.brand).toBeTruthy();
      expect(item.price).toBeGreaterThan(0);
      expect(Math.round((item.price ?? 0) * 100) % 100).toBe(99);
      expect(Object.keys(item.attributes ?? {}).sort()).toEqual(['color', 'material', 'style']);
      expect(item.title.toLowerCase()).toContain(item.attributes?.material);
    }
  });
});

describe('queries', () => {
  const dress: CatalogItem = {
    sku: 'SKU-0001',
    title: 'Linen Midi Dress',
    category: 'dresses',
    brand: 'Northfold',
    attributes: { color: 'black', material: 'linen', style: 'midi' },
  };

  it('builds phrases from the title and attributes', () => {
    const rng = new Rng(1);
    const phrases = queryPhrases(dress);
    const seen = new Set(Array.from({ length: 2000 }, () => phrases.sample(rng)));
    expect(seen).toEqual(
      new Set(['linen midi dress', 'linen dress', 'black dress', 'midi dress', 'black linen midi dress', 'northfold dress', 'dress']),
    );
  });

  it('types them sloppily, now and then', () => {
    const rng = new Rng(2);
    const typed = Array.from({ length: 5000 }, () => asTyped('black linen dress', rng));
    const verbatim = typed.filter((q) => q === 'black linen dress').length / typed.length;
    expect(verbatim).toBeGreaterThan(0.75);
    expect(verbatim).toBeLessThan(0.95);
    expect(typed).toContain('Black Linen Dress');
    expect(typed).toContain('BLACK LINEN DRESS');
    expect(typed.some((q) => q.includes('  ') || q.endsWith(' '))).toBe(true);
    expect(typed.some((q) => /^black l\w+ dress$/.test(q) && q !== 'black linen dress')).toBe(true);
    expect(typed.every((q) => q.trim().length > 0)).toBe(true);
  });
});

describe('createTraffic', () => {
  it('gives the same events for the same seed and different ones for another', () => {
    const a = traffic().eventsBetween(T0, T0 + 10_000);
    expect(a.length).toBeGreaterThan(4000);
    expect(traffic().eventsBetween(T0, T0 + 10_000)).toEqual(a);
    const b = traffic({ seed: 2 }).eventsBetween(T0, T0 + 10_000);
    expect(b.map(withoutId)).not.toEqual(a.map(withoutId));
    const ids = new Set(a.map((e) => e.payload.id));
    expect(b.some((e) => ids.has(e.payload.id))).toBe(false);
  });

  it('gives the same events however the time range is sliced', () => {
    const whole = traffic().eventsBetween(T0 + 250, T0 + 5250);
    const sliced: SimEvent[] = [];
    const slicer = traffic();
    for (let t = T0 + 250; t < T0 + 5250; t += 100) sliced.push(...slicer.eventsBetween(t, t + 100));
    expect(sliced).toEqual(whole);
    expect(traffic().eventsBetween(T0, T0)).toEqual([]);
  });

  it('emits only events valid per the contract, in time order, with unique ids', () => {
    const spikes: SpikePlan[] = [{ sku: 'SKU-0007', startMs: T0 + 20_000, durationMs: 30_000, factor: 8, rampMs: 5000 }];
    const from = T0 + 123;
    const to = T0 + 60_123;
    const events = traffic({ ratePerSec: 800, spikes }).eventsBetween(from, to);
    const invalid = events.flatMap((e) => contractErrors(e, from, to).map((err) => `${err}: ${JSON.stringify(e.payload)}`));
    expect(invalid).toEqual([]);
    expect(events.every((e, i) => i === 0 || (events[i - 1]?.payload.ts ?? 0) <= e.payload.ts)).toBe(true);
    expect(new Set(events.map((e) => e.payload.id)).size).toBe(events.length);
    const skus = new Set(catalog.map((i) => i.sku));
    expect(events.every((e) => e.kind === 'search' || skus.has(e.payload.sku))).toBe(true);
    const sales = events.filter((e) => e.kind === 'sale');
    expect(sales.every((e) => e.payload.currency === 'EUR' && e.payload.price === catalog.find((i) => i.sku === e.payload.sku)?.price)).toBe(true);
    expect(sales.filter((e) => e.payload.qty <= 3).length / sales.length).toBeGreaterThan(0.95);
    expect(new Set(events.map((e) => e.payload.region))).toEqual(new Set(['eu-west', 'eu-north', 'us-east', 'apac']));
  });

  it('never reuses ids across settings that share a seed', () => {
    const a = traffic().eventsBetween(T0, T0 + 2000);
    const b = traffic({ ratePerSec: 501 }).eventsBetween(T0, T0 + 2000);
    const ids = new Set(a.map((e) => e.payload.id));
    expect(b.some((e) => ids.has(e.payload.id))).toBe(false);
  });

  it('mixes kinds as configured', () => {
    const share = (events: SimEvent[], kind: SimEvent['kind']) => events.filter((e) => e.kind === kind).length / events.length;
    const events = traffic({ ratePerSec: 1000 }).eventsBetween(T0, T0 + 60_000);
    expect(events.length).toBeGreaterThan(58_000);
    expect(events.length).toBeLessThan(62_000);
    expect(share(events, 'view')).toBeCloseTo(0.5, 1);
    expect(share(events, 'search')).toBeCloseTo(0.4, 1);
    expect(share(events, 'sale')).toBeCloseTo(0.1, 1);
    const salesHeavy = traffic({ mix: { view: 1, search: 0, sale: 1 } }).eventsBetween(T0, T0 + 20_000);
    expect(share(salesHeavy, 'search')).toBe(0);
    expect(share(salesHeavy, 'sale')).toBeCloseTo(0.5, 1);
  });

  it('spreads traffic over items by Zipf-like popularity', () => {
    const counts = new Map<string, number>();
    for (const e of traffic({ ratePerSec: 1000 }).eventsBetween(T0, T0 + 60_000)) {
      const sku = skuOf(e);
      if (sku) counts.set(sku, (counts.get(sku) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((x, y) => y - x);
    const total = sorted.reduce((a, b) => a + b, 0);
    expect(counts.size).toBe(catalog.length);
    expect((sorted[0] ?? 0) / total).toBeGreaterThan(0.04);
    expect((sorted[0] ?? 0) / total).toBeLessThan(0.25);
    expect((sorted[0] ?? 0) / (sorted[sorted.length - 1] ?? 1)).toBeGreaterThan(5);
  });

  describe('a surge', () => {
    const sku = 'SKU-0009';
    const item = catalog.find((i) => i.sku === sku) as CatalogItem;
    const spike: SpikePlan = { sku, startMs: T0 + 60_000, durationMs: 60_000, factor: 5 };
    const events = traffic({ ratePerSec: 2000, spikes: [spike] }).eventsBetween(T0, T0 + 180_000);
    const itemEvents = (from: number, to: number) =>
      events.filter((e) => skuOf(e) === sku && e.payload.ts >= from && e.payload.ts < to);

    it('multiplies the item views and sales by about the factor, during its interval only', () => {
      const before = itemEvents(T0, T0 + 60_000).length;
      const during = itemEvents(T0 + 60_000, T0 + 120_000).length;
      const after = itemEvents(T0 + 120_000, T0 + 180_000).length;
      expect(before).toBeGreaterThan(300);
      expect(during / before).toBeGreaterThan(4.3);
      expect(during / before).toBeLessThan(5.7);
      expect(after / before).toBeGreaterThan(0.8);
      expect(after / before).toBeLessThan(1.2);
    });

    it('labels exactly the added events, about (factor - 1) times the baseline', () => {
      const labelled = events.filter((e) => e.payload.label !== undefined);
      expect(labelled.every((e) => e.payload.label === `spike:${sku}`)).toBe(true);
      expect(labelled.every((e) => e.payload.ts >= spike.startMs && e.payload.ts < spike.startMs + spike.durationMs)).toBe(true);
      expect(labelled.every((e) => e.kind === 'search' || e.payload.sku === sku)).toBe(true);
      const baseline = itemEvents(T0 + 60_000, T0 + 120_000).filter((e) => e.payload.label === undefined).length;
      const added = labelled.filter((e) => e.kind !== 'search').length;
      expect(added / baseline).toBeGreaterThan(3.4);
      expect(added / baseline).toBeLessThan(4.6);
    });

    it('adds searches for the item title words', () => {
      const words = new Set([...item.title.toLowerCase().split(' '), ...Object.values(item.attributes ?? {}), item.brand?.toLowerCase()]);
      const searches = events.filter((e) => e.kind === 'search' && e.payload.label !== undefined);
      expect(searches.length).toBeGreaterThan(500);
      const onTopic = searches.filter(
        (e) => e.kind === 'search' && e.payload.query.toLowerCase().split(/\s+/).some((w) => words.has(w)),
      );
      expect(onTopic.length / searches.length).toBeGreaterThan(0.98);
    });

    it('comes from many distinct shoppers, not a bot', () => {
      const users = events.filter((e) => e.payload.label !== undefined).flatMap((e) => e.payload.user ?? []);
      expect(new Set(users).size / users.length).toBeGreaterThan(0.8);
    });

    it('leaves the baseline untouched', () => {
      const [from, to] = [spike.startMs - 5000, spike.startMs + 5000];
      const plain = traffic({ ratePerSec: 2000 }).eventsBetween(from, to);
      const unlabelled = events.filter((e) => e.payload.label === undefined && e.payload.ts >= from && e.payload.ts < to);
      expect(unlabelled.map(withoutId)).toEqual(plain.map(withoutId));
    });

    it('is reported while active', () => {
      const t = traffic({ spikes: [spike] });
      expect(t.activeSpikes(spike.startMs - 1)).toEqual([]);
      expect(t.activeSpikes(spike.startMs)).toEqual([spike]);
      expect(t.activeSpikes(spike.startMs + spike.durationMs)).toEqual([]);
    });
  });

  it('ramps a surge up over rampMs', () => {
    const spike: SpikePlan = { sku: 'SKU-0009', startMs: T0, durationMs: 120_000, factor: 11, rampMs: 60_000 };
    const labelled = traffic({ ratePerSec: 2000, spikes: [spike] })
      .eventsBetween(T0, T0 + 120_000)
      .filter((e) => e.payload.label !== undefined);
    const inQuarter = (q: number) => labelled.filter((e) => Math.floor((e.payload.ts - T0) / 30_000) === q).length;
    // Linear ramp: the first two quarters carry 1/4 and 3/4 of a full quarter's extra events.
    expect(inQuarter(0) / inQuarter(3)).toBeGreaterThan(0.18);
    expect(inQuarter(0) / inQuarter(3)).toBeLessThan(0.32);
    expect(inQuarter(1) / inQuarter(3)).toBeGreaterThan(0.65);
    expect(inQuarter(1) / inQuarter(3)).toBeLessThan(0.85);
    expect(inQuarter(2) / inQuarter(3)).toBeGreaterThan(0.85);
    expect(inQuarter(2) / inQuarter(3)).toBeLessThan(1.15);
  });

  it('follows the day when a diurnal rhythm is asked for', () => {
    const t = traffic({ ratePerSec: 200, diurnal: { amplitude: 0.8, peakHourUtc: 20 } });
    const day = Date.UTC(2025, 2, 14);
    const peak = t.eventsBetween(day + 20 * 3_600_000, day + 20 * 3_600_000 + 60_000).length;
    const trough = t.eventsBetween(day + 8 * 3_600_000, day + 8 * 3_600_000 + 60_000).length;
    expect(peak / 60).toBeCloseTo(360, -2);
    expect(trough / 60).toBeCloseTo(40, -1);
  });

  it('rejects plans it cannot honour', () => {
    const spike = (s: Partial<SpikePlan>): SpikePlan[] => [{ sku: 'SKU-0001', startMs: T0, durationMs: 1000, factor: 3, ...s }];
    expect(() => traffic({ spikes: spike({ sku: 'SKU-9999' }) })).toThrow(/SKU-9999/);
    expect(() => traffic({ spikes: spike({ factor: 0.5 }) })).toThrow(RangeError);
    expect(() => traffic({ spikes: spike({ durationMs: 0 }) })).toThrow(RangeError);
    expect(() => traffic({ catalog: [] })).toThrow(/empty/);
    expect(() => traffic({ ratePerSec: -1 })).toThrow(RangeError);
    expect(() => traffic({ seed: 1.5 })).toThrow(RangeError);
  });
});

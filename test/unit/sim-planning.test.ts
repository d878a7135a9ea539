/**
 * The simulator's additions for planners: surge shapes, catalogs with
 * variants (and the catalog that reads products from them), surges on a
 * product, and searches for what the catalog lacks.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { SearchLinker } from '../../src/detect/linking.js';
import { createTraffic, drawSurgeShape, generateCatalog, SURGE_SHAPE_KINDS, unmetIdeas, withVariants } from '../../src/sim/index.js';
import { Rng } from '../../src/sim/random.js';
import { excessShare, surgeMultiplier, surgeSpanMs } from '../../src/sim/shapes.js';
import { observe } from '../../src/windows/keys.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 14, 9);

describe('surge shapes', () => {
  it('rise, hold, then fall towards where they settle, searches first and sales last', () => {
    const rng = new Rng(1);
    for (const kind of SURGE_SHAPE_KINDS) {
      const shape = drawSurgeShape(kind, rng);
      expect(excessShare(shape, 0)).toBe(0);
      expect(excessShare(shape, shape.riseMs / 2)).toBeCloseTo(0.5, 6);
      expect(excessShare(shape, shape.riseMs + shape.plateauMs)).toBe(1);
      const late = excessShare(shape, shape.riseMs + shape.plateauMs + 30 * shape.decayHalfLifeMs);
      expect(late).toBeCloseTo(shape.settle, 6);
      // Sales follow the searches: at the searches' mid-rise they are still lower.
      expect(surgeMultiplier(shape, 'sale', shape.riseMs / 2)).toBeLessThan(surgeMultiplier(shape, 'search', shape.riseMs / 2));
      expect(shape.saleLagMs).toBeGreaterThanOrEqual(shape.viewLagMs);
      // Events are worth generating until the excess is within 1% of where it settles: for ever if it stays.
      expect(Number.isFinite(surgeSpanMs(shape))).toBe(shape.settle === 0);
    }
  });

  it('are drawn at a shop pace or faster for a demo', () => {
    const slow = drawSurgeShape('fad', new Rng(2));
    const fast = drawSurgeShape('fad', new Rng(2), 1 / 60);
    expect(fast.riseMs).toBeCloseTo(slow.riseMs / 60, 6);
    expect(slow.riseMs).toBeGreaterThanOrEqual(0.5 * HOUR);
  });
});

describe('catalog with variants', () => {
  const plain = generateCatalog(1);
  const catalog = withVariants(plain, 1);

  it('turns some products into colour and size variants, and leaves the rest', () => {
    const variants = catalog.filter((i) => i.parent !== undefined);
    expect(variants.length).toBeGreaterThan(10);
    for (const v of variants) {
      const product = plain.find((p) => p.sku === v.parent)!;
      expect(v.title).toBe(product.title);
      expect(v.sku).toBe(`${product.sku}-${v.attributes!.color!.toUpperCase()}-${v.attributes!.size}`);
    }
    expect(withVariants(plain, 1)).toEqual(catalog);
    const parents = new Set(variants.map((v) => v.parent));
    expect(catalog.filter((i) => parents.has(i.sku))).toEqual([]);
  });

  it('is read by the catalog as products known by their variants, counted for them too', () => {
    const store = new Catalog();
    for (const item of catalog) store.upsert(item);
    const variant = catalog.find((i) => i.parent !== undefined)!;
    const product = store.lookup(variant.parent!)!;
    expect(product).toMatchObject({ sku: variant.parent, title: variant.title, category: variant.category });
    expect(product.attributes!.size).toBeUndefined();
    expect(store.variantsOf(variant.parent!).map((v) => v.sku)).toContain(variant.sku);
    const keys = observe({ kind: 'sale', id: 's', ts: T0, sku: variant.sku, qty: 2, price: 10 }, store.lookup).map((o) => `${o.dimension}:${o.key}`);
    expect(keys).toEqual(expect.arrayContaining([`sku:${variant.sku}`, `sku:${variant.parent}`, `category:${variant.category}`, `attribute:size=${variant.attributes!.size}`]));
  });

  it("surges a product's variants when a plan names the product", () => {
    const product = catalog.find((i) => i.parent !== undefined)!.parent!;
    const traffic = createTraffic({ seed: 1, catalog, ratePerSec: 50, spikes: [{ sku: product, factor: 20, startMs: T0, durationMs: HOUR }] });
    const labelled = traffic.eventsBetween(T0, T0 + 10 * 60_000).filter((e) => e.payload.label === `spike:${product}`);
    const skus = new Set(labelled.flatMap((e) => (e.kind === 'search' ? [] : [e.payload.sku])));
    expect(skus.size).toBeGreaterThan(3);
    for (const sku of skus) expect(sku.startsWith(`${product}-`)).toBe(true);
  });
});

describe('searches for what the catalog lacks', () => {
  const catalog = withVariants(generateCatalog(4), 4);
  const linker = new SearchLinker(catalog);

  it('are about words or combinations no item has', () => {
    const ideas = unmetIdeas(catalog, new Rng(4));
    expect(ideas.length).toBeGreaterThan(8);
    for (const idea of ideas) expect(linker.coverage(idea.phrase).missing.length, idea.phrase).toBeGreaterThan(0);
  });

  it('come as labelled searches, with a trickle before they take off when asked', () => {
    const [idea] = unmetIdeas(catalog, new Rng(4));
    const traffic = createTraffic({
      seed: 4,
      catalog,
      ratePerSec: 20,
      unmet: [{ ...idea!, startMs: T0 + HOUR, durationMs: HOUR, peakPerSec: 2, backgroundPerSec: 0.1 }],
    });
    const before = traffic.eventsBetween(T0, T0 + HOUR).filter((e) => e.payload.label === `unmet:${idea!.phrase}`);
    const during = traffic.eventsBetween(T0 + HOUR, T0 + 2 * HOUR).filter((e) => e.payload.label === `unmet:${idea!.phrase}`);
    expect(before.length).toBeGreaterThan(200);
    expect(before.length).toBeLessThan(500);
    expect(during.length).toBeGreaterThan(6_000);
    expect(during.every((e) => e.kind === 'search')).toBe(true);
    expect(traffic.activeUnmet(T0 + 90 * 60_000).map((u) => u.phrase)).toEqual([idea!.phrase]);
  });
});

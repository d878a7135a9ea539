/**
 * The projection's evaluation world: items in categories, each with its
 * own funnel (searches and sales per view, units per sale), daily rhythm
 * and noise, and surges drawn from the simulator's shape families
 * (src/sim/shapes.ts) in proportions that differ by category (one
 * category's surges are mostly fads, another's slow builders). Counts are
 * drawn per signal and detector window, so searches lead views and views
 * lead sales as the shapes' funnel lags say. A pure function of the seed.
 */
import { hashSeed } from '../../../hash.js';
import { gamma, poisson } from '../sampling.js';
import { Rng } from '../../../sim/random.js';
import { drawSurgeShape, surgeMultiplier, SURGE_SHAPE_KINDS, type SurgeShape, type SurgeShapeKind } from '../../../sim/shapes.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Series start on a Monday, 00:00 UTC. */
const WORLD_START_MS = Date.UTC(2025, 0, 6);
/** History before a surge's searches begin: room for the detector's warm-up and a baseline with a daily profile. */
const HISTORY_DAYS = 4;
/** After the onset: the longest horizon (7 d) after an alert that may come a day or more in. */
const AFTER_DAYS = 10;
/** How far an item's funnel sits from its category's (log-normal spread). */
const ITEM_SPREAD = 0.3;

export interface Category {
  readonly name: string;
  /** How likely each shape family is for a surge in this category. */
  readonly mix: Readonly<Record<SurgeShapeKind, number>>;
  readonly searchesPerView: number;
  readonly salesPerView: number;
  /** Sales buy 1 + Poisson(extraUnits) units. */
  readonly extraUnits: number;
}

export interface Counts {
  readonly search: number;
  readonly view: number;
  readonly sale: number;
  readonly units: number;
}

/** One item's window counts around one surge, with what it would have sold without it. */
export interface SurgeSeries {
  readonly category: Category;
  readonly key: string;
  readonly shape: SurgeShape;
  readonly stepMs: number;
  readonly startMs: number;
  /** When the surge's searches begin. */
  readonly onsetMs: number;
  readonly counts: readonly Counts[];
  /** Expected units per window without the surge (the counterfactual). */
  readonly baselineUnits: readonly number[];
}

/** The world's categories: their funnels and surge mixes. */
export function drawCategories(seed: number, count: number): Category[] {
  const rng = new Rng(hashSeed(seed, 'categories'));
  return Array.from({ length: count }, (_, i) => {
    // Every family can happen anywhere; one or two dominate a category.
    const weights = SURGE_SHAPE_KINDS.map(() => rng.uniform(0.2, 1));
    weights[rng.int(0, weights.length - 1)]! *= 4;
    const total = weights.reduce((a, b) => a + b, 0);
    return {
      name: `category-${i + 1}`,
      mix: Object.fromEntries(SURGE_SHAPE_KINDS.map((kind, k) => [kind, weights[k]! / total])) as Record<SurgeShapeKind, number>,
      searchesPerView: rng.uniform(0.3, 1),
      salesPerView: rng.uniform(0.02, 0.1),
      extraUnits: rng.uniform(0.1, 0.8),
    };
  });
}

function drawKind(category: Category, rng: Rng): SurgeShapeKind {
  let u = rng.next();
  for (const kind of SURGE_SHAPE_KINDS) {
    u -= category.mix[kind];
    if (u < 0) return kind;
  }
  return SURGE_SHAPE_KINDS[SURGE_SHAPE_KINDS.length - 1]!;
}

/**
 * One item with one surge of `kind` (drawn from its category's mix when
 * undefined): views 5 to 300 per window on average, a daily cycle, mild
 * over-dispersion, HISTORY_DAYS before the onset and AFTER_DAYS after.
 */
export function drawSurgeSeries(seed: number, category: Category, stepMs: number, kind?: SurgeShapeKind): SurgeSeries {
  const rng = new Rng(seed);
  const shape = drawSurgeShape(kind ?? drawKind(category, rng), rng);
  const views = Math.exp(rng.uniform(Math.log(5), Math.log(300)));
  // Items convert around their category's figures, not at them.
  const searchesPerView = category.searchesPerView * Math.exp(ITEM_SPREAD * rng.normal());
  const salesPerView = category.salesPerView * Math.exp(ITEM_SPREAD * rng.normal());
  const diurnal = rng.uniform(0.3, 0.7);
  const peakHour = rng.uniform(12, 22);
  const phi = Math.exp(rng.uniform(Math.log(0.005), Math.log(0.05)));
  const onsetMs = WORLD_START_MS + HISTORY_DAYS * DAY + Math.round(rng.uniform(0, 1) * DAY / stepMs) * stepMs;
  const steps = Math.round((HISTORY_DAYS + 1 + AFTER_DAYS) * DAY / stepMs);
  const counts: Counts[] = [];
  const baselineUnits: number[] = [];
  for (let i = 0; i < steps; i++) {
    const mid = WORLD_START_MS + (i + 0.5) * stepMs;
    const daily = 1 + diurnal * Math.cos((2 * Math.PI * ((mid % DAY) / HOUR - peakHour)) / 24);
    const noise = gamma(rng, 1 / phi) * phi;
    const age = mid - onsetMs;
    const rate = (perView: number, signal: 'search' | 'view' | 'sale') => views * perView * daily * noise * surgeMultiplier(shape, signal, age);
    const sale = poisson(rng, rate(salesPerView, 'sale'));
    counts.push({
      search: poisson(rng, rate(searchesPerView, 'search')),
      view: poisson(rng, rate(1, 'view')),
      sale,
      units: sale + poisson(rng, sale * category.extraUnits),
    });
    baselineUnits.push(views * salesPerView * daily * (1 + category.extraUnits));
  }
  return { category, key: `item-${seed.toString(36)}`, shape, stepMs, startMs: WORLD_START_MS, onsetMs, counts, baselineUnits };
}

export const totalEvents = (c: Counts) => c.search + c.view + c.sale;

/**
 * Labelled synthetic shopper traffic: the searches, product views and sales
 * of a shop, with surges ("spikes") injected on chosen items so the detector
 * has known answers to find.
 *
 * The generator is pure. Time is cut into whole simulated seconds and each
 * second's events are drawn from a generator seeded by (seed, second), so the
 * events in any time range are the same however the range is asked for: one
 * call for an hour, or 36 000 calls of 100 ms. Spikes draw from streams of
 * their own, so adding one adds labelled events and leaves the baseline as is.
 *
 * The model: baseline arrivals are a Poisson process at `ratePerSec`
 * (optionally modulated over the day); each arrival is a view, search or sale
 * (default 50/40/10) of an item drawn by Zipf-like popularity with per-item
 * noise, by a shopper drawn from a pool, each shopper with a home region. A
 * spike on an item adds a second Poisson process at `factor - 1` times that
 * item's baseline rate (ramping up over `rampMs`): its views, sales and
 * searches for its title words, by shoppers drawn from the whole pool.
 */
import type { CatalogItem, EventKind } from '../domain.js';
import { asTyped, queryPhrases } from './queries.js';
import { hashSeed } from '../hash.js';
import { Rng, WeightedSampler } from './random.js';
import { surgeMultiplier, type SurgeShape } from './shapes.js';

interface PayloadBase {
  /** Unique per event: `sim-<seed>-<config hash>-<epoch second>-<n>`. */
  readonly id: string;
  /** Event time, epoch milliseconds (integer). */
  readonly ts: number;
  readonly region?: string;
  readonly user?: string;
  /** `spike:<sku>` on events added by a surge, `unmet:<phrase>` on searches for what the catalog lacks; absent on baseline traffic. */
  readonly label?: string;
}

/** JSON published on `events.search`. */
export interface SearchPayload extends PayloadBase {
  readonly query: string;
  readonly session?: string;
}

/** JSON published on `events.view`. */
export interface ViewPayload extends PayloadBase {
  readonly sku: string;
  readonly session?: string;
}

/** JSON published on `events.sale`. */
export interface SalePayload extends PayloadBase {
  readonly sku: string;
  readonly qty: number;
  readonly price?: number;
  readonly currency?: string;
}

/** One message to publish: its kind, subject and JSON payload. */
export type SimEvent =
  | { readonly kind: 'search'; readonly subject: 'events.search'; readonly payload: SearchPayload }
  | { readonly kind: 'view'; readonly subject: 'events.view'; readonly payload: ViewPayload }
  | { readonly kind: 'sale'; readonly subject: 'events.sale'; readonly payload: SalePayload };

/** A surge of interest in one item. */
export interface SpikePlan {
  /** The item, or a product whose variants all surge. */
  readonly sku: string;
  /** Start, epoch ms (integer). */
  readonly startMs: number;
  /** Length in ms (integer, > 0); the surge stops abruptly at `startMs + durationMs`. */
  readonly durationMs: number;
  /** The item's event rate is multiplied by this (>= 1) once ramped up. */
  readonly factor: number;
  /** The multiplier grows linearly from 1 to `factor` over this many ms. Default 0. */
  readonly rampMs?: number;
  /**
   * A surge's life (src/sim/shapes.ts): when given, it replaces `factor`
   * and `rampMs` (searches follow the shape, views and sales follow them
   * with the shape's funnel lags), and `durationMs` only bounds how long
   * events are generated.
   */
  readonly shape?: SurgeShape;
}

/**
 * Searches for something the catalog does not have (a material, colour,
 * cut or combination no item carries): unmet demand. Only searches; labelled
 * `unmet:<phrase>`.
 */
export interface UnmetPlan {
  /** What shoppers want, e.g. `crochet bag`. */
  readonly phrase: string;
  /** The queries they type for it, with weights; default the phrase alone. */
  readonly queries?: readonly (readonly [query: string, weight: number])[];
  /** Start, epoch ms (integer). */
  readonly startMs: number;
  /** Length in ms (integer, > 0). */
  readonly durationMs: number;
  /** Searches per second once ramped up. */
  readonly peakPerSec: number;
  /** The rate grows linearly from 0 over this many ms. Default 0. */
  readonly rampMs?: number;
  /**
   * Searches per second for it at all times, before and after the surge:
   * what a few shoppers always ask for. Default 0 (nobody searched for it
   * before it took off).
   */
  readonly backgroundPerSec?: number;
}

/** Day/night modulation: rate × (1 + amplitude · cos(2π (hour − peakHourUtc) / 24)). */
export interface DiurnalOptions {
  /** 0 (flat) to 1 (no traffic at the trough). */
  readonly amplitude: number;
  /** Busiest hour of the day, UTC. Default 20. */
  readonly peakHourUtc?: number;
}

export interface TrafficOptions {
  /** Integer seed: the same seed and options give the same events. */
  readonly seed: number;
  /** The items shoppers look at; must not be empty. */
  readonly catalog: readonly CatalogItem[];
  /** Baseline events per second, all kinds together; spikes come on top. */
  readonly ratePerSec: number;
  readonly spikes?: readonly SpikePlan[];
  readonly unmet?: readonly UnmetPlan[];
  /** Region name -> relative weight of shoppers living there. Default {@link DEFAULT_REGIONS}. */
  readonly regions?: Readonly<Record<string, number>>;
  /** Relative frequency of each kind. Default {@link DEFAULT_MIX}. */
  readonly mix?: Readonly<Record<EventKind, number>>;
  /** How many distinct shoppers there are. Default 20 000. */
  readonly shoppers?: number;
  /** Day/night rhythm of the baseline. Default: none, a flat rate. */
  readonly diurnal?: DiurnalOptions;
}

/** A configured traffic source. */
export interface Traffic {
  /** Every event with `fromMs <= ts < toMs`, ordered by `ts`. */
  eventsBetween(fromMs: number, toMs: number): SimEvent[];
  /** The planned spikes running at time `ts`. */
  activeSpikes(ts: number): SpikePlan[];
  /** The planned unmet-demand searches running at time `ts`. */
  activeUnmet(ts: number): UnmetPlan[];
}

export const DEFAULT_REGIONS: Readonly<Record<string, number>> = {
  'eu-west': 35,
  'eu-north': 15,
  'us-east': 30,
  apac: 20,
};

export const DEFAULT_MIX: Readonly<Record<EventKind, number>> = { view: 0.5, search: 0.4, sale: 0.1 };

const SECOND_MS = 1000;
/** The kinds in the order of the mix sampler's items. */
const KINDS: readonly EventKind[] = ['search', 'view', 'sale'];
/** Shoppers' sessions roll over every 30 minutes (staggered per shopper). */
const SESSION_MS = 30 * 60_000;
/**
 * Item popularity is Zipf-Mandelbrot, 1 / (rank + 2.7), so the best seller
 * takes about a tenth of a 60-item catalog's traffic rather than a quarter,
 * times log-normal noise of this spread.
 */
const POPULARITY_OFFSET = 2.7;
const POPULARITY_NOISE = 0.35;
/** Share of searches and views made while signed in (sales always are). */
const SIGNED_IN = 0.6;
/** Sales buy `1 + Poisson(0.35)` units: 70% one, 25% two, a few three or more. */
const EXTRA_UNITS_MEAN = 0.35;

/**
 * Builds a traffic source. Throws a RangeError on invalid options, e.g. a
 * spike on a SKU that is not in the catalog.
 */
export function createTraffic(options: TrafficOptions): Traffic {
  const model = buildModel(options);
  let cached: { second: number; events: SimEvent[] } | undefined;
  const second = (index: number): SimEvent[] => {
    if (cached?.second !== index) cached = { second: index, events: generateSecond(model, index) };
    return cached.events;
  };
  return {
    eventsBetween(fromMs, toMs) {
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('eventsBetween() needs finite times');
      const out: SimEvent[] = [];
      for (let index = Math.floor(fromMs / SECOND_MS); index * SECOND_MS < toMs; index++) {
        for (const event of second(index)) {
          if (event.payload.ts >= fromMs && event.payload.ts < toMs) out.push(event);
        }
      }
      return out;
    },
    activeSpikes(ts) {
      return options.spikes?.filter((s) => ts >= s.startMs && ts < s.startMs + s.durationMs) ?? [];
    },
    activeUnmet(ts) {
      return options.unmet?.filter((u) => ts >= u.startMs && ts < u.startMs + u.durationMs) ?? [];
    },
  };
}

interface Spike {
  readonly plan: SpikePlan;
  readonly item: number;
  readonly label: string;
}

interface Unmet {
  readonly plan: UnmetPlan;
  readonly queries: WeightedSampler<string>;
  readonly label: string;
}

interface Model {
  readonly seed: number;
  readonly idPrefix: string;
  readonly catalog: readonly CatalogItem[];
  readonly ratePerSec: number;
  readonly spikes: readonly Spike[];
  readonly unmet: readonly Unmet[];
  readonly mix: WeightedSampler<EventKind>;
  readonly popularity: WeightedSampler<number>;
  readonly phrases: readonly WeightedSampler<string>[];
  readonly shopperRegions: readonly string[];
  /** Rate multiplier at time t, and its maximum (for thinning). */
  readonly rhythm: (t: number) => number;
  readonly peakRhythm: number;
}

function buildModel(options: TrafficOptions): Model {
  const { seed, catalog, ratePerSec } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (catalog.length === 0) throw new RangeError('the catalog is empty');
  if (!(ratePerSec >= 0 && Number.isFinite(ratePerSec))) throw new RangeError(`invalid ratePerSec ${ratePerSec}`);
  const shoppers = options.shoppers ?? 20_000;
  if (!Number.isSafeInteger(shoppers) || shoppers < 1) throw new RangeError(`invalid shoppers ${shoppers}`);

  const mixWeights = options.mix ?? DEFAULT_MIX;
  const mix = new WeightedSampler(
    KINDS,
    KINDS.map((k) => mixWeights[k]),
  );

  const regionWeights = Object.entries(options.regions ?? DEFAULT_REGIONS);
  if (regionWeights.length === 0) throw new RangeError('no regions given');
  const regions = new WeightedSampler(
    regionWeights.map(([name]) => name),
    regionWeights.map(([, weight]) => weight),
  );
  const shopperRng = new Rng(hashSeed(seed, 'shoppers'));
  const shopperRegions = Array.from({ length: shoppers }, () => regions.sample(shopperRng));

  const popularityRng = new Rng(hashSeed(seed, 'popularity'));
  const ranks = popularityRng.shuffle(catalog.map((_, i) => i + 1));
  const popularity = new WeightedSampler(
    catalog.map((_, i) => i),
    ranks.map((rank) => Math.exp(POPULARITY_NOISE * popularityRng.normal()) / (rank + POPULARITY_OFFSET)),
  );

  const itemIndex = new Map(catalog.map((item, i) => [item.sku, i]));
  // A surge on a product (a parent of variants) surges each variant, in proportion to its own popularity.
  const variants = new Map<string, number[]>();
  catalog.forEach((item, i) => {
    if (item.parent !== undefined) variants.set(item.parent, [...(variants.get(item.parent) ?? []), i]);
  });
  const spikes = (options.spikes ?? []).flatMap((plan): Spike[] => {
    const items = itemIndex.has(plan.sku) ? [itemIndex.get(plan.sku)!] : (variants.get(plan.sku) ?? []);
    if (items.length === 0) throw new RangeError(`spike on ${plan.sku}, which is not in the catalog (nor a product with variants in it)`);
    if (!Number.isSafeInteger(plan.startMs) || !Number.isSafeInteger(plan.durationMs) || plan.durationMs <= 0) {
      throw new RangeError(`spike on ${plan.sku}: startMs and durationMs must be integers, durationMs > 0`);
    }
    if (!(plan.factor >= 1 && Number.isFinite(plan.factor))) throw new RangeError(`spike on ${plan.sku}: factor must be >= 1`);
    const rampMs = plan.rampMs ?? 0;
    if (!(rampMs >= 0 && Number.isFinite(rampMs))) throw new RangeError(`spike on ${plan.sku}: invalid rampMs`);
    if (plan.shape && !(plan.shape.peak >= 1 && plan.shape.riseMs > 0 && plan.shape.decayHalfLifeMs > 0)) {
      throw new RangeError(`spike on ${plan.sku}: a shape needs peak >= 1 and positive rise and decay times`);
    }
    return items.map((item) => ({ plan, item, label: `spike:${plan.sku}` }));
  });
  const unmet = (options.unmet ?? []).map((plan): Unmet => {
    const queries = plan.queries ?? [[plan.phrase, 1]];
    if (!plan.phrase.trim() || queries.length === 0 || queries.some(([q, w]) => !q.trim() || !(w > 0))) {
      throw new RangeError(`unmet plan "${plan.phrase}": needs a phrase and queries with positive weights`);
    }
    if (!Number.isSafeInteger(plan.startMs) || !Number.isSafeInteger(plan.durationMs) || plan.durationMs <= 0 || !(plan.peakPerSec >= 0)) {
      throw new RangeError(`unmet plan "${plan.phrase}": startMs and durationMs must be integers, durationMs > 0, peakPerSec >= 0`);
    }
    if (!((plan.backgroundPerSec ?? 0) >= 0)) {
      throw new RangeError(`unmet plan "${plan.phrase}": backgroundPerSec must be >= 0`);
    }
    return {
      plan,
      queries: new WeightedSampler(
        queries.map(([q]) => q),
        queries.map(([, w]) => w),
      ),
      label: `unmet:${plan.phrase}`,
    };
  });

  const amplitude = options.diurnal?.amplitude ?? 0;
  if (!(amplitude >= 0 && amplitude <= 1)) throw new RangeError(`diurnal amplitude must be within [0, 1], got ${amplitude}`);
  const peakHour = options.diurnal?.peakHourUtc ?? 20;
  const rhythm = (t: number): number => 1 + amplitude * Math.cos((2 * Math.PI * (t / 3_600_000 - peakHour)) / 24);

  // Ids carry a hash of everything that shapes the events, so two runs with
  // the same seed but different settings never share an id (JetStream would
  // drop one as a duplicate), while a replay of the same run reuses them.
  const config = JSON.stringify([ratePerSec, mixWeights, options.regions, shoppers, options.diurnal, options.spikes, options.unmet, catalog]);
  return {
    seed,
    idPrefix: `sim-${seed}-${hashSeed(config).toString(36)}`,
    catalog,
    ratePerSec,
    spikes,
    unmet,
    mix,
    popularity,
    phrases: catalog.map(queryPhrases),
    shopperRegions,
    rhythm,
    peakRhythm: 1 + amplitude,
  };
}

/** An event before its id is known (ids number the events of a second in time order). */
type Draft =
  | { readonly kind: 'search'; readonly body: Omit<SearchPayload, 'id'> }
  | { readonly kind: 'view'; readonly body: Omit<ViewPayload, 'id'> }
  | { readonly kind: 'sale'; readonly body: Omit<SalePayload, 'id'> };

function generateSecond(model: Model, second: number): SimEvent[] {
  const from = second * SECOND_MS;
  const to = from + SECOND_MS;
  const drafts: Draft[] = [];

  const rng = new Rng(hashSeed(model.seed, second));
  const baselineRate = model.ratePerSec * model.peakRhythm;
  for (const ts of arrivals(rng, from, to, baselineRate, (t) => model.rhythm(t) / model.peakRhythm)) {
    drafts.push(draft(model, rng, ts, model.popularity.sample(rng), undefined));
  }

  model.spikes.forEach((spike, i) => {
    const { startMs, durationMs, factor, rampMs = 0, shape } = spike.plan;
    const lo = Math.max(from, startMs);
    const hi = Math.min(to, startMs + durationMs);
    if (lo >= hi) return;
    const spikeRng = new Rng(hashSeed(model.seed, second, 'spike', i));
    const itemRate = baselineRate * model.popularity.share(spike.item);
    const daily = (t: number) => model.rhythm(t) / model.peakRhythm;
    if (shape) {
      // Each signal follows the shape with its funnel lag: searches first, sales last.
      KINDS.forEach((kind, k) => {
        const extraRate = itemRate * model.mix.share(k) * (shape.peak - 1);
        const accept = (t: number) => ((surgeMultiplier(shape, kind, t - startMs) - 1) / (shape.peak - 1 || 1)) * daily(t);
        for (const ts of arrivals(spikeRng, lo, hi, extraRate, accept)) drafts.push(draft(model, spikeRng, ts, spike.item, spike.label, kind));
      });
      return;
    }
    const ramp = (t: number): number => (rampMs > 0 ? Math.min(1, (t - startMs) / rampMs) : 1);
    for (const ts of arrivals(spikeRng, lo, hi, itemRate * (factor - 1), (t) => ramp(t) * daily(t))) {
      drafts.push(draft(model, spikeRng, ts, spike.item, spike.label));
    }
  });

  model.unmet.forEach((unmet, i) => {
    const { startMs, durationMs, peakPerSec, rampMs = 0, backgroundPerSec = 0 } = unmet.plan;
    const unmetRng = new Rng(hashSeed(model.seed, second, 'unmet', i));
    const daily = (t: number) => model.rhythm(t) / model.peakRhythm;
    const search = (ts: number) => drafts.push(searchDraft(model, unmetRng, ts, asTyped(unmet.queries.sample(unmetRng), unmetRng), unmet.label));
    for (const ts of arrivals(unmetRng, from, to, backgroundPerSec * model.peakRhythm, daily)) search(ts);
    const lo = Math.max(from, startMs);
    const hi = Math.min(to, startMs + durationMs);
    if (lo >= hi) return;
    const ramp = (t: number): number => (rampMs > 0 ? Math.min(1, (t - startMs) / rampMs) : 1);
    for (const ts of arrivals(unmetRng, lo, hi, peakPerSec, (t) => ramp(t) * daily(t))) search(ts);
  });

  drafts.sort((a, b) => a.body.ts - b.body.ts);
  return drafts.map((d, n) => withId(d, `${model.idPrefix}-${second}-${n}`));
}

/**
 * Arrival times (integer ms) of a Poisson process on [from, to) whose rate at
 * time t is `maxRatePerSec * accept(t)`, with accept(t) in [0, 1]: exponential
 * gaps at the maximum rate, each arrival kept with probability accept(t)
 * (Lewis-Shedler thinning).
 */
function arrivals(rng: Rng, from: number, to: number, maxRatePerSec: number, accept: (t: number) => number): number[] {
  const times: number[] = [];
  if (maxRatePerSec <= 0) return times;
  const ratePerMs = maxRatePerSec / SECOND_MS;
  for (let t = from + rng.exponential(ratePerMs); t < to; t += rng.exponential(ratePerMs)) {
    if (rng.next() < accept(t)) times.push(Math.floor(t));
  }
  return times;
}

/** One shopper's action on `item` at `ts`: of `kind`, or one drawn from the mix. */
function draft(model: Model, rng: Rng, ts: number, item: number, label: string | undefined, kind = model.mix.sample(rng)): Draft {
  const shopper = rng.int(0, model.shopperRegions.length - 1);
  const region = model.shopperRegions[shopper];
  const user = `u-${String(shopper).padStart(5, '0')}`;
  const labelled = label === undefined ? {} : { label };
  const { sku, price } = model.catalog[item] as CatalogItem;
  if (kind === 'sale') {
    const qty = 1 + rng.poisson(EXTRA_UNITS_MEAN);
    const priced = price === undefined ? {} : { price, currency: 'EUR' };
    return { kind, body: { ts, sku, qty, ...priced, region, user, ...labelled } };
  }
  const signedIn = rng.chance(SIGNED_IN) ? { user } : {};
  const session = sessionOf(shopper, ts);
  if (kind === 'view') return { kind, body: { ts, sku, region, ...signedIn, session, ...labelled } };
  const query = asTyped((model.phrases[item] as WeightedSampler<string>).sample(rng), rng);
  return { kind, body: { ts, query, region, ...signedIn, session, ...labelled } };
}

/** A search for `query` (as typed) by a random shopper. */
function searchDraft(model: Model, rng: Rng, ts: number, query: string, label: string): Draft {
  const shopper = rng.int(0, model.shopperRegions.length - 1);
  const region = model.shopperRegions[shopper];
  const signedIn = rng.chance(SIGNED_IN) ? { user: `u-${String(shopper).padStart(5, '0')}` } : {};
  return { kind: 'search', body: { ts, query, region, ...signedIn, session: sessionOf(shopper, ts), label } };
}

/** Sessions roll over every SESSION_MS, staggered so shoppers don't all start one at once. */
function sessionOf(shopper: number, ts: number): string {
  return `s-${shopper.toString(36)}-${Math.floor((ts + ((shopper * 7919) % SESSION_MS)) / SESSION_MS).toString(36)}`;
}

function withId(draft: Draft, id: string): SimEvent {
  switch (draft.kind) {
    case 'search':
      return { kind: 'search', subject: 'events.search', payload: { id, ...draft.body } };
    case 'view':
      return { kind: 'view', subject: 'events.view', payload: { id, ...draft.body } };
    case 'sale':
      return { kind: 'sale', subject: 'events.sale', payload: { id, ...draft.body } };
  }
}

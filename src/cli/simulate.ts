/** `trendmon simulate`: realistic synthetic traffic with labelled surges, published to NATS. */
import type { NatsConnection } from '@nats-io/nats-core';
import {
  createTraffic,
  drawSurgeShape,
  generateCatalog,
  runSimulation,
  unmetIdeas,
  withVariants,
  type SimulationSummary,
  type SpikePlan,
  type SurgeShapeKind,
  type UnmetPlan,
} from '../sim/index.js';
import { TrendmonError } from '../errors.js';
import { hashSeed } from '../hash.js';
import { Rng } from '../sim/random.js';
import { surgeSpanMs } from '../sim/shapes.js';
import type { CatalogItem } from '../domain.js';
import { endProgress, formatCount, progressLine } from './progress.js';

export interface SimulateOptions {
  readonly nc: NatsConnection;
  readonly ratePerSec: number;
  /** Infinity runs until `signal` aborts. */
  readonly durationMs: number;
  readonly seed: number;
  /** `SKU[:factor]` requests; empty gets a rolling schedule of random surges unless `steady`. */
  readonly spikes: readonly string[];
  /** No surges at all: plain history for baselines. */
  readonly steady?: boolean;
  /** Generate the time range ending now as fast as NATS takes it, instead of in real time. */
  readonly backfill: boolean;
  /** Sell a quarter of the items in colour and size variants (catalog items with a parent). */
  readonly variants?: boolean;
  readonly signal?: AbortSignal;
  readonly quiet?: boolean;
}

export class SpikeArgumentError extends TrendmonError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Parses `SKU[:factor]`; the surge covers the middle third of the run. */
function plannedSpikes(requests: readonly string[], catalog: readonly CatalogItem[], fromTs: number, durationMs: number): SpikePlan[] {
  const span = Number.isFinite(durationMs) ? durationMs : 30 * 60_000;
  return requests.map((request) => {
    const [sku, factorText] = request.split(':');
    if (!sku || !catalog.some((item) => item.sku === sku || item.parent === sku)) {
      throw new SpikeArgumentError(`--spike ${request}: unknown sku (the simulator's catalog has SKU-0001 to SKU-${String(new Set(catalog.map((i) => i.parent ?? i.sku)).size).padStart(4, '0')})`);
    }
    const factor = factorText === undefined ? 6 : Number(factorText);
    if (!Number.isFinite(factor) || factor < 1) throw new SpikeArgumentError(`--spike ${request}: factor must be a number >= 1`);
    return { sku, factor, startMs: Math.round(fromTs + span / 3), durationMs: Math.round(span / 3), rampMs: Math.min(60_000, Math.round(span / 12)) };
  });
}

/** How often each surge family turns up in the demo: mostly fads and flops, which play out while someone watches. */
const DEMO_FAMILIES: readonly SurgeShapeKind[] = ['fad', 'fad', 'fad', 'flop', 'flop', 'new-normal', 'builder'];
/** Surges in the demo play out sixty times faster than in a shop: a fad of hours takes minutes. */
const DEMO_TIME_SCALE = 1 / 60;

/** What a few shoppers always search for, of each idea the catalog lacks: searches a second. */
const UNMET_BACKGROUND_PER_SEC = 0.1;

/**
 * A surge on a pseudo-random product every few minutes (fads, flops, new
 * normals, builders at sixty times a shop's pace), so a demo wall always has
 * something to show.
 */
function rollingSpikes(catalog: readonly CatalogItem[], fromTs: number, durationMs: number, seed: number): SpikePlan[] {
  const horizon = Number.isFinite(durationMs) ? durationMs : 24 * 3_600_000;
  const rng = new Rng(seed);
  const products = [...new Set(catalog.map((item) => item.parent ?? item.sku))];
  const spikes: SpikePlan[] = [];
  for (let t = fromTs + 2 * 60_000; t < fromTs + horizon; t += 3 * 60_000 + rng.int(0, 3 * 60_000)) {
    const shape = drawSurgeShape(rng.pick(DEMO_FAMILIES), rng, DEMO_TIME_SCALE);
    spikes.push({ sku: rng.pick(products), factor: shape.peak, startMs: t, durationMs: Math.round(Math.min(surgeSpanMs(shape), 45 * 60_000)), shape });
  }
  return spikes;
}

/**
 * Searches for something the catalog lacks taking off every few minutes,
 * each idea in turn; a few shoppers search for every idea all along (also
 * in `steady` history: then nothing takes off). The ideas come from a
 * stream of their own, so history and live traffic agree on them.
 */
function unmetSearches(catalog: readonly CatalogItem[], fromTs: number, durationMs: number, seed: number, steady: boolean): UnmetPlan[] {
  const horizon = Number.isFinite(durationMs) ? durationMs : 24 * 3_600_000;
  const rng = new Rng(hashSeed(seed, 'unmet'));
  const ideas = unmetIdeas(catalog, rng);
  if (steady) return ideas.map((idea) => ({ ...idea, startMs: fromTs, durationMs: 1, peakPerSec: 0, backgroundPerSec: UNMET_BACKGROUND_PER_SEC }));
  const plans: UnmetPlan[] = [];
  for (let t = fromTs + 3 * 60_000, i = 0; t < fromTs + horizon && ideas.length > 0; t += 5 * 60_000 + rng.int(0, 4 * 60_000), i++) {
    // Each idea's trickle comes with its first plan (the plans cycle through the ideas).
    const background = i < ideas.length ? { backgroundPerSec: UNMET_BACKGROUND_PER_SEC } : {};
    plans.push({ ...ideas[i % ideas.length]!, startMs: t, durationMs: rng.int(6, 12) * 60_000, peakPerSec: rng.uniform(0.5, 1.5), rampMs: 2 * 60_000, ...background });
  }
  return plans;
}

export async function simulate(options: SimulateOptions): Promise<SimulationSummary> {
  const plain = generateCatalog(options.seed);
  const catalog = options.variants ? withVariants(plain, options.seed) : plain;
  const now = Date.now();
  const fromTs = options.backfill ? now - options.durationMs : now;
  // Steady history has no surges, but what a few shoppers always search for is searched for in it too.
  const rolling = options.spikes.length === 0;
  const plans = {
    spikes: options.steady ? [] : rolling ? rollingSpikes(catalog, fromTs, options.durationMs, options.seed) : plannedSpikes(options.spikes, catalog, fromTs, options.durationMs),
    unmet: rolling ? unmetSearches(catalog, fromTs, options.durationMs, options.seed, options.steady ?? false) : [],
  };
  const traffic = createTraffic({ seed: options.seed, catalog, ratePerSec: options.ratePerSec, ...plans });
  const summary = await runSimulation({
    nc: options.nc,
    traffic,
    catalog,
    durationMs: options.durationMs,
    realtime: !options.backfill,
    ...(options.backfill ? { startTs: fromTs } : {}),
    signal: options.signal,
    onProgress: options.quiet
      ? undefined
      : (p) =>
          progressLine(
            `simulate: ${formatCount(p.published)} events published, ${formatCount(p.ratePerSec)}/s, ` +
              `event time ${new Date(p.simTs).toISOString().slice(11, 19)}, surges active: ${p.spikesActive}`,
          ),
  });
  if (!options.quiet) endProgress();
  return summary;
}

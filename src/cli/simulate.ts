/** `trendmon simulate`: realistic synthetic traffic with labelled surges, published to NATS. */
import type { NatsConnection } from '@nats-io/nats-core';
import { createTraffic, generateCatalog, runSimulation, type SpikePlan, type SimulationSummary } from '../sim/index.js';
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
  readonly signal?: AbortSignal;
  readonly quiet?: boolean;
}

export class SpikeArgumentError extends Error {}

/** Parses `SKU[:factor]`; the surge covers the middle third of the run. */
function plannedSpikes(requests: readonly string[], catalog: readonly CatalogItem[], fromTs: number, durationMs: number, seed: number): SpikePlan[] {
  if (requests.length === 0) return rollingSpikes(catalog, fromTs, durationMs, seed);
  const span = Number.isFinite(durationMs) ? durationMs : 30 * 60_000;
  return requests.map((request) => {
    const [sku, factorText] = request.split(':');
    if (!sku || !catalog.some((item) => item.sku === sku)) {
      throw new SpikeArgumentError(`--spike ${request}: unknown sku (the simulator's catalog has SKU-0001 to SKU-${String(catalog.length).padStart(4, '0')})`);
    }
    const factor = factorText === undefined ? 6 : Number(factorText);
    if (!Number.isFinite(factor) || factor < 1) throw new SpikeArgumentError(`--spike ${request}: factor must be a number >= 1`);
    return { sku, factor, startMs: Math.round(fromTs + span / 3), durationMs: Math.round(span / 3), rampMs: Math.min(60_000, Math.round(span / 12)) };
  });
}

/** A surge on a pseudo-random item every few minutes, so a demo wall always has something to show. */
function rollingSpikes(catalog: readonly CatalogItem[], fromTs: number, durationMs: number, seed: number): SpikePlan[] {
  const horizon = Number.isFinite(durationMs) ? durationMs : 24 * 3_600_000;
  const plans: SpikePlan[] = [];
  let state = seed >>> 0 || 1;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let t = fromTs + 2 * 60_000; t < fromTs + horizon; t += 3 * 60_000 + Math.round(next() * 3 * 60_000)) {
    const item = catalog[Math.floor(next() * catalog.length)]!;
    plans.push({ sku: item.sku, factor: 4 + Math.round(next() * 6), startMs: t, durationMs: 4 * 60_000 + Math.round(next() * 4 * 60_000), rampMs: 60_000 });
  }
  return plans;
}

export async function simulate(options: SimulateOptions): Promise<SimulationSummary> {
  const catalog = generateCatalog(options.seed);
  const now = Date.now();
  const fromTs = options.backfill ? now - options.durationMs : now;
  const spikes = options.steady ? [] : plannedSpikes(options.spikes, catalog, fromTs, options.durationMs, options.seed);
  const traffic = createTraffic({ seed: options.seed, catalog, ratePerSec: options.ratePerSec, spikes });
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

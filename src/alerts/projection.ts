/**
 * Projected demand: how many extra units a spike implies over the next 24 h
 * and 7 d, with an interval, against the key's baseline. Pure; the method
 * is written out with its formulas in docs/alerts.md ("Projection").
 *
 * In short, per detector window of length W:
 *   1. the sale rate now is a precision-weighted average, on the log scale,
 *      of the sales observed in the window and the sales that its leading
 *      signal (views, or searches for search-only keys) implies at the
 *      shop's conversion;
 *   2. the share of it above baseline is the share of the window's events
 *      above what the baseline expected, (V - E) / V;
 *   3. that excess fades exponentially with time constant tau (the
 *      persistence), so over a horizon H it adds
 *      rate * tau * (1 - exp(-H / tau));
 *   4. the interval is log-normal, combining counting noise, the
 *      uncertainty of the item's conversion and of the persistence.
 */
import type { Dimension, Spike, TrendEvent } from '../domain.js';
import type { ProjectionLevel } from './rules.js';

/** Shop-wide conversion, the fallback for what an item's leading signals will buy. */
export interface ShopConversion {
  /** Sale lines (order lines) per product view; undefined until enough views were seen. */
  readonly salesPerView?: number;
  /** Sale lines per search; undefined until enough searches were seen. */
  readonly salesPerSearch?: number;
  /** Units per sale line; 1 until a sale was seen. */
  readonly unitsPerSale: number;
}

/** Decayed counts below this are too thin to state a conversion. */
const MIN_EVIDENCE = 30;

/**
 * Learns the shop's conversion from every event, forgetting with a
 * half-life in event time, so a seasonal shift in conversion is followed
 * within hours.
 */
export class ShopRates {
  private searches = 0;
  private views = 0;
  private sales = 0;
  private units = 0;
  private clock = -Infinity;

  constructor(private readonly halfLifeMs = 6 * 3_600_000) {}

  observe(event: TrendEvent): void {
    // Decay at most once a second of event time: cheap at 200k events/s.
    if (event.ts - this.clock >= 1000) {
      if (Number.isFinite(this.clock)) {
        const keep = 2 ** (-(event.ts - this.clock) / this.halfLifeMs);
        this.searches *= keep;
        this.views *= keep;
        this.sales *= keep;
        this.units *= keep;
      }
      this.clock = event.ts;
    }
    if (event.kind === 'search') this.searches++;
    else if (event.kind === 'view') this.views++;
    else {
      this.sales++;
      this.units += event.qty;
    }
  }

  read(): ShopConversion {
    return {
      ...(this.views >= MIN_EVIDENCE && this.sales > 0 ? { salesPerView: this.sales / this.views } : {}),
      ...(this.searches >= MIN_EVIDENCE && this.sales > 0 ? { salesPerSearch: this.sales / this.searches } : {}),
      unitsPerSale: this.sales > 0 ? this.units / this.sales : 1,
    };
  }
}

/** Units over one horizon. */
export interface DemandRange {
  /** What the baseline alone would sell. */
  readonly baseline: number;
  /** Extra units the trend implies (median). */
  readonly extra: number;
  /** The interval of `extra` at the projection's level. */
  readonly low: number;
  readonly high: number;
}

export interface ProjectionBasis {
  /** Sale lines in the latest window, for keys that carry sales. */
  readonly observedSales?: number;
  /** Sale lines the window's leading signal implies at the shop's conversion. */
  readonly leadingSales?: number;
  readonly leadingSignal?: 'view' | 'search';
  /** The blended sale lines per window the projection starts from. */
  readonly salesPerWindow: number;
  readonly unitsPerSale: number;
  /** (V - E) / V: the share of the key's activity above its baseline. */
  readonly excessShare: number;
  /** Standard deviation of the log of the 7-day extra units. */
  readonly logSpread: number;
  readonly windowMs: number;
}

export interface Projection {
  /** Probability covered by each range's low..high. */
  readonly level: ProjectionLevel;
  readonly persistenceMs: number;
  /** Units per day at the current rate, baseline included. */
  readonly unitsPerDayNow: number;
  readonly baselineUnitsPerDay: number;
  readonly next24h: DemandRange;
  readonly next7d: DemandRange;
  readonly basis: ProjectionBasis;
  /** e.g. `+1,800 units/7 d, 80% interval 1,200-2,500`. */
  readonly summary: string;
}

export interface ProjectionInput {
  readonly spike: Pick<Spike, 'dimension' | 'volume' | 'expected' | 'drivers'>;
  /** The detector's window length: the spike's counts are per window. */
  readonly windowMs: number;
  readonly shop: ShopConversion;
  readonly persistenceMs: number;
  readonly level: ProjectionLevel;
}

const DAY_MS = 86_400_000;
/** Two-sided normal quantiles for the supported levels. */
const Z: Record<ProjectionLevel, number> = { 0.5: 0.6745, 0.8: 1.2816, 0.9: 1.6449, 0.95: 1.96 };
/** How far an item's conversion may sit from the shop's: one standard deviation, relative. */
const CONVERSION_SPREAD = 0.5;
/** The persistence is uncertain within a factor of 2 either way (80%). */
const PERSISTENCE_FACTOR = 2;
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
  const { spike, shop } = input;
  const estimates: LogEstimate[] = [];
  const basis: { observedSales?: number; leadingSales?: number; leadingSignal?: 'view' | 'search' } = {};
  if (CARRIES_SALES[spike.dimension]) {
    const c = spike.drivers.sale;
    basis.observedSales = c;
    // A Poisson count on the log scale: ln(c + 1/2) with variance 1/(c + 1/2); finite at c = 0.
    estimates.push({ log: Math.log(c + 0.5), variance: 1 / (c + 0.5) });
  }
  const lead =
    spike.drivers.view > 0 && shop.salesPerView
      ? { signal: 'view' as const, count: spike.drivers.view, rate: shop.salesPerView }
      : spike.drivers.search > 0 && shop.salesPerSearch
        ? { signal: 'search' as const, count: spike.drivers.search, rate: shop.salesPerSearch }
        : undefined;
  if (lead) {
    const leading = lead.count * lead.rate;
    basis.leadingSales = round3(leading);
    basis.leadingSignal = lead.signal;
    estimates.push({ log: Math.log(leading), variance: 1 / lead.count + CONVERSION_SPREAD ** 2 });
  }
  if (estimates.length === 0) return { basis };
  const weight = estimates.reduce((sum, e) => sum + 1 / e.variance, 0);
  const log = estimates.reduce((sum, e) => sum + e.log / e.variance, 0) / weight;
  return { basis, estimate: { log, variance: 1 / weight } };
}

/** Time-integral of an excess fading as exp(-t / tau), over [0, horizon], per unit of initial rate. */
const faded = (tauMs: number, horizonMs: number) => tauMs * (1 - Math.exp(-horizonMs / tauMs));

export function projectDemand(input: ProjectionInput): Projection {
  const { spike, windowMs, persistenceMs: tau, level } = input;
  const { basis: partial, estimate } = salesPerWindow(input);
  const unitsPerSale = input.shop.unitsPerSale;
  const excess = Math.max(0, spike.volume - spike.expected);
  const excessShare = spike.volume > 0 ? excess / spike.volume : 0;
  const salesNow = estimate ? Math.exp(estimate.log) : 0;
  const unitsPerMs = (salesNow * unitsPerSale) / windowMs;
  const extraPerMs = unitsPerMs * excessShare;
  const baselinePerMs = unitsPerMs - extraPerMs;
  // Counting noise of the excess itself: V is Poisson, E taken as known.
  const excessVariance = excess > 0 ? spike.volume / excess ** 2 : 0;
  const rateVariance = (estimate?.variance ?? 0) + excessVariance;
  const z = Z[level];

  const horizon = (horizonMs: number): { range: DemandRange; spread: number } => {
    const extra = extraPerMs * faded(tau, horizonMs);
    // tau's 80% band (tau/2..2tau) maps to this band of the faded total; as a log-normal spread:
    const tauSpread = Math.log(faded(tau * PERSISTENCE_FACTOR, horizonMs) / faded(tau / PERSISTENCE_FACTOR, horizonMs)) / (2 * Z[0.8]);
    const spread = Math.sqrt(rateVariance + tauSpread ** 2);
    const range = {
      baseline: Math.round(baselinePerMs * horizonMs),
      extra: Math.round(extra),
      low: Math.round(extra * Math.exp(-z * spread)),
      high: Math.round(extra * Math.exp(z * spread)),
    };
    return { range, spread };
  };
  const next24h = horizon(DAY_MS).range;
  const { range: next7d, spread } = horizon(7 * DAY_MS);
  const basis: ProjectionBasis = {
    ...partial,
    salesPerWindow: round3(salesNow),
    unitsPerSale: round3(unitsPerSale),
    excessShare: round3(excessShare),
    logSpread: round3(spread),
    windowMs,
  };
  return {
    level,
    persistenceMs: tau,
    unitsPerDayNow: Math.round(unitsPerMs * DAY_MS),
    baselineUnitsPerDay: Math.round(baselinePerMs * DAY_MS),
    next24h,
    next7d,
    basis,
    summary: estimate ? formatDemand(next7d, '7 d', level) : 'no demand projection: no sales and no leading signal seen yet',
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Two significant digits from 100 up: a projection is not more precise than that. */
export function formatUnits(units: number): string {
  const rounded = units < 100 ? Math.round(units) : Number(units.toPrecision(2));
  return rounded.toLocaleString('en-US');
}

/** `+1,800 units/7 d, 80% interval 1,200-2,500`. */
export function formatDemand(range: DemandRange, horizon: string, level: ProjectionLevel): string {
  return `+${formatUnits(range.extra)} units/${horizon}, ${Math.round(level * 100)}% interval ${formatUnits(range.low)}-${formatUnits(range.high)}`;
}

/**
 * The shop's funnel, search -> view -> sale, learned per category from
 * every event and forgetting with a half-life in event time, so a seasonal
 * shift is followed within hours. A category with little evidence leans on
 * the shop's figures (a shrinkage estimate: the category's counts plus a
 * prior worth PRIOR_WEIGHT of the shop's), so a new category is not
 * projected from three views.
 */
import type { TrendEvent } from '../domain.js';

/** What a key's leading signals will buy. */
export interface Conversion {
  /** Sale lines (order lines) per product view; undefined until enough views were seen. */
  readonly salesPerView?: number;
  /** Sale lines per search; undefined until enough searches were seen. */
  readonly salesPerSearch?: number;
  /** Units per sale line; 1 until a sale was seen. */
  readonly unitsPerSale: number;
  /** Units sold per event of any kind (searches, views, sales together); undefined until enough events were seen. */
  readonly unitsPerEvent?: number;
}

/** Decayed counts of a funnel's steps. */
export interface Funnel {
  searches: number;
  views: number;
  sales: number;
  units: number;
}

/** Decayed counts below this are too thin to state a conversion. */
const MIN_EVIDENCE = 30;
/** A category's own rates count against this many views' (searches') worth of the shop's. */
const PRIOR_WEIGHT = 200;
/** ... and its units per sale against this many of the shop's sales. */
const UNITS_PRIOR_SALES = 10;
/** Decay at most this often (event time): cheap at 200k events/s. */
const DECAY_EVERY_MS = 1_000;

const empty = (): Funnel => ({ searches: 0, views: 0, sales: 0, units: 0 });

export class ConversionRates {
  private readonly shop = empty();
  private readonly categories = new Map<string, Funnel>();
  private clock = -Infinity;

  /**
   * @param categoryOf the category an event speaks for: a view's or sale's item's, a search's linked category
   */
  constructor(
    private readonly categoryOf: (event: TrendEvent) => string | undefined,
    private readonly halfLifeMs = 6 * 3_600_000,
  ) {}

  observe(event: TrendEvent): void {
    const counts =
      event.kind === 'search'
        ? { searches: 1, views: 0, sales: 0, units: 0 }
        : event.kind === 'view'
          ? { searches: 0, views: 1, sales: 0, units: 0 }
          : { searches: 0, views: 0, sales: 1, units: event.qty };
    this.observeCounts(this.categoryOf(event), counts, event.ts);
  }

  /** Counts of many events at once (one window of one category, as the evaluation has them). */
  observeCounts(category: string | undefined, counts: Readonly<Funnel>, ts: number): void {
    if (ts - this.clock >= DECAY_EVERY_MS) {
      if (Number.isFinite(this.clock)) {
        const keep = 2 ** (-(ts - this.clock) / this.halfLifeMs);
        scale(this.shop, keep);
        for (const [name, funnel] of this.categories) {
          scale(funnel, keep);
          if (funnel.searches + funnel.views + funnel.sales < 0.01) this.categories.delete(name);
        }
      }
      this.clock = ts;
    }
    let funnel: Funnel | undefined;
    if (category !== undefined) {
      funnel = this.categories.get(category);
      if (!funnel) this.categories.set(category, (funnel = empty()));
    }
    for (const f of funnel ? [this.shop, funnel] : [this.shop]) {
      f.searches += counts.searches;
      f.views += counts.views;
      f.sales += counts.sales;
      f.units += counts.units;
    }
  }

  /** The shop's conversion, or a category's leaning on the shop's while it has little evidence. */
  read(category?: string): Conversion {
    const shop = rates(this.shop);
    const own = category === undefined ? undefined : this.categories.get(category);
    if (!own) return shop;
    const shrink = (count: number, per: number, prior: number | undefined) =>
      prior === undefined ? (per >= MIN_EVIDENCE && count > 0 ? count / per : undefined) : (count + PRIOR_WEIGHT * prior) / (per + PRIOR_WEIGHT);
    const salesPerView = shrink(own.sales, own.views, shop.salesPerView);
    const salesPerSearch = shrink(own.sales, own.searches, shop.salesPerSearch);
    const unitsPerEvent = shrink(own.units, own.searches + own.views + own.sales, shop.unitsPerEvent);
    return {
      ...(salesPerView !== undefined ? { salesPerView } : {}),
      ...(salesPerSearch !== undefined ? { salesPerSearch } : {}),
      unitsPerSale: (own.units + UNITS_PRIOR_SALES * shop.unitsPerSale) / (own.sales + UNITS_PRIOR_SALES),
      ...(unitsPerEvent !== undefined ? { unitsPerEvent } : {}),
    };
  }
}

function scale(f: Funnel, keep: number): void {
  f.searches *= keep;
  f.views *= keep;
  f.sales *= keep;
  f.units *= keep;
}

function rates(f: Funnel): Conversion {
  const events = f.searches + f.views + f.sales;
  return {
    ...(f.views >= MIN_EVIDENCE && f.sales > 0 ? { salesPerView: f.sales / f.views } : {}),
    ...(f.searches >= MIN_EVIDENCE && f.sales > 0 ? { salesPerSearch: f.sales / f.searches } : {}),
    unitsPerSale: f.sales > 0 ? f.units / f.sales : 1,
    ...(events >= MIN_EVIDENCE && f.sales > 0 ? { unitsPerEvent: f.units / events } : {}),
  };
}

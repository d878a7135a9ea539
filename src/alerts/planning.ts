/**
 * What the demand projection knows besides the spike: how past surges went
 * (curves fitted from ClickHouse history), each key's and category's best
 * day, the funnel per category, recent sales per item (for the split by
 * variant), and the path of every open spike. Pure: the history is handed
 * in (src/store/planning-history.ts loads it), events and spike updates are
 * fed in event time.
 */
import type { CatalogItem, Dimension, Spike, TrendEvent } from '../domain.js';
import { priorCurves, type PeerGroup } from './analogs.js';
import { ConversionRates, type Conversion, type Funnel } from './conversion.js';
import { formatDemand, projectDemand, type DayRecords, type Projection } from './projection.js';
import type { ProjectionLevel } from './rules.js';
import type { SurgeCurve } from './surge-curves.js';
import { SurgeTracks, type SurgeTrack } from './surge-track.js';
import { formatVariants, splitByVariant } from './variants.js';

/** What ClickHouse says about the past (src/store/planning-history.ts). */
export interface PlanningHistory {
  /** Past surges. */
  readonly curves: readonly SurgeCurve[];
  /** Best day's units per `recordKey(dimension, key)`, and the shop's under `SHOP_RECORD`. */
  readonly records: ReadonlyMap<string, number>;
  /** Units sold per sku lately. */
  readonly recentUnits: ReadonlyMap<string, number>;
  /** How far items' units per event sit from their category's: the standard deviation of the log ratio, when measured. */
  readonly conversionSpread?: number;
}

export const EMPTY_HISTORY: PlanningHistory = { curves: [], records: new Map(), recentUnits: new Map() };

/**
 * The spread of items' conversion around their category's: the standard
 * deviation of ln(item units per event / category units per event) over
 * items with at least `minEvents` events. Undefined with fewer than 5 such items.
 */
export function conversionSpread(items: readonly { category: string; events: number; units: number }[], minEvents = 500): number | undefined {
  const enough = items.filter((i) => i.events >= minEvents && i.units > 0);
  const byCategory = new Map<string, { events: number; units: number }>();
  for (const i of enough) {
    const c = byCategory.get(i.category) ?? { events: 0, units: 0 };
    c.events += i.events;
    c.units += i.units;
    byCategory.set(i.category, c);
  }
  const logs = enough.map((i) => {
    const c = byCategory.get(i.category)!;
    return Math.log(i.units / i.events / (c.units / c.events));
  });
  if (logs.length < 5) return undefined;
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  return Math.sqrt(logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (logs.length - 1));
}
export const SHOP_RECORD = 'shop';
export const recordKey = (dimension: Dimension, key: string) => `${dimension}:${key}`;

export interface DemandPlannerOptions {
  readonly catalog: (sku: string) => CatalogItem | undefined;
  /** A product's variants (items naming it as parent); empty for plain items. */
  readonly variantsOf: (product: string) => readonly CatalogItem[];
  /** The category a search query is about, when it names one (the linker's). */
  readonly categoryOfQuery: (query: string) => string | undefined;
  /** Spike tracks with no update for this long are dropped (their end was never seen). */
  readonly staleTrackMs?: number;
}

export class DemandPlanner {
  private readonly conversion: ConversionRates;
  private readonly tracks = new SurgeTracks();
  private history: PlanningHistory = EMPTY_HISTORY;
  /** Units sold per sku since the history was loaded, added to its figures. */
  private readonly liveUnits = new Map<string, number>();
  private readonly byCategory = new Map<string, Map<string, CatalogItem>>();
  private readonly byAttribute = new Map<string, Map<string, CatalogItem>>();
  private curvesByDimension = new Map<Dimension, SurgeCurve[]>();
  private readonly groups = new Map<string, PeerGroup[]>();
  private readonly priors = new Map<string, SurgeCurve[]>();

  constructor(private readonly options: DemandPlannerOptions) {
    this.conversion = new ConversionRates((event) =>
      event.kind === 'search' ? options.categoryOfQuery(event.query) : options.catalog(event.sku)?.category,
    );
  }

  /** Every event: the funnel, and recent sales per item. */
  observeEvent(event: TrendEvent): void {
    this.conversion.observe(event);
    if (event.kind === 'sale') this.liveUnits.set(event.sku, (this.liveUnits.get(event.sku) ?? 0) + event.qty);
  }

  /** Counts of many events of one category at once (the evaluation's windows). */
  observeCounts(category: string, counts: Readonly<Funnel>, ts: number): void {
    this.conversion.observeCounts(category, counts, ts);
  }

  /** Every catalog item applied: which items a category or an attribute covers. */
  upsertItem(item: CatalogItem): void {
    for (const index of [this.byCategory, this.byAttribute]) for (const items of index.values()) items.delete(item.sku);
    const add = (index: Map<string, Map<string, CatalogItem>>, key: string) => {
      let items = index.get(key);
      if (!items) index.set(key, (items = new Map()));
      items.set(item.sku, item);
    };
    add(this.byCategory, item.category);
    for (const [name, value] of Object.entries(item.attributes ?? {})) add(this.byAttribute, `${name}=${value}`);
  }

  /** New figures from the store: past surges, records, recent sales. */
  setHistory(history: PlanningHistory): void {
    this.history = history;
    this.liveUnits.clear();
    this.curvesByDimension = new Map();
    for (const curve of history.curves) {
      const list = this.curvesByDimension.get(curve.origin.dimension) ?? [];
      list.push(curve);
      this.curvesByDimension.set(curve.origin.dimension, list);
    }
    this.groups.clear();
  }

  /** Every spike update, whether it alerts or not: its path is what the projection matches. */
  track(spike: Spike): SurgeTrack {
    const track = this.tracks.update(spike);
    this.tracks.forgetStale(spike.updatedAt - (this.options.staleTrackMs ?? 86_400_000));
    return track;
  }

  /** The demand a spike implies, from its tracked path (call `track` with the update first). */
  project(spike: Spike, track: SurgeTrack, settings: { readonly windowMs: number; readonly persistenceMs: number; readonly level: ProjectionLevel }): Projection {
    const category = this.categoryOf(spike);
    const projection = projectDemand({
      spike,
      track,
      windowMs: settings.windowMs,
      conversion: this.conversionFor(category),
      peers: [...this.peerGroups(spike, category), { name: 'prior', curves: this.prior(settings.persistenceMs, settings.windowMs) }],
      records: this.records(spike, category),
      ...(this.history.conversionSpread !== undefined ? { conversionSpread: this.history.conversionSpread } : {}),
      persistenceMs: settings.persistenceMs,
      level: settings.level,
    });
    const variants = splitByVariant(projection.next7d.extra, this.itemsCovered(spike), (sku) => this.recentUnits(sku), (item) =>
      item.parent === undefined ? [] : this.options.variantsOf(item.parent),
    );
    if (variants.length === 0) return projection;
    return { ...projection, variants, summary: `${formatDemand(projection.next7d, '7 d', settings.level)}; ${formatVariants(variants)}` };
  }

  private conversionFor(category: string | undefined): Conversion {
    return this.conversion.read(category);
  }

  private recentUnits(sku: string): number {
    return (this.history.recentUnits.get(sku) ?? 0) + (this.liveUnits.get(sku) ?? 0);
  }

  private categoryOf(spike: Pick<Spike, 'dimension' | 'key'>): string | undefined {
    switch (spike.dimension) {
      case 'sku':
        return this.options.catalog(spike.key)?.category;
      case 'category':
        return spike.key;
      case 'query':
      case 'term':
        return this.options.categoryOfQuery(spike.key);
      default:
        return undefined;
    }
  }

  /** Past surges from the most like this key to the least: its own, its category's, its attributes', its dimension's, any. */
  private peerGroups(spike: Pick<Spike, 'dimension' | 'key'>, category: string | undefined): PeerGroup[] {
    const id = recordKey(spike.dimension, spike.key);
    const cached = this.groups.get(id);
    if (cached) return cached;
    const same = this.curvesByDimension.get(spike.dimension) ?? [];
    const item = spike.dimension === 'sku' ? this.options.catalog(spike.key) : undefined;
    const attributes = new Set(Object.entries(item?.attributes ?? {}).map(([n, v]) => `${n}=${v}`));
    const attributeName = spike.dimension === 'attribute' ? spike.key.split('=')[0] : undefined;
    const used = new Set<SurgeCurve>();
    const group = (name: PeerGroup['name'], curves: readonly SurgeCurve[], test: (c: SurgeCurve) => boolean): PeerGroup => {
      const picked = curves.filter((c) => !used.has(c) && test(c));
      for (const c of picked) used.add(c);
      return { name, curves: picked };
    };
    const groups = [
      group('key', same, (c) => c.origin.key === spike.key),
      group('category', same, (c) => category !== undefined && spike.dimension !== 'category' && c.origin.category === category),
      group('attribute', same, (c) =>
        attributeName !== undefined ? c.origin.key.startsWith(`${attributeName}=`) : (c.origin.attributes ?? []).some((a) => attributes.has(a)),
      ),
      group('dimension', same, () => true),
      group('any', this.history.curves, () => true),
    ].filter((g) => g.curves.length > 0);
    this.groups.set(id, groups);
    return groups;
  }

  private prior(persistenceMs: number, windowMs: number): SurgeCurve[] {
    const id = `${persistenceMs}/${windowMs}`;
    let curves = this.priors.get(id);
    if (!curves) this.priors.set(id, (curves = priorCurves(persistenceMs, windowMs, { dimension: 'sku', key: '(prior)' })));
    return curves;
  }

  /** The best days the store knows of for the key, its category and the shop. */
  private records(spike: Pick<Spike, 'dimension' | 'key'>, category: string | undefined): DayRecords {
    const { records } = this.history;
    const own = spike.dimension === 'query' || spike.dimension === 'term' ? undefined : records.get(recordKey(spike.dimension, spike.key));
    const wider = category === undefined ? undefined : records.get(recordKey('category', category));
    const shop = records.get(SHOP_RECORD);
    return { ...(own !== undefined ? { key: own } : {}), ...(wider !== undefined ? { category: wider } : {}), ...(shop !== undefined ? { shop } : {}) };
  }

  /** The catalog items a key's demand lands on: a product's variants, a category's or attribute's items, a search's linked items. */
  private itemsCovered(spike: Spike): CatalogItem[] {
    const expand = (sku: string): CatalogItem[] => {
      const variants = this.options.variantsOf(sku);
      if (variants.length) return [...variants];
      const item = this.options.catalog(sku);
      return item ? [item] : [];
    };
    switch (spike.dimension) {
      case 'sku': {
        const variants = this.options.variantsOf(spike.key);
        return [...variants];
      }
      case 'category':
        return [...(this.byCategory.get(spike.key)?.values() ?? [])];
      case 'attribute':
        return [...(this.byAttribute.get(spike.key)?.values() ?? [])];
      case 'query':
      case 'term':
        return (spike.linkedTo ?? []).filter((link) => link.startsWith('sku:')).flatMap((link) => expand(link.slice(4)));
      default:
        return [];
    }
  }
}

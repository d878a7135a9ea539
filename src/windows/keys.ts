/**
 * Turns one event into the observations the windows count: one per
 * dimension the event speaks for. Pure; the catalog is looked up through a
 * function so that catalog updates apply to every later event.
 */
import { normalizeQuery, queryTerms, type CatalogItem, type Dimension, type Signal, type TrendEvent } from '../domain.js';
import { Memo } from './memo.js';
import { fnv1a } from '../hash.js';

/** One thing to count in one window: `weight` events of `signal` for `key`. */
export interface Observation {
  readonly dimension: Dimension;
  readonly key: string;
  readonly signal: Signal;
  /** Event time, epoch ms. */
  readonly ts: number;
  /** Units sold (sales), otherwise 0. */
  readonly units: number;
  /** Revenue (sales with a known price), otherwise 0. */
  readonly revenue: number;
  /**
   * The shopper (user, else session) hashed to one of 32 buckets, so windows
   * can estimate distinct shoppers per key; -1 when the event names neither.
   */
  readonly actorBit: number;
}

/** FNV-1a, folded to the 32 buckets of a linear-counting sketch. */
export function actorBit(actor: string | undefined): number {
  return actor === undefined ? -1 : fnv1a(actor) % 32;
}

export type CatalogLookup = (sku: string) => CatalogItem | undefined;

/**
 * The catalog keys a normalised search query speaks for (see
 * src/detect/linking.ts): the search is counted on them too, as a `search`
 * signal, so searches lift items, categories and attributes before sales move.
 */
export type SearchLinks = (normalizedQuery: string) => readonly { readonly dimension: Dimension; readonly key: string }[];

interface DimensionKey {
  readonly dimension: Dimension;
  readonly key: string;
}

/**
 * The product, category and attribute keys an item counts on, built once per item
 * (items are immutable values: an update is a new object) instead of per
 * event.
 */
const itemKeys = new WeakMap<CatalogItem, readonly DimensionKey[]>();
function keysOfItem(item: CatalogItem): readonly DimensionKey[] {
  let keys = itemKeys.get(item);
  if (!keys) {
    // A variant's activity is also its product's (a trend in a product shows whatever the size).
    const list: DimensionKey[] = item.parent === undefined ? [] : [{ dimension: 'sku', key: item.parent }];
    list.push({ dimension: 'category', key: item.category });
    for (const [name, value] of Object.entries(item.attributes ?? {})) list.push({ dimension: 'attribute', key: `${name}=${value}` });
    itemKeys.set(item, (keys = list));
  }
  return keys;
}

/**
 * A query as typed -> its normalised form and terms. Popular queries repeat
 * all the time; a bounded memo spares the string work for them (same values
 * as computing them afresh).
 */
const queryMemo = new Memo<{ readonly normalized: string; readonly terms: readonly string[] }>(20_000, (query) => {
  const normalized = normalizeQuery(query);
  return { normalized, terms: queryTerms(normalized) };
});
const analyseQuery = (query: string) => queryMemo.get(query);

/** `normalizeQuery(query)`, from the memo when the query was seen lately. */
export function normalizedQuery(query: string): string {
  return analyseQuery(query).normalized;
}

/** Every observation one event contributes, across all dimensions. */
export function observe(event: TrendEvent, catalog: CatalogLookup, links?: SearchLinks): Observation[] {
  const out: Observation[] = [];
  const { ts } = event;
  const signal = event.kind;
  const bit = actorBit(event.user ?? (event.kind === 'sale' ? undefined : event.session));

  if (event.kind === 'search') {
    const { normalized, terms } = analyseQuery(event.query);
    out.push({ dimension: 'query', key: normalized, signal, ts, units: 0, revenue: 0, actorBit: bit });
    for (const term of terms) out.push({ dimension: 'term', key: term, signal, ts, units: 0, revenue: 0, actorBit: bit });
    if (links) for (const link of links(normalized)) out.push({ dimension: link.dimension, key: link.key, signal, ts, units: 0, revenue: 0, actorBit: bit });
  } else {
    const item = catalog(event.sku);
    const units = event.kind === 'sale' ? event.qty : 0;
    const price = event.kind === 'sale' ? (event.price ?? item?.price ?? 0) : 0;
    const revenue = units * price;
    out.push({ dimension: 'sku', key: event.sku, signal, ts, units, revenue, actorBit: bit });
    if (item) for (const { dimension, key } of keysOfItem(item)) out.push({ dimension, key, signal, ts, units, revenue, actorBit: bit });
  }
  if (event.region !== undefined) out.push({ dimension: 'region', key: event.region, signal, ts, units: 0, revenue: 0, actorBit: bit });
  return out;
}

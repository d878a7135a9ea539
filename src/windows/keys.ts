/**
 * Turns one event into the observations the windows count: one per
 * dimension the event speaks for. Pure; the catalog is looked up through a
 * function so that catalog updates apply to every later event.
 */
import type { CatalogItem, Dimension, Signal, TrendEvent } from '../domain.js';

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
  if (actor === undefined) return -1;
  let hash = 0x811c9dc5;
  for (let i = 0; i < actor.length; i++) hash = Math.imul(hash ^ actor.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % 32;
}

export type CatalogLookup = (sku: string) => CatalogItem | undefined;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Normalises a search query so that spellings of the same search count
 * together: Unicode NFKC, case-folded, trimmed, inner white space collapsed.
 */
export function normalizeQuery(query: string): string {
  // Printable ASCII is its own NFKC form and lower-cases the same in every
  // locale: skip the Unicode work for it (most queries), same result.
  if (PRINTABLE_ASCII.test(query)) return query.toLowerCase().trim().replace(/\s+/g, ' ');
  return query.normalize('NFKC').toLocaleLowerCase('und').trim().replace(/\s+/gu, ' ');
}

/** Words too common to be a trend on their own. */
const STOP_WORDS = new Set(['a', 'an', 'and', 'the', 'for', 'of', 'in', 'on', 'with', 'to', 'by', 'de', 'la', 'le', 'und', 'der', 'die']);

/** The distinct terms of a normalised query: letters and digits, stop words and 1-letter tokens dropped. */
export function queryTerms(normalized: string): string[] {
  const terms = new Set<string>();
  for (const token of normalized.split(/[^\p{L}\p{N}]+/u)) {
    if (token.length > 1 && !STOP_WORDS.has(token)) terms.add(token);
  }
  return [...terms];
}

/**
 * The catalog keys a normalised search query speaks for (see
 * src/detect/linking.ts): the search is counted on them too, as a `search`
 * signal, so searches lift items, categories and attributes before sales move.
 */
export type SearchLinks = (normalizedQuery: string) => readonly { readonly dimension: Dimension; readonly key: string }[];

/** Every observation one event contributes, across all dimensions. */
export function observe(event: TrendEvent, catalog: CatalogLookup, links?: SearchLinks): Observation[] {
  const out: Observation[] = [];
  const { ts } = event;
  const bit = actorBit(event.user ?? (event.kind === 'sale' ? undefined : event.session));
  const push = (dimension: Dimension, key: string, units = 0, revenue = 0) =>
    out.push({ dimension, key, signal: event.kind, ts, units, revenue, actorBit: bit });

  if (event.kind === 'search') {
    const query = normalizeQuery(event.query);
    push('query', query);
    for (const term of queryTerms(query)) push('term', term);
    if (links) for (const link of links(query)) push(link.dimension, link.key);
  } else {
    const item = catalog(event.sku);
    const units = event.kind === 'sale' ? event.qty : 0;
    const price = event.kind === 'sale' ? (event.price ?? item?.price ?? 0) : 0;
    const revenue = units * price;
    push('sku', event.sku, units, revenue);
    if (item) {
      push('category', item.category, units, revenue);
      for (const [name, value] of Object.entries(item.attributes ?? {})) {
        push('attribute', `${name}=${value}`, units, revenue);
      }
    }
  }
  if (event.region !== undefined) push('region', event.region, 0, 0);
  return out;
}

/**
 * Domain types shared by every stage of the pipeline. Pure data, camelCase;
 * the wire shapes (NATS JSON, ClickHouse rows, WebSocket messages) live next
 * to the adapters that speak them. Also the domain's own pure rules that
 * several stages must apply alike: what counts as the same search
 * (`normalizeQuery`, `queryTerms`), for the windows, the store, the linker
 * and the alert rules.
 */

export type EventKind = 'search' | 'view' | 'sale';
export const EVENT_KINDS: readonly EventKind[] = ['search', 'view', 'sale'];

interface EventBase {
  /** Producer-assigned id; the same id delivered twice is one event. */
  readonly id: string;
  /** Event time, epoch milliseconds. */
  readonly ts: number;
  readonly region?: string;
  readonly user?: string;
}

export interface SearchEvent extends EventBase {
  readonly kind: 'search';
  /** The query as typed (trimmed). */
  readonly query: string;
  readonly session?: string;
}

export interface ViewEvent extends EventBase {
  readonly kind: 'view';
  readonly sku: string;
  readonly session?: string;
}

export interface SaleEvent extends EventBase {
  readonly kind: 'sale';
  readonly sku: string;
  readonly qty: number;
  readonly price?: number;
  readonly currency?: string;
}

export type TrendEvent = SearchEvent | ViewEvent | SaleEvent;

/** A catalog item (contract section 2). */
export interface CatalogItem {
  readonly sku: string;
  readonly title: string;
  readonly category: string;
  readonly brand?: string;
  readonly price?: number;
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * The product this item is a variant of (variants share it and differ in
   * attributes such as color and size); views and sales of a variant also
   * count for the product.
   */
  readonly parent?: string;
}

/** What a count is kept along. `attribute` keys read `name=value`, e.g. `color=red`. */
export type Dimension = 'sku' | 'query' | 'term' | 'category' | 'attribute' | 'region';
export const DIMENSIONS: readonly Dimension[] = ['sku', 'query', 'term', 'category', 'attribute', 'region'];

/** Which kind of shopper activity a count came from. */
export type Signal = EventKind;

/** Which way a key moved: above its expected level, or below it (a stock-out, a broken listing). */
export type Direction = 'rising' | 'falling';

/**
 * A spike's life: `rising` (a rise that is new or still growing) or
 * `falling` (a fall that is new or still deepening), then `ongoing`, then
 * `ended`.
 */
export type SpikeStatus = 'rising' | 'falling' | 'ongoing' | 'ended';

/** Why a spike ended: it fell back (`faded`), or stayed up and became the baseline (`new-normal`). */
export type EndReason = 'faded' | 'new-normal';

/** How much of a key's window volume each signal contributed. */
export type SignalMix = Record<Signal, number>;

/** A spike as the detector reports it: opened, updated each slide, ended. */
export interface Spike {
  /** Stable for the spike's whole life: `dimension:key:startedAt`. */
  readonly spikeId: string;
  readonly dimension: Dimension;
  readonly key: string;
  /** Above its expected level (a surge), or below it (a stock-out, a broken listing). */
  readonly direction: Direction;
  readonly status: SpikeStatus;
  /** Surprise of the latest window against the baseline, in standard deviations (negative for a fall). */
  readonly score: number;
  /** Events in the latest window. */
  readonly volume: number;
  /** What the baseline expected for that window. */
  readonly expected: number;
  /** (volume - expected) / expected, as a percentage (negative for a fall). */
  readonly pctAbove: number;
  /**
   * Event time (window end) at which the spike started: its first surprising
   * window. It is reported once a second window confirms it.
   */
  readonly startedAt: number;
  /** Event time of the latest window end that updated it. */
  readonly updatedAt: number;
  /** Set once status is `ended`. */
  readonly endedAt?: number;
  readonly peakScore: number;
  readonly peakVolume: number;
  /** Ranking weight: relative surge (or fall) times log volume (or volume lost). */
  readonly trendScore: number;
  /** Events per signal in the latest window. */
  readonly drivers: SignalMix;
  /** Event time (window end) of the peak volume. */
  readonly peakAt?: number;
  /**
   * The signals carrying the surge, largest first: those with at least a
   * fifth of the events above the key's usual signal mix. `['search']` on a
   * sku is demand arriving before views and sales move.
   */
  readonly drivenBy?: readonly Signal[];
  /** Distinct users/sessions in the latest window, when the windows count them. */
  readonly actors?: number;
  /** Set with `ended`. */
  readonly endReason?: EndReason;
  /** Query and term spikes: the catalog keys the search links to, as `dimension:key`. */
  readonly linkedTo?: readonly string[];
}

/**
 * Live counters for the wall's big numbers, in processing time: what one
 * instance counted (src/feed/counters.ts), or the cluster's sum.
 */
export interface Counters {
  readonly eventsPerSec: number;
  readonly salesLastMinute: number;
  readonly revenueLastMinute: number;
  readonly salesToday: number;
  readonly revenueToday: number;
}

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

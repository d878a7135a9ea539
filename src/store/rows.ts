/**
 * Rows as ClickHouse stores them (snake_case, mirroring src/store/schema.ts),
 * and the mapping from domain events.
 */
import type { UnmetEntry } from '../detect/unmet.js';
import type { CatalogItem, Spike, TrendEvent } from '../domain.js';
import { normalizedQuery } from '../windows/keys.js';

/** ClickHouse DateTime64(3) accepts epoch milliseconds in JSONEachRow. */
type Millis = number;

export interface SearchRow {
  id: string;
  ts: Millis;
  query: string;
  query_norm: string;
  region: string;
  user: string;
  session: string;
  received_at: Millis;
}

export interface ViewRow {
  id: string;
  ts: Millis;
  sku: string;
  region: string;
  user: string;
  session: string;
  received_at: Millis;
}

export interface SaleRow {
  id: string;
  ts: Millis;
  sku: string;
  qty: number;
  price: number | null;
  currency: string;
  region: string;
  user: string;
  received_at: Millis;
}

export interface DeadLetterRow {
  received_at: Millis;
  subject: string;
  reason: string;
  detail: string;
  payload: string;
  payload_bytes: number;
  stream_seq: number;
}

export interface SpikeRow {
  spike_id: string;
  dimension: string;
  key: string;
  direction: string;
  status: string;
  score: number;
  volume: number;
  expected: number;
  pct_above: number;
  started_at: Millis;
  updated_at: Millis;
  ended_at: Millis | null;
  peak_score: number;
  peak_volume: number;
  trend_score: number;
  searches: number;
  views: number;
  sales: number;
}

export interface CatalogRow {
  sku: string;
  title: string;
  category: string;
  brand: string;
  price: number | null;
  attributes: Record<string, string>;
  parent: string;
  updated_at: Millis;
}

export type EventTable = 'events_search' | 'events_view' | 'events_sale';

export const TABLE_OF_KIND: Record<TrendEvent['kind'], EventTable> = {
  search: 'events_search',
  view: 'events_view',
  sale: 'events_sale',
};

/** One object per row, fields in a fixed order (one shape per table for the JSON encoder). */
export function eventRow(event: TrendEvent, receivedAt: Millis): SearchRow | ViewRow | SaleRow {
  const { id, ts } = event;
  const region = event.region ?? '';
  const user = event.user ?? '';
  switch (event.kind) {
    case 'search':
      return { id, ts, region, user, received_at: receivedAt, query: event.query, query_norm: normalizedQuery(event.query), session: event.session ?? '' };
    case 'view':
      return { id, ts, region, user, received_at: receivedAt, sku: event.sku, session: event.session ?? '' };
    case 'sale':
      return { id, ts, region, user, received_at: receivedAt, sku: event.sku, qty: event.qty, price: event.price ?? null, currency: event.currency ?? '' };
  }
}

export function spikeRow(spike: Spike): SpikeRow {
  return {
    spike_id: spike.spikeId,
    dimension: spike.dimension,
    key: spike.key,
    direction: spike.direction,
    status: spike.status,
    score: spike.score,
    volume: spike.volume,
    expected: spike.expected,
    pct_above: spike.pctAbove,
    started_at: spike.startedAt,
    updated_at: spike.updatedAt,
    ended_at: spike.endedAt ?? null,
    peak_score: spike.peakScore,
    peak_volume: spike.peakVolume,
    trend_score: spike.trendScore,
    searches: spike.drivers.search,
    views: spike.drivers.view,
    sales: spike.drivers.sale,
  };
}

export function catalogRow(item: CatalogItem, updatedAt: Millis): CatalogRow {
  return {
    sku: item.sku,
    title: item.title,
    category: item.category,
    brand: item.brand ?? '',
    price: item.price ?? null,
    attributes: { ...item.attributes },
    parent: item.parent ?? '',
    updated_at: updatedAt,
  };
}

/** A row of `unmet_demand` (migration 8). */
export interface UnmetRow {
  spike_id: string;
  dimension: string;
  key: string;
  status: string;
  score: number;
  volume: number;
  expected: number;
  trend_score: number;
  started_at: Millis;
  updated_at: Millis;
  ended_at: Millis | null;
  missing: string[];
  strength: number;
  nearest: string[];
  co_searched: string[];
}

export function unmetRow({ spike, unmet }: UnmetEntry): UnmetRow {
  return {
    spike_id: spike.spikeId,
    dimension: spike.dimension,
    key: spike.key,
    status: spike.status,
    score: spike.score,
    volume: spike.volume,
    expected: spike.expected,
    trend_score: spike.trendScore,
    started_at: spike.startedAt,
    updated_at: spike.updatedAt,
    ended_at: spike.endedAt ?? null,
    missing: [...unmet.missing],
    strength: unmet.strength,
    nearest: [...unmet.nearest],
    co_searched: [...unmet.coSearched],
  };
}

/**
 * Stored events for a backtest, read back from ClickHouse in event-time
 * order, one slice of time at a time (so memory stays bounded whatever the
 * range), exactly once per event id (FINAL), as TrendEvents. Also the
 * catalog as stored.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { CatalogItem, TrendEvent } from '../domain.js';
import { ident } from '../store/client.js';

/** Event time read per query: an hour keeps a busy shop's slice to a few hundred thousand rows. */
const SLICE_MS = 3_600_000;

type Row = [kind: 'search' | 'view' | 'sale', id: string, ts: string | number, key: string, qty: number, price: number | null, currency: string, region: string, user: string, session: string];

function toEvent(row: Row): TrendEvent {
  const [kind, id, tsText, key, qty, price, currency, region, user, session] = row;
  const ts = Number(tsText);
  const common = { id, ts, ...(region ? { region } : {}), ...(user ? { user } : {}) };
  if (kind === 'search') return { kind, ...common, query: key, ...(session ? { session } : {}) };
  if (kind === 'view') return { kind, ...common, sku: key, ...(session ? { session } : {}) };
  return { kind, ...common, sku: key, qty, ...(price !== null ? { price } : {}), ...(currency ? { currency } : {}) };
}

/** Every stored event with `fromMs <= ts < toMs`, in slices of event time, each in time order. */
export async function* storedEvents(client: ClickHouseClient, database: string, fromMs: number, toMs: number): AsyncGenerator<TrendEvent[]> {
  const db = ident(database);
  for (let start = fromMs; start < toMs; start += SLICE_MS) {
    const end = Math.min(toMs, start + SLICE_MS);
    const range = 'ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})';
    const result = await client.query({
      query: `SELECT kind, id, ts, key, qty, price, currency, region, user, session FROM (
                SELECT 'search' AS kind, id, toUnixTimestamp64Milli(ts) AS ts, query AS key, toUInt32(0) AS qty, CAST(NULL, 'Nullable(Float64)') AS price,
                       '' AS currency, toString(region) AS region, user, session FROM ${db}.events_search FINAL WHERE ${range}
                UNION ALL
                SELECT 'view', id, toUnixTimestamp64Milli(ts), sku, toUInt32(0), CAST(NULL, 'Nullable(Float64)'), '', toString(region), user, session
                FROM ${db}.events_view FINAL WHERE ${range}
                UNION ALL
                SELECT 'sale', id, toUnixTimestamp64Milli(ts), sku, qty, price, toString(currency), toString(region), user, ''
                FROM ${db}.events_sale FINAL WHERE ${range})
              ORDER BY ts, id`,
      query_params: { from: start, to: end },
      format: 'JSONCompactEachRow',
    });
    const rows = await result.json<Row>();
    yield rows.map(toEvent);
  }
}

/** The first and last stored event times, to say what a range holds. */
export async function storedSpan(client: ClickHouseClient, database: string): Promise<{ first?: number; last?: number }> {
  const db = ident(database);
  const result = await client.query({
    query: `SELECT min(f) AS first, max(l) AS last FROM (
              SELECT toUnixTimestamp64Milli(min(ts)) AS f, toUnixTimestamp64Milli(max(ts)) AS l, count() AS n FROM ${db}.events_search
              UNION ALL SELECT toUnixTimestamp64Milli(min(ts)), toUnixTimestamp64Milli(max(ts)), count() FROM ${db}.events_view
              UNION ALL SELECT toUnixTimestamp64Milli(min(ts)), toUnixTimestamp64Milli(max(ts)), count() FROM ${db}.events_sale)
            WHERE n > 0`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ first: string | number | null; last: string | number | null }>();
  return row?.first ? { first: Number(row.first), last: Number(row.last) } : {};
}

/** The catalog as stored (newest version of each item). */
export async function storedCatalog(client: ClickHouseClient, database: string): Promise<CatalogItem[]> {
  const result = await client.query({
    query: `SELECT sku, title, category, brand, price, attributes, parent FROM ${ident(database)}.catalog FINAL`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ sku: string; title: string; category: string; brand: string; price: number | null; attributes: Record<string, string>; parent: string }>();
  return rows.map((r) => ({
    sku: r.sku,
    title: r.title,
    category: r.category,
    ...(r.brand ? { brand: r.brand } : {}),
    ...(r.price !== null ? { price: r.price } : {}),
    ...(Object.keys(r.attributes).length ? { attributes: r.attributes } : {}),
    ...(r.parent ? { parent: r.parent } : {}),
  }));
}

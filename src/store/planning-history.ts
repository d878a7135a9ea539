/**
 * What the demand projection learns from ClickHouse (src/alerts/planning.ts):
 * how past surges played out (each spike's counts around it, from the
 * per-minute rollups, fitted into a curve), each key's and category's best
 * day, units sold per item lately, and how far items' conversion sits from
 * their category's. Read at start and every few minutes; a failed read
 * keeps the last figures.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { conversionSpread, recordKey, SHOP_RECORD, type PlanningHistory } from '../alerts/planning.js';
import { fitSurgeCurve, type CountBucket, type SurgeCurve } from '../alerts/surge-curves.js';
import type { CatalogItem, Dimension } from '../domain.js';
import { ident } from './client.js';
import { ROLLUPS, type RollupDimension } from './rollups.js';

export interface PlanningHistoryOptions {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly catalog: (sku: string) => CatalogItem | undefined;
  /** The clock (epoch ms): spikes after `now` are ignored (a backtest reads the history as of its start). */
  readonly now: number;
  /** Past spikes fitted at most, the newest first. */
  readonly maxSurges?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Dimensions whose spikes have rollups to fit from (sku views and sales; category and attribute likewise). */
const FITTED: readonly (Dimension & RollupDimension)[] = ['sku', 'category', 'attribute'];
/** Around its start a spike is read per minute, elsewhere per hour: detail where surges change fastest. */
const MINUTES_BEFORE = 6 * HOUR;
const MINUTES_AFTER = 12 * HOUR;
const HISTORY_BEFORE = 7 * DAY;
const HISTORY_AFTER = 10 * DAY;
/** A spike younger than this has too little after it to say how it went. */
const MIN_AGE = HOUR;
/** How far back "recent sales" reach. */
const RECENT_DAYS = 14;

interface BucketRow {
  spike_id: string;
  key: string;
  started_at: string | number;
  bucket: string | number;
  width: number;
  events: string | number;
  units: string | number;
}

const millis = (value: string | number) => (typeof value === 'number' ? value : Date.parse(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`));

/** The key column of a rollup as the detector spells it. */
const keyOf = (dimension: RollupDimension) => ROLLUPS[dimension].keyExpr;

/** Past spikes of one dimension with their counts around them, as curves. */
async function surgeCurves(options: PlanningHistoryOptions, dimension: RollupDimension, limit: number): Promise<SurgeCurve[]> {
  const db = ident(options.database);
  const rollup = `${db}.${ident(ROLLUPS[dimension].table)}`;
  const key = keyOf(dimension);
  const result = await options.client.query({
    query: `WITH spikes AS (
              SELECT spike_id, key, started_at, toStartOfHour(toDateTime(started_at, 'UTC')) AS hour
              FROM ${db}.spike_periods
              WHERE dimension = {dimension:String} AND started_at <= fromUnixTimestamp64Milli({until:Int64})
              ORDER BY started_at DESC LIMIT {limit:UInt32})
            SELECT s.spike_id AS spike_id, s.key AS key, toUnixTimestamp64Milli(s.started_at) AS started_at,
                   r.minute >= s.hour - INTERVAL ${MINUTES_BEFORE / 1000} SECOND AND r.minute < s.hour + INTERVAL ${MINUTES_AFTER / 1000} SECOND AS fine,
                   toUnixTimestamp(if(fine, r.minute, toStartOfHour(r.minute))) * 1000 AS bucket,
                   if(fine, 60000, 3600000) AS width,
                   sum(r.events) AS events, sumIf(r.units, r.kind = 'sale') AS units
            FROM ${rollup} AS r INNER JOIN spikes AS s ON ${key} = s.key
            WHERE ${key} IN (SELECT key FROM spikes)
              AND r.minute >= s.hour - INTERVAL ${HISTORY_BEFORE / 1000} SECOND AND r.minute < s.hour + INTERVAL ${HISTORY_AFTER / 1000} SECOND
            GROUP BY spike_id, key, started_at, fine, bucket, width`,
    query_params: { dimension, until: options.now - MIN_AGE, limit },
    format: 'JSONEachRow',
  });
  const rows = await result.json<BucketRow>();
  const bySpike = new Map<string, { key: string; startedAt: number; buckets: CountBucket[] }>();
  for (const row of rows) {
    let spike = bySpike.get(row.spike_id);
    if (!spike) bySpike.set(row.spike_id, (spike = { key: row.key, startedAt: millis(row.started_at), buckets: [] }));
    spike.buckets.push({ startMs: millis(row.bucket), widthMs: Number(row.width), events: Number(row.events), units: Number(row.units) });
  }
  const curves: SurgeCurve[] = [];
  for (const { key: spikeKey, startedAt, buckets } of bySpike.values()) {
    // Hourly buckets that hold the per-minute zone would count it twice: the zone is hour-aligned, so none do.
    const item = dimension === 'sku' ? options.catalog(spikeKey) : undefined;
    const origin = {
      dimension,
      key: spikeKey,
      ...(item ? { category: item.category, attributes: Object.entries(item.attributes ?? {}).map(([n, v]) => `${n}=${v}`) } : {}),
      ...(dimension === 'category' ? { category: spikeKey } : {}),
      ...(dimension === 'attribute' ? { attributes: [spikeKey] } : {}),
    };
    // The data ends now: a surge still running is cut there, and the projection continues it at its latest rate.
    const curve = fitSurgeCurve(origin, startedAt, buckets.filter((b) => b.startMs < options.now));
    if (curve) curves.push(curve);
  }
  return curves;
}

/**
 * Best day's units per key of a rollup, with days the shop only partly
 * covered (its first and its current day) scaled up to a whole day by the
 * part covered (at least an hour).
 */
async function records(options: PlanningHistoryOptions, dimension: RollupDimension): Promise<[string, number][]> {
  const db = ident(options.database);
  const rollup = `${db}.${ident(ROLLUPS[dimension].table)}`;
  const result = await options.client.query({
    query: `WITH coverage AS (
              SELECT toDate(minute) AS day, greatest(60, dateDiff('minute', min(minute), max(minute)) + 1) AS minutes
              FROM ${db}.${ident(ROLLUPS.region.table)} WHERE minute < fromUnixTimestamp64Milli({until:Int64}) GROUP BY day)
            SELECT key, max(units * 1440 / minutes) AS best
            FROM (SELECT ${keyOf(dimension)} AS key, toDate(minute) AS day, sum(units) AS units
                  FROM ${rollup} WHERE kind = 'sale' AND minute < fromUnixTimestamp64Milli({until:Int64}) GROUP BY key, day) AS d
            INNER JOIN coverage AS c ON c.day = d.day
            GROUP BY key`,
    query_params: { until: options.now },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ key: string; best: number }>();
  return rows.map((row) => [recordKey(dimension, row.key), Number(row.best)]);
}

/** The shop's best day: every region together. */
async function shopRecord(options: PlanningHistoryOptions): Promise<number | undefined> {
  const db = ident(options.database);
  const result = await options.client.query({
    query: `SELECT max(units * 1440 / minutes) AS best FROM (
              SELECT toDate(minute) AS day, sumIf(units, kind = 'sale') AS units,
                     greatest(60, dateDiff('minute', min(minute), max(minute)) + 1) AS minutes
              FROM ${db}.${ident(ROLLUPS.region.table)} WHERE minute < fromUnixTimestamp64Milli({until:Int64}) GROUP BY day)`,
    query_params: { until: options.now },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ best: number | null }>();
  return row?.best ? Number(row.best) : undefined;
}

/** Units, and events of any kind, per sku over the recent days. */
async function recentSkus(options: PlanningHistoryOptions): Promise<{ sku: string; events: number; units: number }[]> {
  const db = ident(options.database);
  const result = await options.client.query({
    query: `SELECT sku, sum(events) AS events, sumIf(units, kind = 'sale') AS units
            FROM ${db}.${ident(ROLLUPS.sku.table)}
            WHERE minute >= fromUnixTimestamp64Milli({since:Int64}) AND minute < fromUnixTimestamp64Milli({until:Int64})
            GROUP BY sku`,
    query_params: { since: options.now - RECENT_DAYS * DAY, until: options.now },
    format: 'JSONEachRow',
  });
  return (await result.json<{ sku: string; events: string | number; units: string | number }>()).map((r) => ({ sku: r.sku, events: Number(r.events), units: Number(r.units) }));
}

/** Reads everything the projection learns from the store, as of `options.now`. */
export async function loadPlanningHistory(options: PlanningHistoryOptions): Promise<PlanningHistory> {
  const maxSurges = options.maxSurges ?? 150;
  const curves: SurgeCurve[] = [];
  for (const dimension of FITTED) curves.push(...(await surgeCurves(options, dimension, Math.ceil(maxSurges / FITTED.length))));
  const recordList: [string, number][] = [];
  for (const dimension of ['sku', 'category', 'attribute', 'region'] as const) recordList.push(...(await records(options, dimension)));
  const shop = await shopRecord(options);
  if (shop !== undefined) recordList.push([SHOP_RECORD, shop]);
  const skus = await recentSkus(options);
  const funnels = skus.flatMap((s) => {
    const category = options.catalog(s.sku)?.category;
    return category === undefined ? [] : [{ category, events: s.events, units: s.units }];
  });
  const spread = conversionSpread(funnels);
  return {
    curves,
    records: new Map(recordList),
    recentUnits: new Map(skus.map((s) => [s.sku, s.units])),
    ...(spread !== undefined ? { conversionSpread: spread } : {}),
  };
}

/**
 * The analytics API's own SQL, over the per-minute rollups and spikes. Every
 * value is a ClickHouse query parameter; table names and key expressions
 * come from the fixed ROLLUPS description, never from a request.
 */
import type { EventKind } from '../domain.js';
import { ident } from '../store/client.js';
import type { Rollup } from '../store/rollups.js';

export interface BuiltQuery {
  readonly query: string;
  readonly query_params: Record<string, unknown>;
}

export interface RollupFilters {
  /** Empty: every region. */
  readonly region: string;
  /** Undefined: every kind the rollup holds. */
  readonly kind?: EventKind;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const table = (database: string, rollup: Rollup) => `${ident(database)}.${ident(rollup.table)}`;

const FILTERS = `({region:String} = '' OR region = {region:String})
          AND ({kind:String} = '' OR kind = {kind:String})`;

export interface TrendingRequest extends RollupFilters {
  /** The window is [toMs - windowMs, toMs); it is compared with the window before it. */
  readonly toMs: number;
  readonly windowMs: number;
  readonly limit: number;
}

/**
 * Keys ranked by how far their events in the window rose above the window
 * before: (current - previous) / sqrt(current + previous), the change in
 * standard deviations if both were Poisson counts. Keys new in the window
 * rank by their volume; keys that fell rank last.
 */
export function trendingQuery(database: string, rollup: Rollup, request: TrendingRequest): BuiltQuery {
  const current = `minute >= toDateTime({from:UInt32}, 'UTC')`;
  return {
    query: `SELECT ${rollup.keyExpr} AS key,
          sumIf(events, ${current}) AS current,
          sumIf(events, NOT (${current})) AS previous,
          (current - previous) / sqrt(current + previous) AS score,
          uniqMergeIf(users, ${current}) AS users,
          sumIf(units, ${current}) AS units,
          round(sumIf(revenue, ${current}), 2) AS revenue
        FROM ${table(database, rollup)}
        WHERE minute >= toDateTime({previous:UInt32}, 'UTC') AND minute < toDateTime({to:UInt32}, 'UTC')
          AND ${FILTERS}
        GROUP BY key
        HAVING current > 0
        ORDER BY score DESC, current DESC, key
        LIMIT {limit:UInt32}`,
    query_params: {
      previous: seconds(request.toMs - 2 * request.windowMs),
      from: seconds(request.toMs - request.windowMs),
      to: seconds(request.toMs),
      region: request.region,
      kind: request.kind ?? '',
      limit: request.limit,
    },
  };
}

export interface SeriesRequest extends RollupFilters {
  /** The key's parts, one per key column of the rollup (`color`, `red` for `color=red`). */
  readonly keyParts: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepMs: number;
}

/** One key's counts per step over [from, to), every step present (zeros where nothing happened). */
export function seriesQuery(database: string, rollup: Rollup, request: SeriesRequest): BuiltQuery {
  const keyParams = Object.fromEntries(rollup.keys.map((k, i) => [`key_${i}`, request.keyParts[i]]));
  return {
    query: `SELECT intDiv(toUnixTimestamp(minute), {step:UInt32}) * {step:UInt32} AS t,
          sumIf(events, kind = 'search') AS searches,
          sumIf(events, kind = 'view') AS views,
          sumIf(events, kind = 'sale') AS sales,
          sum(units) AS units,
          round(sum(revenue), 2) AS revenue,
          uniqMerge(users) AS users
        FROM ${table(database, rollup)}
        WHERE ${rollup.keys.map((k, i) => `${ident(k.name)} = {key_${i}:String}`).join(' AND ')}
          AND minute >= toDateTime({from:UInt32}, 'UTC') AND minute < toDateTime({to:UInt32}, 'UTC')
          AND ${FILTERS}
        GROUP BY t
        ORDER BY t WITH FILL FROM {from:UInt32} TO {to:UInt32} STEP {step:UInt32}`,
    query_params: {
      ...keyParams,
      from: seconds(request.fromMs),
      to: seconds(request.toMs),
      step: seconds(request.stepMs),
      region: request.region,
      kind: request.kind ?? '',
    },
  };
}

export interface SpikesRequest {
  readonly fromMs: number;
  readonly toMs: number;
  readonly dimension: string;
  readonly key: string;
  readonly status: string;
  readonly direction: string;
  readonly limit: number;
}

/** Spikes open at some time in [from, to), one row each with its latest status, newest first. */
export function spikesQuery(database: string, request: SpikesRequest): BuiltQuery {
  return {
    query: `SELECT spike_id, dimension, key, direction, status,
          toUnixTimestamp64Milli(first_start) AS started_at,
          toUnixTimestamp64Milli(last_end) AS ended_at,
          toUnixTimestamp64Milli(last_update) AS updated_at,
          peak_score, peak_volume
        FROM (
          SELECT s.spike_id AS spike_id, s.dimension AS dimension, s.key AS key, any(s.direction) AS direction,
            argMax(s.status, s.updated_at) AS status,
            min(s.started_at) AS first_start, max(s.ended_at) AS last_end, max(s.updated_at) AS last_update,
            if(any(s.direction) = 'falling', min(s.peak_score), max(s.peak_score)) AS peak_score,
            if(any(s.direction) = 'falling', min(s.peak_volume), max(s.peak_volume)) AS peak_volume
          FROM ${ident(database)}.spikes AS s
          WHERE s.updated_at >= fromUnixTimestamp64Milli({from:Int64})
            AND s.started_at < fromUnixTimestamp64Milli({to:Int64})
            AND ({dimension:String} = '' OR s.dimension = {dimension:String})
            AND ({key:String} = '' OR s.key = {key:String})
          GROUP BY s.spike_id, s.dimension, s.key
          HAVING ({status:String} = '' OR status = {status:String})
            AND ({direction:String} = '' OR direction = {direction:String})
        )
        ORDER BY last_update DESC, spike_id
        LIMIT {limit:UInt32}`,
    query_params: {
      from: request.fromMs,
      to: request.toMs,
      dimension: request.dimension,
      key: request.key,
      status: request.status,
      direction: request.direction,
      limit: request.limit,
    },
  };
}

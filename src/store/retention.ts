/**
 * How long ClickHouse keeps rows (RAW_TTL_DAYS, ROLLUP_TTL_DAYS), applied
 * at every start as table TTLs. A TTL is only altered when it differs from
 * the configured one, because changing it rewrites the table's parts.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Ddl, type SchemaTarget } from './ddl.js';
import { ROLLUPS } from './rollups.js';

export interface Retention {
  /** Days raw events and dead letters are kept; 0 keeps them forever. */
  readonly rawDays: number;
  /** Days the per-minute rollups are kept; 0 keeps them forever. */
  readonly rollupDays: number;
}

interface Retained {
  readonly table: string;
  /** The time column rows expire by. */
  readonly column: string;
  readonly class: keyof Retention;
}

export const RETAINED: readonly Retained[] = [
  { table: 'events_search', column: 'ts', class: 'rawDays' },
  { table: 'events_view', column: 'ts', class: 'rawDays' },
  { table: 'events_sale', column: 'ts', class: 'rawDays' },
  { table: 'dead_letters', column: 'received_at', class: 'rawDays' },
  ...Object.values(ROLLUPS).map((r): Retained => ({ table: r.table, column: 'minute', class: 'rollupDays' })),
];

/** The days of a table's TTL as ClickHouse shows it in `engine_full`, 0 for none. */
export function ttlDays(engineFull: string): number {
  const match = /\bTTL\b.*?toIntervalDay\((\d+)\)/.exec(engineFull);
  return match ? Number(match[1]) : 0;
}

/** The ALTER that gives `table` a TTL of `days` (0: none). */
export function ttlStatement(ddl: Ddl, table: string, column: string, days: number): string {
  if (!Number.isSafeInteger(days) || days < 0) throw new RangeError(`TTL days must be a whole number >= 0, got ${days}`);
  return ddl.alter(table, days === 0 ? 'REMOVE TTL' : `MODIFY TTL toDateTime(${column}) + INTERVAL ${days} DAY`);
}

/** Brings every table's TTL to the configured retention; returns the tables altered. */
export async function applyRetention(client: ClickHouseClient, target: SchemaTarget, retention: Retention): Promise<string[]> {
  const ddl = new Ddl(target);
  const result = await client.query({
    query: 'SELECT name, engine_full FROM system.tables WHERE database = {database:String}',
    query_params: { database: target.database },
    format: 'JSONEachRow',
  });
  const current = new Map((await result.json<{ name: string; engine_full: string }>()).map((t) => [t.name, ttlDays(t.engine_full)]));
  const altered: string[] = [];
  for (const { table, column, class: kind } of RETAINED) {
    const days = retention[kind];
    if ((current.get(ddl.localName(table)) ?? 0) === days) continue;
    await client.command({ query: ttlStatement(ddl, table, column, days) });
    altered.push(table);
  }
  return altered;
}

/**
 * Finding raw event rows that are stored already, so that the writer leaves
 * a redelivered or repeated event out of its insert and the rollups'
 * materialized views count every event once (docs/analytics.md, Exactness).
 *
 * A raw row is one event by its sorting key, (key, ts, id): the key on which
 * the raw tables' ReplacingMergeTree collapses copies, and what `FINAL`
 * counts once. The lookup hands ClickHouse whole sorting keys, so it reads
 * only the parts whose time range holds them and one granule per key in each
 * (the primary index): measured on chDB, 10,000 keys against 200,000 stored
 * rows in 150-300 ms on a busy 2-core machine, about one to three times the
 * time of inserting them. Only rows that may be stored are looked up. Keys
 * travel as query parameters, in the URL over HTTP: 2,000 per query keeps it
 * near 150 KB, under ClickHouse's 1 MiB limit (a proxy in front of
 * ClickHouse must allow such URLs).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ident } from './client.js';
import type { EventTable } from './rows.js';
import type { FindStored } from './writer.js';

/** Each raw table's sorting key (src/store/schema.ts, version 1): the columns that make a row one event. */
export const EVENT_IDENTITY: Readonly<Record<EventTable, readonly [key: string, ts: 'ts', id: 'id']>> = {
  events_search: ['query_norm', 'ts', 'id'],
  events_view: ['sku', 'ts', 'id'],
  events_sale: ['sku', 'ts', 'id'],
};

const KEYS_PER_QUERY = 2_000;

const isEventTable = (table: string): table is EventTable => Object.hasOwn(EVENT_IDENTITY, table);

/** One string per identity, for comparing rows in memory; `ts` as epoch milliseconds. */
const identityOf = (key: unknown, ts: unknown, id: unknown) => `${String(key)}\u0000${Number(ts)}\u0000${String(id)}`;

/** The identities among `rows` that `table` holds. */
async function storedIdentities(client: ClickHouseClient, database: string, table: EventTable, rows: readonly Record<string, unknown>[]): Promise<Set<string>> {
  const key = ident(EVENT_IDENTITY[table][0]);
  const result = await client.query({
    // Aliases differ from the column names: an alias would stand for its column in WHERE.
    query: `SELECT ${key} AS key_value, toUnixTimestamp64Milli(ts) AS ts_ms, id FROM ${ident(database)}.${ident(table)}
      WHERE (${key}, ts, id) IN (
        SELECT k.1, fromUnixTimestamp64Milli(k.2, 'UTC'), k.3
        FROM (SELECT arrayJoin(arrayZip({keys:Array(String)}, {ts:Array(Int64)}, {ids:Array(String)})) AS k))`,
    query_params: {
      keys: rows.map((row) => row[EVENT_IDENTITY[table][0]]),
      ts: rows.map((row) => row.ts),
      ids: rows.map((row) => row.id),
    },
    format: 'JSONEachRow',
  });
  const found = await result.json<{ key_value: string; ts_ms: string | number; id: string }>();
  return new Set(found.map((row) => identityOf(row.key_value, row.ts_ms, row.id)));
}

/**
 * The writer's FindStored for trendmon's raw event tables (other tables'
 * rows are never left out): a suspect repeating an earlier row of its batch
 * is left out at once; the others are looked up in `database`.
 */
export function findStoredEvents(client: ClickHouseClient, database: string): FindStored {
  return async (table, rows, suspects) => {
    const leftOut = new Set<number>();
    if (!isEventTable(table)) return leftOut;
    const [key] = EVENT_IDENTITY[table];
    const events = rows as readonly Record<string, unknown>[];
    const identities = events.map((row) => identityOf(row[key], row.ts, row.id));
    const suspect = new Uint8Array(rows.length);
    for (const i of suspects) suspect[i] = 1;
    const earlier = new Set<string>();
    const lookUp: number[] = [];
    identities.forEach((identity, i) => {
      if (suspect[i] && earlier.has(identity)) leftOut.add(i);
      else if (suspect[i]) lookUp.push(i);
      earlier.add(identity);
    });
    for (let from = 0; from < lookUp.length; from += KEYS_PER_QUERY) {
      const chunk = lookUp.slice(from, from + KEYS_PER_QUERY);
      const stored = await storedIdentities(client, database, table, chunk.map((i) => events[i]!));
      for (const i of chunk) if (stored.has(identities[i]!)) leftOut.add(i);
    }
    return leftOut;
  };
}

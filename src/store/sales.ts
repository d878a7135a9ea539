/** Store queries the live app needs at start. */
import type { ClickHouseClient } from '@clickhouse/client';
import { ident } from './client.js';

/** Units and revenue sold since `since` (for the wall's "today" counters after a restart). */
export async function salesSince(client: ClickHouseClient, database: string, since: number): Promise<{ units: number; revenue: number }> {
  const result = await client.query({
    query: `SELECT sum(qty) AS units, sum(qty * ifNull(price, 0)) AS revenue
            FROM ${ident(database)}.events_sale FINAL WHERE ts >= fromUnixTimestamp64Milli({since:Int64})`,
    query_params: { since },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ units: string | number; revenue: number }>();
  return { units: Number(row?.units ?? 0), revenue: Number(row?.revenue ?? 0) };
}

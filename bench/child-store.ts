/**
 * The store alone, in its own process: rows/s into ClickHouse (the
 * configured one: CLICKHOUSE_URL, else embedded chDB in DATA_DIR) through
 * @clickhouse/client, by batch size and format, on trendmon's real schema
 * (`events_view` with its rollup materialized views, after the catalog is
 * stored), plus the same rows into a copy of the table without views.
 *
 * Per configuration: inserts one batch at a time (as the writer does per
 * table) until `ROWS` rows or `SECONDS` have passed (at least 3 inserts),
 * and records the event-loop delay (perf_hooks, 1 ms resolution) meanwhile:
 * how long the insert blocks the loop.
 *
 * IPC: sends `done` {results: StoreResult[]}.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ClickHouseClient, DataFormat } from '@clickhouse/client';
import { ident, openClickHouse } from '../src/store/client.js';
import { catalogRow, eventRow } from '../src/store/rows.js';
import { migrate } from '../src/store/schema.js';
import { tell } from './lib/child.js';
import { Workload, skuName } from './lib/workload.js';

export interface StoreResult {
  readonly table: string;
  readonly format: string;
  readonly batchRows: number;
  readonly inserts: number;
  readonly rowsPerSec: number;
  readonly msPerInsert: number;
  readonly loopMaxMs: number;
  readonly loopP99Ms: number;
}

const database = process.env.TRENDMON_DB ?? 'trendmon_bench';
const db = ident(database);
const store = await openClickHouse({ url: process.env.CLICKHOUSE_URL, dataDir: process.env.DATA_DIR!, user: process.env.CLICKHOUSE_USER, password: process.env.CLICKHOUSE_PASSWORD });
const client: ClickHouseClient = store.client;
await migrate(client, { database });
await client.command({ query: `CREATE TABLE IF NOT EXISTS ${db}.bench_view_plain AS ${db}.events_view` });

const budgetRows = Number(process.env.ROWS ?? 200_000);
const budgetSeconds = Number(process.env.SECONDS ?? 4);
const sizes = (process.env.SIZES ?? '1000,5000,10000,20000,50000').split(',').map(Number);

const workload = new Workload({ scale: 1, idPrefix: 's' });
const catalog = Array.from({ length: workload.cardinality.skus }, (_, i) =>
  catalogRow({ sku: skuName(i), title: `item ${i}`, category: `cat${i % 20}`, price: 20 + (i % 80), attributes: { color: `c${i % 20}`, material: `m${i % 8}` } }, Date.now()),
);
await client.insert({ table: `${db}.catalog`, values: catalog, format: 'JSONEachRow' });

const viewRows = (n: number): Record<string, unknown>[] => {
  const rows: Record<string, unknown>[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    let event;
    do event = JSON.parse(workload.next(now - 60_000 + i).payload) as { id: string; ts: number; sku?: string; user?: string; region?: string };
    while (event.sku === undefined);
    rows.push({ ...eventRow({ kind: 'view', id: event.id, ts: event.ts, sku: event.sku, user: event.user, region: event.region }, now) });
  }
  return rows;
};

type Encoder = { readonly name: string; readonly insert: (table: string, rows: readonly Record<string, unknown>[]) => Promise<unknown> };
const columns = ['id', 'ts', 'sku', 'region', 'user', 'session', 'received_at'] as const;
const tsvEscape = (v: unknown) => String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
const encoders: Encoder[] = [
  { name: 'JSONEachRow', insert: (table, rows) => client.insert({ table, values: rows as object[], format: 'JSONEachRow' }) },
  {
    name: 'JSONCompactEachRow',
    insert: (table, rows) => client.insert({ table, values: rows.map((r) => columns.map((c) => r[c])), format: 'JSONCompactEachRow', columns: [...columns] }),
  },
  {
    name: 'TabSeparated (stream)',
    insert: (table, rows) =>
      client.insert({
        table,
        values: Readable.from([rows.map((r) => columns.map((c) => tsvEscape(r[c])).join('\t')).join('\n') + '\n'], { objectMode: false }),
        format: 'TabSeparated' as DataFormat,
        columns: [...columns],
      }),
  },
];

const loop = monitorEventLoopDelay({ resolution: 1 });
const results: StoreResult[] = [];
const measure = async (table: string, encoder: Encoder, batchRows: number) => {
  const batch = viewRows(batchRows);
  await encoder.insert(`${db}.${table}`, batch); // warm-up, not timed
  loop.reset();
  loop.enable();
  let inserts = 0;
  const started = performance.now();
  while (inserts < 3 || (inserts * batchRows < budgetRows && performance.now() - started < budgetSeconds * 1000)) {
    await encoder.insert(`${db}.${table}`, batch);
    inserts++;
  }
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  results.push({
    table,
    format: encoder.name,
    batchRows,
    inserts,
    rowsPerSec: Math.round((inserts * batchRows) / seconds),
    msPerInsert: Math.round((seconds / inserts) * 10_000) / 10,
    loopMaxMs: Math.round(loop.max / 1e5) / 10,
    loopP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
  });
  process.stderr.write(`store: ${table} ${encoder.name} ${batchRows} rows/insert: ${results.at(-1)!.rowsPerSec} rows/s\n`);
};

for (const encoder of encoders) for (const size of sizes) await measure('events_view', encoder, size);
for (const size of sizes) await measure('bench_view_plain', encoders[0]!, size);
const version = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
tell({ type: 'done', results, clickhouse: version[0]?.v ?? 'unknown' });
await store.close();
process.exit(0);

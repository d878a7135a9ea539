/**
 * Every question in docs/analytics.md, run as written against a hand-made
 * history (test/helpers/analytics-fixture.ts) whose answers are known.
 *
 * Part of the history is stored before the rollups exist (so the schema
 * migration's backfill must roll it up), then an earlier release stores a
 * redelivered sale twice (so the upgrade to schema version 6 must rebuild
 * the rollups without it), the rest after the upgrade (so the materialized
 * views must roll it up, and the writer store its redelivered view once).
 * Queries run on the read-only reader, as /api/sql and `trendmon sql` run them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse, type ClickHouse } from '../../src/store/client.js';
import { Ddl } from '../../src/store/ddl.js';
import { MIGRATIONS, migrate } from '../../src/store/schema.js';
import { openBatchInserts } from '../../src/store/batch-inserts.js';
import { findStoredEvents } from '../../src/store/stored-events.js';
import { BatchWriter } from '../../src/store/writer.js';
import { historyAfterRollups, historyBeforeRollups, storedTwiceBeforeVersion6 } from '../helpers/analytics-fixture.js';
import { loadQuestions } from '../helpers/questions.js';
import { expectRollupsMatchRaw, formatComparisons, rollupsAgainstRaw } from '../helpers/rollup-truth.js';

const target = { database: 'trendmon' };
const questions = new Map(loadQuestions().map((q) => [q.id, q]));

/** ClickHouse's JSON quotes 64-bit integers; compare numbers as numbers. */
const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]));

describe('docs/analytics.md: the example questions answer right', () => {
  let dir: string;
  let store: ClickHouse;

  const insert = async (rows: Map<string, object[]>) => {
    for (const [table, values] of rows) {
      await store.client.insert({ table: `trendmon.${table}`, values, format: 'JSONEachRow' });
    }
  };

  const ask = async (id: string, params: Record<string, string | number>) => {
    const question = questions.get(id);
    if (!question) throw new Error(`${id} is not in docs/analytics.md`);
    const result = await store.reader.query({ query: question.sql, query_params: params, format: 'JSONEachRow' });
    return (await result.json<Record<string, unknown>>()).map(plain);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trendmon-questions-'));
    store = await openClickHouse({ dataDir: dir });
    // A database as an earlier trendmon left it: versions 1 and 2 applied (the
    // bookkeeping table as the first release created it, without comments), history in it.
    const ddl = new Ddl(target);
    await store.client.command({ query: ddl.createDatabase() });
    await store.client.command({
      query: `CREATE TABLE trendmon.schema_migrations (version UInt32, description String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = ReplacingMergeTree ORDER BY version`,
    });
    const apply = async (versions: (version: number) => boolean) => {
      const applied = MIGRATIONS.filter((m) => versions(m.version));
      for (const migration of applied) {
        for (const statement of migration.statements(ddl)) await store.client.command({ query: statement });
      }
      await insert(new Map([['schema_migrations', applied.map((m) => ({ version: m.version, description: m.description }))]]));
    };
    await apply((version) => version <= 2);
    const before = historyBeforeRollups();
    await insert(before);
    // The release with rollups (versions 3-5) creates and backfills them, then stores a redelivery twice.
    await apply((version) => version >= 3 && version <= 5);
    await insert(storedTwiceBeforeVersion6(before));
    // The upgrade rebuilds the rollups without it.
    expect(await migrate(store.client, target)).toEqual(MIGRATIONS.filter((m) => m.version > 5).map((m) => m.version));
    const [arriving, redelivered] = historyAfterRollups();
    await insert(arriving!);
    // The redelivered view goes through the app's writer, flagged as it flags a redelivery.
    const writer = new BatchWriter({
      insert: (await openBatchInserts(store.batches, 'trendmon')).insert,
      findStored: findStoredEvents(store.client, 'trendmon'),
      maxRows: 1_000,
      maxWaitMs: 10,
      maxBufferedRows: 10_000,
    });
    for (const [table, rows] of redelivered!) for (const row of rows) writer.add(table, row, undefined, true);
    await writer.close();
  });

  afterAll(async () => {
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('documents at least ten questions, each with SQL', () => {
    expect(questions.size).toBeGreaterThanOrEqual(10);
  });

  it('Q1: searches that rose most this hour against the same hour last week', async () => {
    expect(await ask('Q1', { hour: '2025-06-10 14:00:00' })).toEqual([
      { query: 'linen midi dress', this_hour: 30, same_hour_last_week: 5, rise: 25 },
      { query: 'crochet tank top', this_hour: 8, same_hour_last_week: 0, rise: 8 },
      { query: 'retro sneakers', this_hour: 10, same_hour_last_week: 12, rise: -2 },
    ]);
  });

  it('Q2: minutes from the first search surge to the first sales surge, per spike', async () => {
    expect(await ask('Q2', { from: '2025-06-11 00:00:00', to: '2025-06-12 00:00:00', factor: 3, min_events: 5 })).toEqual([
      {
        spike_id: `sku:SKU-A:${Date.UTC(2025, 5, 11, 12)}`,
        sku: 'SKU-A',
        spike_started: '2025-06-11 12:00:00',
        first_search_surge: '2025-06-11 11:40:00',
        first_sales_surge: '2025-06-11 12:05:00',
        minutes_from_search_to_sales: 25,
      },
      {
        spike_id: `sku:SKU-B:${Date.UTC(2025, 5, 11, 18)}`,
        sku: 'SKU-B',
        spike_started: '2025-06-11 18:00:00',
        first_search_surge: '2025-06-11 17:20:00',
        first_sales_surge: '2025-06-11 17:50:00',
        minutes_from_search_to_sales: 30,
      },
    ]);
  });

  it('Q3: attributes that trended in apac in May', async () => {
    const rows = await ask('Q3', { region: 'apac', month: '2025-05-01 00:00:00', min_events: 10 });
    const row = (attribute: string, value: string, this_month: number, last_month: number, times_last_month: number) => ({ attribute, value, this_month, last_month, times_last_month });
    expect(rows).toEqual([
      row('color', 'cream', 12, 0, 12),
      row('material', 'cotton', 12, 0, 12),
      row('style', 'crochet', 12, 0, 12),
      row('color', 'camel', 40, 10, 4),
      row('material', 'wool', 40, 10, 4),
      row('style', 'longline', 40, 10, 4),
      row('color', 'sage', 20, 20, 1),
      row('material', 'linen', 20, 20, 1),
      row('style', 'midi', 20, 20, 1),
    ]);
  });

  it('Q4: revenue during each spike and before it, exact despite a redelivered sale', async () => {
    expect(await ask('Q4', { from: '2025-06-11 00:00:00', to: '2025-06-12 00:00:00' })).toEqual([
      {
        spike_id: `sku:SKU-A:${Date.UTC(2025, 5, 11, 12)}`,
        sku: 'SKU-A',
        spike_started: '2025-06-11 12:00:00.000',
        spike_ended: '2025-06-11 13:00:00.000',
        revenue_during: 5 * 2 * 75 + 80,
        revenue_before: 2 * 80,
      },
      {
        spike_id: `sku:SKU-B:${Date.UTC(2025, 5, 11, 18)}`,
        sku: 'SKU-B',
        spike_started: '2025-06-11 18:00:00.000',
        spike_ended: '2025-06-11 18:45:00.000',
        revenue_during: 3 * 55,
        revenue_before: 6 * 60,
      },
    ]);
  });

  it('Q5: revenue per category and day with its share (unknown skus have no category)', async () => {
    expect(await ask('Q5', { from: '2025-06-11 00:00:00', to: '2025-06-12 00:00:00' })).toEqual([
      { day: '2025-06-11', category: 'dresses', category_revenue: 990, share_pct: 63.1 },
      { day: '2025-06-11', category: 'shoes', category_revenue: 580, share_pct: 36.9 },
    ]);
  });

  it('Q6: view-to-sale conversion for items with enough views', async () => {
    expect(await ask('Q6', { from: '2025-06-01 00:00:00', to: '2025-06-03 00:00:00', min_views: 20 })).toEqual([
      { sku: 'SKU-B', views: 40, sales: 8, conversion_pct: 20 },
      { sku: 'SKU-A', views: 50, sales: 5, conversion_pct: 10 },
      { sku: 'SKU-D', views: 100, sales: 1, conversion_pct: 1 },
    ]);
  });

  it('Q7: distinct shoppers and sessions per hour and region, a redelivered view adding none', async () => {
    expect(await ask('Q7', { day: '2025-06-05 00:00:00' })).toEqual([
      { hour: '2025-06-05 09:00:00', region: 'apac', shoppers: 1, sessions_seen: 1 },
      { hour: '2025-06-05 09:00:00', region: 'eu-west', shoppers: 3, sessions_seen: 5 },
      { hour: '2025-06-05 10:00:00', region: 'eu-west', shoppers: 1, sessions_seen: 1 },
    ]);
  });

  it('Q8: searches first seen this week', async () => {
    expect(await ask('Q8', { week: '2025-06-09 00:00:00' })).toEqual([
      { query: 'festival outfit', first_seen: '2025-06-12 09:00:00', searches: 12 },
      { query: 'crochet tank top', first_seen: '2025-06-10 14:40:00', searches: 8 },
      { query: 'canvas retro sneakers', first_seen: '2025-06-11 17:20:00', searches: 5 },
    ]);
  });

  it('Q9: spikes per dimension and day, with length and strength', async () => {
    expect(await ask('Q9', { from: '2025-06-11 00:00:00', to: '2025-06-13 00:00:00' })).toEqual([
      { day: '2025-06-11', dimension: 'query', spike_count: 1, ended: 1, avg_minutes: 50, top_score: 6.1 },
      { day: '2025-06-11', dimension: 'sku', spike_count: 2, ended: 1, avg_minutes: 60, top_score: 7.5 },
      { day: '2025-06-12', dimension: 'category', spike_count: 1, ended: 1, avg_minutes: 30, top_score: 4.4 },
    ]);
  });

  it('Q10: exact counts per kind, the redelivered view counted once in the rollups too', async () => {
    expect(await ask('Q10', { day: '2025-06-05 00:00:00' })).toEqual([
      { kind: 'sale', exact: 2, in_rollups: 2, duplicates: 0 },
      { kind: 'search', exact: 6, in_rollups: 6, duplicates: 0 },
      { kind: 'view', exact: 1, in_rollups: 1, duplicates: 0 },
    ]);
  });

  it('keeps every rollup equal to the raw tables (FINAL) after the upgrade and a redelivery', async () => {
    const comparisons = await rollupsAgainstRaw(async (query) => (await store.reader.query({ query, format: 'JSONEachRow' })).json());
    console.log(`rollups against raw FINAL (rollup/raw):\n${formatComparisons(comparisons)}`);
    expectRollupsMatchRaw(comparisons);
  });

  it('Q11: dead letters by reason and hour, a redelivered one counted once', async () => {
    expect(await ask('Q11', { from: '2025-06-11 00:00:00', to: '2025-06-12 00:00:00' })).toEqual([
      { hour: '2025-06-11 08:00:00', reason: 'invalid_field', messages: 3, first_detail: 'invalid_field #0' },
      { hour: '2025-06-11 08:00:00', reason: 'not_json', messages: 1, first_detail: 'not_json #0' },
      { hour: '2025-06-11 09:00:00', reason: 'ts_in_future', messages: 2, first_detail: 'ts_in_future #0' },
    ]);
  });

  it('gives every table, view and column a comment', async () => {
    const result = await store.reader.query({
      query: `SELECT 'table' AS what, name FROM system.tables WHERE database = 'trendmon' AND comment = ''
              UNION ALL
              SELECT 'column', concat(table, '.', name) FROM system.columns WHERE database = 'trendmon' AND comment = ''`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([]);
  });
});

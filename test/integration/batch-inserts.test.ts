/**
 * src/store/batch-inserts.ts against embedded ClickHouse: a batch left
 * half-inserted (raw rows stored, a rollup's view not run) is completed by
 * inserting it again with its token; and after a run that died mid-insert
 * (a view's rows missing, another's counted twice), the next opening rolls
 * the journalled minutes up again from the raw table.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrendEvent } from '../../src/domain.js';
import { openBatchInserts } from '../../src/store/batch-inserts.js';
import { eventRow } from '../../src/store/rows.js';
import { expectRollupsMatchRaw, rollupsAgainstRaw } from '../helpers/rollup-truth.js';
import { openTempStore, type TempStore } from '../helpers/store.js';

const T0 = Date.UTC(2025, 5, 10, 12);
const sales = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i): TrendEvent => ({ kind: 'sale', id: `${prefix}-${i}`, ts: T0 + i * 1_000, sku: `SKU-${i % 5}`, qty: 1 + (i % 3), price: 10, region: 'eu' }));

describe('batch inserts: each batch applied once to its table and every view', () => {
  let store: TempStore;
  const rollups = () => rollupsAgainstRaw(async (query) => (await store.client.query({ query, format: 'JSONEachRow' })).json());

  /** Stores `rows` in events_sale and every view but the region rollup's, as an insert cut off half-way would. */
  const halfInsert = async (rows: object[], token: string) => {
    await store.client.command({ query: 'DETACH TABLE trendmon.mv_rollup_region_minute_from_sale' });
    await store.batches.insert({
      table: 'trendmon.events_sale',
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
    });
    await store.client.command({ query: 'ATTACH TABLE trendmon.mv_rollup_region_minute_from_sale' });
  };

  beforeAll(async () => {
    store = await openTempStore('batches');
  });

  afterAll(async () => {
    await store?.dispose();
  });

  it('completes a half-done insert when it is retried with its token, and applies a repeat of a whole one no more', async () => {
    const { insert } = await openBatchInserts(store.batches, 'trendmon');
    const rows = sales('retry', 40).map((e) => eventRow(e, T0));
    await halfInsert(rows, 'batch-1');
    const region = async () => (await rollups()).find((c) => c.rollup === 'rollup_region_minute' && c.kind === 'sale')!;
    expect(await region()).toMatchObject({ rollup_events: 0, raw_events: 40 });
    await insert('events_sale', rows, 'batch-1');
    await insert('events_sale', rows, 'batch-1');
    expectRollupsMatchRaw(await rollups());
    expect(await region()).toMatchObject({ rollup_events: 40, raw_events: 40 });
  });

  it('rolls up again, at the next opening, the minutes a stopped run was inserting, and drops a record written only in part', async () => {
    const journal = join(store.dir, 'journal');
    const rows = sales('crash', 30).map((e) => eventRow(e, T0));
    // The run recorded the batch's minutes and died inside the insert: the region view never ran,
    // and the sku view's block was stored twice (its deduplication record lost with the engine).
    await openBatchInserts(store.batches, 'trendmon', journal);
    const minutes = [...new Set(rows.map((r) => Math.floor(r.ts / 60_000) * 60))];
    writeFileSync(join(journal, 'events_sale.6f1c1f2e-3b52-4bb4-9d0b-6ad3c6f7a001.json'), JSON.stringify(minutes));
    writeFileSync(join(journal, 'events_view.6f1c1f2e-3b52-4bb4-9d0b-6ad3c6f7a002.json'), '[1749556');
    await halfInsert(rows, 'batch-2');
    await store.client.command({ query: "INSERT INTO trendmon.rollup_sku_minute SELECT * FROM trendmon.rollup_sku_minute WHERE kind = 'sale' AND minute >= toDateTime(1749556800, 'UTC')" });
    const before = (await rollups()).filter((c) => c.rollup_events !== c.raw_events).map((c) => c.rollup);
    expect(before.sort()).toEqual(['rollup_region_minute', 'rollup_sku_minute']);
    const { minutesRolledUpAgain } = await openBatchInserts(store.batches, 'trendmon', journal);
    expect(minutesRolledUpAgain).toBe(minutes.length);
    expect(readdirSync(journal)).toEqual([]);
    expectRollupsMatchRaw(await rollups());
  });
});

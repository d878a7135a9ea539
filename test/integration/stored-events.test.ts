/**
 * src/store/stored-events.ts against embedded ClickHouse: which rows of a
 * batch the raw tables hold already, by the same identity their
 * ReplacingMergeTree collapses on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrendEvent } from '../../src/domain.js';
import { eventRow, TABLE_OF_KIND } from '../../src/store/rows.js';
import { EVENT_IDENTITY, findStoredEvents } from '../../src/store/stored-events.js';
import { openTempStore, type TempStore } from '../helpers/store.js';

const T0 = Date.UTC(2025, 5, 10, 12);
const view = (i: number, ts = T0 + i): TrendEvent => ({ kind: 'view', id: `v-${i}`, ts, sku: `SKU-${i % 50}` });

describe('finding raw event rows already stored', () => {
  let store: TempStore;

  beforeAll(async () => {
    store = await openTempStore('stored');
    const views = Array.from({ length: 2_500 }, (_, i) => eventRow(view(i), T0 + 1_000));
    await store.client.insert({ table: 'trendmon.events_view', values: views, format: 'JSONEachRow' });
    const search: TrendEvent = { kind: 'search', id: 's-1', ts: T0, query: 'Linen  Dress' };
    await store.client.insert({ table: `trendmon.${TABLE_OF_KIND.search}`, values: [eventRow(search, T0)], format: 'JSONEachRow' });
  });

  afterAll(async () => {
    await store?.dispose();
  });

  it('identifies a row by the sorting key of its raw table', async () => {
    const result = await store.client.query({
      query: "SELECT name, sorting_key FROM system.tables WHERE database = 'trendmon' AND name IN ('events_search', 'events_view', 'events_sale')",
      format: 'JSONEachRow',
    });
    const keys = Object.fromEntries((await result.json<{ name: string; sorting_key: string }>()).map((t) => [t.name, t.sorting_key]));
    expect(keys).toEqual(Object.fromEntries(Object.entries(EVENT_IDENTITY).map(([table, columns]) => [table, columns.join(', ')])));
  });

  it('leaves out suspects that are stored or repeat an earlier row of the batch, and nothing else', async () => {
    const find = findStoredEvents(store.client, 'trendmon');
    const rows = [
      eventRow(view(1), T0 + 5_000), // 0: stored (received later: received_at is not identity)
      eventRow(view(2), T0 + 5_000), // 1: stored, but not a suspect
      eventRow(view(3, T0 + 60_000), T0 + 5_000), // 2: same id, other event time: another row for the raw table
      eventRow(view(9_001), T0 + 5_000), // 3: new
      eventRow(view(9_001), T0 + 6_000), // 4: repeats row 3 in this batch
      eventRow({ kind: 'search', id: 's-1', ts: T0, query: 'linen dress' }, T0 + 5_000), // 5: wrong table for this batch's lookup
    ];
    expect([...(await find('events_view', rows.slice(0, 5), [0, 2, 3, 4]))].sort()).toEqual([0, 4]);
    // A search is the same event when its normalised query, time and id match.
    expect([...(await find('events_search', [rows[5]!], [0]))]).toEqual([0]);
    // Rows of other tables are never left out.
    expect((await find('spikes', rows, [0, 1, 2])).size).toBe(0);
  });

  it('looks up thousands of suspects in bounded queries', async () => {
    const find = findStoredEvents(store.client, 'trendmon');
    const rows = Array.from({ length: 5_000 }, (_, i) => eventRow(view(i), T0 + 9_000)); // the first 2,500 are stored
    const started = performance.now();
    const leftOut = await find('events_view', rows, rows.map((_, i) => i));
    const ms = performance.now() - started;
    console.log(`looked up 5,000 suspects (2,500 stored) in ${ms.toFixed(0)} ms`);
    expect(leftOut.size).toBe(2_500);
    expect(Math.max(...leftOut)).toBe(2_499);
  });
});

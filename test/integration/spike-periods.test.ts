/**
 * The period views over a spike the detector takes back: a spike that ends
 * and comes back the same way soon after goes on under its id, so
 * spike_periods and unmet_periods show it open again (ended_at NULL), then
 * ended at its latest end. Real detector, real rows, embedded ClickHouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpikeDetector } from '../../src/detect/detector.js';
import type { Spike } from '../../src/domain.js';
import { spikeRow, unmetRow } from '../../src/store/rows.js';
import type { WindowResult } from '../../src/windows/hopping.js';
import { openTempStore, TEST_DATABASE, type TempStore } from '../helpers/store.js';

const SLIDE = 60_000;
const T0 = Date.UTC(2025, 5, 10, 12);

/** The spike updates of a query `linen` over tumbling minute windows of these volumes. */
function updates(volumes: readonly number[]): Spike[][] {
  const detector = new SpikeDetector({ warmupWindows: 3 });
  return volumes.map((events, i) => {
    const end = T0 + (i + 1) * SLIDE;
    const window: WindowResult = {
      start: end - SLIDE,
      end,
      lateEvents: 0,
      keys: [{ dimension: 'query', key: 'linen', events, units: 0, revenue: 0, bySignal: { search: events, view: 0, sale: 0 }, error: 0, actors: events, anonymous: 0 }],
    };
    return [...detector.step(window).updates];
  });
}

describe('spike periods of a spike that comes back', () => {
  let store: TempStore;
  beforeAll(async () => {
    store = await openTempStore('periods');
  });
  afterAll(async () => {
    await store?.dispose();
  });

  const write = async (spikes: readonly Spike[]) => {
    await store.client.insert({ table: `${TEST_DATABASE}.spikes`, values: spikes.map(spikeRow), format: 'JSONEachRow' });
    const unmet = { missing: ['linen'], strength: 0, nearest: [], coSearched: ['sage'] };
    await store.client.insert({ table: `${TEST_DATABASE}.unmet_demand`, values: spikes.map((spike) => unmetRow({ spike, unmet })), format: 'JSONEachRow' });
  };
  const periods = async (view: string) => {
    const result = await store.client.query({
      query: `SELECT spike_id, status, ended_at IS NULL AS open, toUnixTimestamp64Milli(ended_at) AS ended_ms FROM ${TEST_DATABASE}.${view}`,
      format: 'JSONEachRow',
    });
    return result.json<{ spike_id: string; status: string; open: number; ended_ms: number | null }>();
  };

  it('is open again while it is back, and ends at its latest end', async () => {
    // A surge, a pause long enough to end it, the surge again, then quiet.
    const steps = updates([100, 100, 100, 100, 100, 100, 400, 420, 100, 100, 100, 410, 400, 100, 100, 100]);
    const ends = steps.flatMap((u, i) => (u.some((s) => s.status === 'ended') ? [i] : []));
    expect(ends).toHaveLength(2);
    const ids = new Set(steps.flat().map((s) => s.spikeId));
    expect(ids.size).toBe(1);

    const untilBack = ends[0]! + 3; // through the first end and the window that takes it back
    await write(steps.slice(0, untilBack).flat());
    for (const view of ['spike_periods', 'unmet_periods']) {
      expect(await periods(view), view).toEqual([{ spike_id: [...ids][0], status: 'ongoing', open: 1, ended_ms: null }]);
    }

    await write(steps.slice(untilBack).flat());
    const lastEnd = steps[ends[1]!]!.find((s) => s.status === 'ended')!.endedAt;
    for (const view of ['spike_periods', 'unmet_periods']) {
      expect(await periods(view), view).toEqual([{ spike_id: [...ids][0], status: 'ended', open: 0, ended_ms: lastEnd }]);
    }
  });
});

/** The equalities every fault test checks once the stream has drained. */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { expect } from 'vitest';
import { appState, eventually, type TestApp } from './app.js';
import type { FaultWorkload } from './events.js';
import { expectRollupsMatchRaw, rollupsAgainstRaw } from './rollup-truth.js';

/** `trendmon_events_ingested_total` summed over kinds, read from /metrics. */
export async function ingestedTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^trendmon_events_ingested_total\{kind="\w+"\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

export interface ExactlyOnceFigures {
  readonly storedIds: number;
  readonly deadLetters: number;
  readonly sku: string;
  readonly windowCount: number;
  readonly trueCount: number;
  /** Events in the region rollup (every event once), for the log. */
  readonly rolledUp: number;
}

/**
 * Waits until the durable consumer has nothing pending, then checks:
 * distinct stored ids == distinct valid ids published, dead letters ==
 * invalid published, every rollup's sums == the raw tables' with FINAL, and
 * the live sku window counts == the true counts.
 */
export async function expectExactlyOnce(nc: NatsConnection, app: TestApp, workload: FaultWorkload): Promise<ExactlyOnceFigures> {
  // Right after a NATS restart JetStream may still be recovering its streams.
  const consumer = await eventually(() => jetstream(nc).consumers.get('TRENDMON_EVENTS', 'trendmon-ingest'), 60_000, 500);
  await eventually(
    async () => {
      const info = await consumer.info();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    120_000,
    250,
    async () => {
      const info = await consumer.info();
      return `consumer: ${info.num_pending} pending, ${info.num_ack_pending} ack pending, ${info.num_redelivered} redelivered; ${await appState(app)}`;
    },
  );

  const [row] = await app.sql<{ ids: string; rows: string; dead: string }>(`
    SELECT (SELECT uniqExact(id) FROM trendmon.events_search) + (SELECT uniqExact(id) FROM trendmon.events_view)
             + (SELECT uniqExact(id) FROM trendmon.events_sale) AS ids,
           (SELECT count() FROM trendmon.events_search FINAL) + (SELECT count() FROM trendmon.events_view FINAL)
             + (SELECT count() FROM trendmon.events_sale FINAL) AS rows,
           (SELECT count() FROM trendmon.dead_letters FINAL) AS dead`);
  expect(Number(row!.ids)).toBe(workload.distinctValidIds);
  expect(Number(row!.rows)).toBe(workload.distinctValidIds);
  expect(Number(row!.dead)).toBe(workload.invalid);
  const rollups = await rollupsAgainstRaw((query) => app.sql(query));
  expectRollupsMatchRaw(rollups);
  const rolledUp = rollups.filter((c) => c.rollup === 'rollup_region_minute').reduce((sum, c) => sum + c.rollup_events, 0);

  // Every event sits inside one 10-minute window; check a window that closed
  // after the drain and ends after the newest event.
  const windowOf = async (sku: string) => {
    const response = await fetch(`${app.url}/api/window?dimension=sku&key=${encodeURIComponent(sku)}`);
    return response.ok ? ((await response.json()) as { end: number; events: number }) : undefined;
  };
  const endAtDrain = (await windowOf('-'))?.end ?? 0;
  const results = await Promise.all(
    [...workload.skuCounts].map(async ([sku, trueCount]) => {
      const window = await eventually(
        async () => {
          const body = await windowOf(sku);
          return body && body.end > endAtDrain && body.end > workload.maxTs ? body : undefined;
        },
        60_000,
        250,
        async () => `waiting for a window ending after ${Math.max(endAtDrain, workload.maxTs)}; ${await appState(app, [{ dimension: 'sku', key: sku }])}`,
      );
      return { sku, windowCount: window.events, trueCount };
    }),
  );
  for (const r of results) expect({ sku: r.sku, count: r.windowCount }).toEqual({ sku: r.sku, count: r.trueCount });
  const sample = results[0]!;
  return { storedIds: Number(row!.ids), deadLetters: Number(row!.dead), rolledUp, ...sample };
}

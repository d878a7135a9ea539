/**
 * ClickHouse unavailable for 30 s under load: the ingest stops pulling,
 * reports it, keeps memory bounded, and resumes by itself with nothing lost.
 */
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InsertRows } from '../../src/store/writer.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { faultWorkload, publishEvents } from '../helpers/events.js';
import { expectExactlyOnce, ingestedTotal } from '../helpers/faults.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

/** A store that fails every insert while `down` is set, as a dead server would. */
class FlakyStore {
  down = false;
  refused = 0;
  readonly intercept = (insert: InsertRows): InsertRows => async (table, rows, token) => {
    if (this.down) {
      this.refused++;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
    }
    return insert(table, rows, token);
  };
}

describe('store outage: ClickHouse down for 30 s under load', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let app: TestApp;
  const store = new FlakyStore();

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    app = await startTestApp(
      nats.url,
      { WINDOW: '10m', SLIDE: '10s', ALLOWED_LATENESS: '2s', BATCH_MAX_ROWS: '2000' },
      { interceptInsert: store.intercept },
    );
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('stops pulling, stays bounded, reports not ready, and resumes without loss', { timeout: 180_000 }, async () => {
    const workload = faultWorkload(30_000);
    const half = Math.floor(workload.messages.length / 2);
    await publishEvents(nc, workload.messages.slice(0, half), false);
    await eventually(async () => (await ingestedTotal(app.url)) > 2_000, 30_000, 20);

    store.down = true;
    await publishEvents(nc, workload.messages.slice(half), false);
    const consumer = await jetstream(nc).consumers.get('TRENDMON_EVENTS', 'trendmon-ingest');
    const heapAtStart = process.memoryUsage().heapUsed;
    let maxAckPending = 0;
    let maxBuffered = 0;
    const outageEnds = Date.now() + 30_000;
    let sawNotReady = false;
    while (Date.now() < outageEnds) {
      const info = await consumer.info();
      maxAckPending = Math.max(maxAckPending, info.num_ack_pending);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      maxBuffered = Math.max(maxBuffered, Number(/^trendmon_store_buffered_rows (\d+)/m.exec(metrics)?.[1] ?? 0));
      const ready = await fetch(`${app.url}/readyz`);
      if (ready.status === 503) {
        sawNotReady = true;
        expect(await ready.json()).toMatchObject({ ready: false, checks: { writer: { ok: false } } });
        expect(metrics).toMatch(/^trendmon_store_up 0/m);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapAtStart;
    expect(sawNotReady).toBe(true);
    expect(store.refused).toBeGreaterThan(3);
    // Bounded: never more unacked than the consumer allows, nor more buffered than the writer allows.
    expect(maxAckPending).toBeLessThanOrEqual(20_000);
    expect(maxBuffered).toBeLessThanOrEqual(40_000);
    // The backlog waits in JetStream, not in this process.
    expect((await consumer.info()).num_pending).toBeGreaterThan(0);

    store.down = false;
    const figures = await expectExactlyOnce(nc, app, workload);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    console.log(
      `store outage: published ${workload.messages.length} (${workload.distinctValidIds} distinct valid, ${workload.duplicates} duplicates, ` +
        `${workload.invalid} invalid); inserts refused ${store.refused}; max unacked ${maxAckPending}, max buffered rows ${maxBuffered}, ` +
        `heap growth during outage ${(heapGrowth / 1e6).toFixed(1)} MB; after recovery ${figures.storedIds} ids stored (${figures.rolledUp} in the rollups), ` +
        `${figures.deadLetters} dead letters, window ${figures.sku}=${figures.windowCount} (true ${figures.trueCount})`,
    );
  });
});

import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { invalidEvents, publishEvents, publishRaw, validEvents } from '../helpers/events.js';
import { hostileMessages } from '../helpers/hostile.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';
import type { NatsConnection } from '@nats-io/nats-core';

describe('ingest: NATS JetStream -> validation -> ClickHouse (real nats-server, real chDB)', () => {
  let nats: TestNats;
  let app: TestApp;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startTestNats();
    app = await startTestApp(nats.url, { BATCH_MAX_WAIT: '100ms', LOG_LEVEL: 'warn' });
    nc = await nats.connect();
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('stores exactly N distinct valid events and M dead letters, and acks them all', async () => {
    const valid = validEvents(3000, 'v');
    const invalid = invalidEvents('b');
    // Every 10th valid event again without Nats-Msg-Id, as a redelivery would look.
    const redelivered = valid.filter((_, i) => i % 10 === 0);
    await publishEvents(nc, [...valid, ...invalid]);
    await publishEvents(nc, redelivered, false);
    await publishRaw(nc, 'events.view', 'this is not json');
    await publishRaw(nc, 'events.sale', new Uint8Array(70 * 1024).fill(0x20));

    const totals = await eventually(async () => {
      const [row] = await app.sql<{ search: string; view: string; sale: string; dead: string }>(`
        SELECT (SELECT uniqExact(id) FROM trendmon.events_search) AS search,
               (SELECT uniqExact(id) FROM trendmon.events_view) AS view,
               (SELECT uniqExact(id) FROM trendmon.events_sale) AS sale,
               (SELECT count() FROM trendmon.dead_letters FINAL) AS dead`);
      const sum = Number(row!.search) + Number(row!.view) + Number(row!.sale);
      return sum === 3000 && Number(row!.dead) === invalid.length + 2 ? row : undefined;
    });
    expect(Number(totals.search)).toBe(1000);
    expect(Number(totals.view)).toBe(1000);
    expect(Number(totals.sale)).toBe(1000);

    // The exact-count query from the README: FINAL collapses redelivered rows.
    const [exact] = await app.sql<{ n: string }>('SELECT count() AS n FROM trendmon.events_view FINAL');
    expect(Number(exact!.n)).toBe(1000);

    const reasons = await app.sql<{ reason: string; n: string }>(
      'SELECT reason, count() AS n FROM trendmon.dead_letters FINAL GROUP BY reason ORDER BY reason',
    );
    const expected = new Map<string, number>();
    for (const e of [...invalid, { reason: 'not_json' }, { reason: 'oversize' }]) expected.set(e.reason, (expected.get(e.reason) ?? 0) + 1);
    expect(Object.fromEntries(reasons.map((r) => [r.reason, Number(r.n)]))).toEqual(Object.fromEntries(expected));

    // Acked only once stored: nothing left pending on the durable consumer.
    const js = jetstream(nc);
    const consumer = await js.consumers.get('TRENDMON_EVENTS', 'trendmon-ingest');
    await eventually(async () => {
      const info = await consumer.info();
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/trendmon_events_rejected_total\{reason="oversize"\} 1/);
    expect(metrics).toMatch(/trendmon_events_ingested_total\{kind="view"\} \d+/);
    expect(metrics).toMatch(/trendmon_end_to_end_lag_seconds_bucket/);
    for (const series of [
      'trendmon_consumer_pending_messages',
      'trendmon_consumer_ack_pending_messages',
      'trendmon_store_insert_seconds_bucket{le="0.005",table="events_view"}',
      'trendmon_store_batch_rows_bucket',
      'trendmon_store_buffered_rows',
      'trendmon_store_up 1',
      'trendmon_window_keys',
      'trendmon_spikes_open',
      'trendmon_feed_clients',
      'trendmon_duplicates_dropped_total',
    ]) {
      expect(metrics).toContain(series);
    }
  });

  it('republishes every dead letter to dlq.events with its reason and original subject', async () => {
    const js = jetstream(nc);
    const dlq = await js.streams.get('TRENDMON_DLQ');
    const info = await dlq.info();
    expect(info.state.messages).toBe(invalidEvents().length + 2);
    const first = await dlq.getMessage({ seq: info.state.first_seq });
    expect(first?.header.get('Trendmon-Reason')).toBe('invalid_field');
    expect(first?.header.get('Trendmon-Subject')).toBe('events.view');
    expect(first?.header.get('Trendmon-Detail')).toMatch(/sku is required/);
  });

  it('keeps flowing through 5,000 hostile messages mixed with valid ones', async () => {
    const [{ n: deadBefore }] = (await app.sql<{ n: string }>('SELECT count() AS n FROM trendmon.dead_letters FINAL')) as [{ n: string }];
    // Only subjects under events.> reach the stream; `events` alone is not published to it.
    const hostile = hostileMessages(5_000, 7).filter((m) => m.subject.startsWith('events.'));
    const valid = validEvents(1_000, 'mix');
    let last = '';
    // One valid event after every five hostile ones, the rest at the end.
    for (let i = 0; i < hostile.length; i++) {
      nc.publish(hostile[i]!.subject, hostile[i]!.data);
      if (i % 5 === 4 && i / 5 < valid.length) await publishEvents(nc, [valid[Math.floor(i / 5)]!]);
    }
    await publishEvents(nc, valid.slice(Math.floor(hostile.length / 5)));
    await eventually(async () => {
      const [row] = await app.sql<{ dead: string; mix: string }>(`
        SELECT (SELECT count() FROM trendmon.dead_letters FINAL) AS dead,
               (SELECT uniqExact(id) FROM trendmon.events_search WHERE startsWith(id, 'mix-'))
             + (SELECT uniqExact(id) FROM trendmon.events_view WHERE startsWith(id, 'mix-'))
             + (SELECT uniqExact(id) FROM trendmon.events_sale WHERE startsWith(id, 'mix-')) AS mix`);
      last = `dead letters +${Number(row!.dead) - Number(deadBefore)} of ${hostile.length}, valid ${row!.mix} of 1000`;
      return Number(row!.dead) - Number(deadBefore) === hostile.length && Number(row!.mix) === 1_000;
    }, 45_000).catch(() => {
      throw new Error(`the stream did not drain: ${last}`);
    });
    const reasons = await app.sql<{ reason: string }>('SELECT DISTINCT reason FROM trendmon.dead_letters');
    expect(reasons.map((r) => r.reason)).toEqual(expect.arrayContaining(['forbidden_key', 'too_deep', 'oversize', 'not_json', 'ts_in_future', 'ts_too_old']));
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { nats: { ok: true }, clickhouse: { ok: true } } });
  });
});

/**
 * Scale-out (docs/scaling.md): N instances against one nats-server and one
 * store share the work through the shared ingest consumer, the observation
 * stream and partition leases in NATS KV.
 *
 * 1. Three instances give the same stored totals and the same spikes as one.
 * 2. One of three is cut off from NATS (as a crash or a partition would):
 *    its partitions move to the others within a bounded time, and every
 *    event is stored once and counted once in the windows.
 *
 * The instances run in this process so that they can share one embedded
 * ClickHouse (one holder per data directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse, type ClickHouse } from '../../src/store/client.js';
import { generateCatalog } from '../../src/sim/index.js';
import { TrafficPump } from '../helpers/alerts.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import type { PublishedEvent } from '../helpers/events.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const PARTITIONS = 4;
const CATALOG = generateCatalog(11, 40);
const SURGING = ['SKU-0007', 'SKU-0023'];

let store: ClickHouse;
let storeDir: string;

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'trendmon-scale-'));
  store = await openClickHouse({ dataDir: storeDir });
});

afterAll(async () => {
  await store?.close();
  rmSync(storeDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Each instance's share of the partitions, once every partition has exactly one owner. */
async function settledShares(apps: readonly TestApp[]): Promise<number[]> {
  return eventually(async () => {
    const owned = await Promise.all(apps.map((app) => metric(app.url, 'trendmon_partitions_owned')));
    const share = Math.floor(PARTITIONS / apps.length);
    return owned.reduce((a, b) => a + b, 0) === PARTITIONS && owned.every((n) => n === share || n === share + 1) ? owned : undefined;
  }, 60_000, 250);
}

/** How many partitions each instance has taken on so far. */
const acquiredPartitions = (apps: readonly TestApp[]) => Promise.all(apps.map((app) => metric(app.url, 'trendmon_partitions_acquired_total')));

async function drained(nc: NatsConnection): Promise<void> {
  const consumer = await jetstream(nc).consumers.get('TRENDMON_EVENTS', 'trendmon-ingest');
  await eventually(async () => {
    const info = await consumer.info();
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }, 120_000, 250);
}

interface Totals {
  readonly distinct: number;
  readonly rows: number;
  readonly units: number;
}

async function storedTotals(db: string): Promise<Totals> {
  const query = async (sql: string) => {
    const result = await store.client.query({ query: sql, format: 'JSONEachRow' });
    return ((await result.json()) as Record<string, string>[])[0]!;
  };
  const row = await query(`
    SELECT (SELECT uniqExact(id) FROM ${db}.events_search) + (SELECT uniqExact(id) FROM ${db}.events_view)
             + (SELECT uniqExact(id) FROM ${db}.events_sale) AS distinct,
           (SELECT count() FROM ${db}.events_search FINAL) + (SELECT count() FROM ${db}.events_view FINAL)
             + (SELECT count() FROM ${db}.events_sale FINAL) AS rows,
           (SELECT sum(qty) FROM ${db}.events_sale FINAL) AS units`);
  return { distinct: Number(row.distinct), rows: Number(row.rows), units: Number(row.units) };
}

async function spikedKeys(db: string): Promise<string[]> {
  const result = await store.client.query({ query: `SELECT DISTINCT direction, dimension, key FROM ${db}.spikes ORDER BY direction, dimension, key`, format: 'JSONEachRow' });
  return ((await result.json()) as { direction: string; dimension: string; key: string }[]).map((r) => `${r.direction === 'falling' ? 'falling ' : ''}${r.dimension}:${r.key}`);
}

function truth(events: readonly PublishedEvent[]) {
  const ids = new Set<string>();
  let units = 0;
  const skuCounts = new Map<string, number>();
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (const { subject, payload } of events) {
    ids.add(payload.id as string);
    const ts = typeof payload.ts === 'number' ? payload.ts : Date.parse(String(payload.ts));
    minTs = Math.min(minTs, ts);
    maxTs = Math.max(maxTs, ts);
    if (subject.startsWith('events.sale')) units += payload.qty as number;
    if (typeof payload.sku === 'string') skuCounts.set(payload.sku, (skuCounts.get(payload.sku) ?? 0) + 1);
  }
  return { distinct: ids.size, units, skuCounts, minTs, maxTs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sku's latest closed window, asked of any instance (the owner of its partition answers). */
async function windowOf(app: TestApp, sku: string) {
  const response = await fetch(`${app.url}/api/window?dimension=sku&key=${encodeURIComponent(sku)}`);
  return response.ok ? ((await response.json()) as { start: number; end: number; bySignal: { view: number; sale: number } }) : undefined;
}

async function startInstances(natsUrls: readonly string[], env: Record<string, string>): Promise<TestApp[]> {
  const apps: TestApp[] = [];
  // One after another: the first migrates the schema, the others find it done.
  for (const [i, url] of natsUrls.entries()) {
    apps.push(await startTestApp(url, { ...env, INSTANCE_ID: `instance-${i + 1}` }, { store, dataDir: storeDir }));
  }
  return apps;
}

describe('three instances against one instance', () => {
  /** Short windows so that a surge shows within seconds; lateness to spare for a loaded machine (the observations take an extra hop). */
  const WINDOWS = { WINDOW: '4s', SLIDE: '1s', ALLOWED_LATENESS: '3s', REPLAY: '0' };

  it('gives the same stored totals and the same spikes', async () => {
    // Side by side on the same events (same ids, same event times), each set-up with its own nats-server and database.
    const natsOne = await startTestNats();
    const natsThree = await startTestNats();
    const one = await startInstances([natsOne.url], { ...WINDOWS, TRENDMON_DB: 'scale_one' });
    const three = await startInstances([natsThree.url, natsThree.url, natsThree.url], {
      ...WINDOWS,
      TRENDMON_DB: 'scale_three',
      PARTITIONS: String(PARTITIONS),
      // The default lease: a partition that moved mid-test would be counted by an owner that rebuilt
      // only its last window (REPLAY=0), with other baselines and so other spikes. Moves are the next test's.
    });
    try {
      await settledShares(three);
      const acquiredAtStart = await acquiredPartitions(three);
      const connections = [await natsOne.connect(), await natsThree.connect()];
      const pump = new TrafficPump(connections, CATALOG, { seed: 5, ratePerSec: 300, historyMs: 0, tickMs: 100 });
      await pump.start();
      await sleep(25_000);
      pump.surge(SURGING, 10_000, 15);
      await sleep(12_000);
      await pump.stop();
      await Promise.all(connections.map(drained));
      const expected = truth(pump.published);
      for (const db of ['scale_one', 'scale_three']) {
        await eventually(async () => (await storedTotals(db)).rows === expected.distinct, 30_000, 250);
        await eventually(async () => (await spikedKeys(db)).filter((k) => SURGING.includes(k.slice(4))).length === SURGING.length, 30_000, 500);
      }
      // The last windows holding events have closed in every partition, and their spikes are stored.
      const lastWindowEnd = Math.floor(expected.maxTs / 1000) * 1000 + 4_000;
      for (const app of [one[0]!, three[0]!]) {
        for (const { sku } of CATALOG) await eventually(async () => ((await windowOf(app, sku))?.end ?? 0) >= lastWindowEnd, 30_000, 250);
      }
      await eventually(async () => (await Promise.all([...one, ...three].map((app) => metric(app.url, 'trendmon_store_buffered_rows')))).every((n) => n === 0), 30_000, 250);
      const [totalsOne, totalsThree] = [await storedTotals('scale_one'), await storedTotals('scale_three')];
      const [spikesOne, spikesThree] = [await spikedKeys('scale_one'), await spikedKeys('scale_three')];
      const late = await Promise.all([...one, ...three].map((app) => metric(app.url, 'trendmon_late_events_total')));
      console.log(
        `scale-out: ${expected.distinct} events; 1 instance stored ${totalsOne.distinct}, spikes [${spikesOne.join(', ')}]; ` +
          `3 instances stored ${totalsThree.distinct}, spikes [${spikesThree.join(', ')}]; late events ${late[0]} and ${late.slice(1).join('/')}`,
      );
      const want = { distinct: expected.distinct, rows: expected.distinct, units: expected.units };
      expect(totalsOne).toEqual(want);
      expect(totalsThree).toEqual(want);
      // Same windows, same detector: every event counted in time on both set-ups, and no partition
      // moved (a new owner rebuilds from its last window only), so the same spikes.
      expect(late).toEqual(late.map(() => 0));
      expect(await acquiredPartitions(three)).toEqual(acquiredAtStart);
      const onlyOne = spikesOne.filter((k) => !spikesThree.includes(k));
      const onlyThree = spikesThree.filter((k) => !spikesOne.includes(k));
      if (onlyOne.length || onlyThree.length) console.log(`scale-out: spikes of one instance only [${onlyOne.join(', ')}], of three only [${onlyThree.join(', ')}]`);
      expect(spikesThree).toEqual(spikesOne);
      expect(spikesOne).toEqual(expect.arrayContaining(SURGING.map((sku) => `sku:${sku}`)));
    } finally {
      for (const app of [...one, ...three]) await app.stop();
      await natsOne.stop();
      await natsThree.stop();
    }
  }, 240_000);
});

describe('one of three instances dies', () => {
  /**
   * The window spans the whole test, and the lateness covers the ingest
   * consumer's ack wait (30 s): the dead instance's unacked events come back
   * that late, and must still count.
   */
  const WINDOWS = { WINDOW: '60s', SLIDE: '5s', ALLOWED_LATENESS: '40s', REPLAY: '0' };
  let nats: TestNats;
  let apps: TestApp[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
  });

  afterAll(async () => {
    // The cut-off instance cannot drain: do not wait for it forever.
    await Promise.all(apps.map((app) => Promise.race([app.stop(), sleep(15_000)])));
    await nats?.stop();
  });

  it('moves its partitions to the others, and loses and double-counts nothing', async () => {
    const proxy = await startTcpProxy(nats.server.port);
    apps = await startInstances([nats.url, nats.url, proxy.url], { ...WINDOWS, TRENDMON_DB: 'scale_kill', PARTITIONS: String(PARTITIONS), LEASE_TTL: '2s' });
    const before = await settledShares(apps);
    const nc = await nats.connect();
    const pump = new TrafficPump(nc, CATALOG, { seed: 9, ratePerSec: 250, historyMs: 0, tickMs: 100 });
    await pump.start();
    await sleep(8_000);

    const cutAt = Date.now();
    await proxy.cut();
    const survivors = apps.slice(0, 2);
    const after = await settledShares(survivors);
    const movedMs = Date.now() - cutAt;
    // The cut-off instance gives up what it can no longer refresh: no partition has two owners for long.
    await eventually(async () => (await metric(apps[2]!.url, 'trendmon_partitions_owned')) === 0, 60_000, 250);
    await sleep(8_000);
    await pump.stop();
    await drained(nc);
    const expected = truth(pump.published);

    // Stored once: every distinct id, and FINAL collapses redeliveries to one row each.
    await eventually(async () => (await storedTotals('scale_kill')).rows === expected.distinct, 30_000, 250);
    const totals = await storedTotals('scale_kill');
    expect(totals).toEqual({ distinct: expected.distinct, rows: expected.distinct, units: expected.units });

    // Counted once: a window holding every event has each sku's true count, asked of any survivor.
    const counted = new Map<string, number>();
    for (const sku of expected.skuCounts.keys()) {
      const window = await eventually(async () => {
        const w = await windowOf(survivors[0]!, sku);
        return w && w.end > expected.maxTs ? w : undefined;
      }, 90_000, 500);
      expect(window.start).toBeLessThanOrEqual(expected.minTs);
      counted.set(sku, window.bySignal.view + window.bySignal.sale);
    }
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected.skuCounts));
    console.log(
      `scale-out kill: shares ${before.join('/')} -> ${after.join('/')} in ${movedMs} ms after the cut (LEASE_TTL 2s); ` +
        `${expected.distinct} events published, ${totals.distinct} stored once, ${expected.skuCounts.size} skus counted exactly`,
    );
  }, 300_000);
});

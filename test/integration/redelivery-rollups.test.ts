/**
 * Redeliveries must not count twice in the rollups: real nats-server and
 * chDB, the app in this process (its inserts can be faulted), every way an
 * event comes back (issue 17):
 * - inserts the store took but whose answer was lost, so the writer retries;
 * - an app that stops with stored rows unacked, whose messages JetStream
 *   redelivers to the next run;
 * - producers publishing an id again without Nats-Msg-Id, at once and minutes
 *   later (with the event's own, older time).
 * Then every rollup's sums (events, units, revenue per kind) must equal
 * count()/sum() over the raw tables with FINAL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../src/domain.js';
import type { InsertRows } from '../../src/store/writer.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { publishEvents, type PublishedEvent } from '../helpers/events.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';
import { expectRollupsMatchRaw, formatComparisons, rollupsAgainstRaw } from '../helpers/rollup-truth.js';

const EVENT_TABLES = new Set(['events_search', 'events_view', 'events_sale']);
const ENV = { WINDOW: '1m', SLIDE: '10s', ALLOWED_LATENESS: '2s', BATCH_MAX_ROWS: '500', BATCH_MAX_WAIT: '100ms', LOG_LEVEL: 'error' };

const CATALOG: CatalogItem[] = Array.from({ length: 12 }, (_, i) => ({
  sku: `SKU-${i}`,
  title: `Item ${i}`,
  category: ['dresses', 'shoes', 'tops'][i % 3]!,
  price: 20 + i,
  attributes: { color: ['red', 'sage', 'cream'][i % 3]!, material: i % 2 ? 'linen' : 'cotton' },
}));

/** Events of every kind, a sku outside the catalog, sales with and without a price. */
function events(prefix: string, n: number, ts: number): PublishedEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${i}`;
    const sku = i % 13 === 12 ? 'SKU-UNKNOWN' : `SKU-${i % 12}`;
    const region = i % 4 === 3 ? {} : { region: ['eu-west', 'apac', 'us'][i % 4]! };
    switch (i % 3) {
      case 0:
        return { subject: 'events.search', payload: { id, ts, query: `linen dress ${i % 4}`, ...region, user: `u${i % 40}` } };
      case 1:
        return { subject: 'events.view', payload: { id, ts, sku, ...region, session: `s${i % 30}` } };
      default:
        return { subject: 'events.sale', payload: { id, ts, sku, qty: 1 + (i % 3), ...(i % 5 ? { price: 10 + (i % 7) } : {}), ...region } };
    }
  });
}

/** Faults in the app's inserts: answers lost after storing, or a process that dies after storing. */
class FaultyStore {
  loseResponses = 0;
  lostResponses = 0;
  holdAfterStore = false;
  readonly heldTables = new Set<string>();
  heldRows = 0;
  private readonly release: (() => void)[] = [];

  readonly intercept = (insert: InsertRows): InsertRows => async (table, rows, token) => {
    await insert(table, rows, token);
    if (!EVENT_TABLES.has(table)) return;
    if (this.loseResponses > 0) {
      this.loseResponses--;
      this.lostResponses++;
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    if (this.holdAfterStore) {
      this.heldTables.add(table);
      this.heldRows += rows.length;
      // Stored, never answered: as if the process died before acking.
      await new Promise<void>((_, reject) => this.release.push(() => reject(new Error('the process died'))));
    }
  };

  /** Ends the held inserts (after their app stopped). */
  releaseHeld(): void {
    for (const end of this.release.splice(0)) end();
  }
}

const metric = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);

describe('rollups stay exact through redeliveries (issue 17)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let app: TestApp | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'trendmon-redelivery-'));
  const catalogPath = join(dataDir, 'catalog.ndjson');

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    writeFileSync(catalogPath, CATALOG.map((item) => JSON.stringify(item)).join('\n'));
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  const drained = async () => {
    const consumer = await jetstream(nc).consumers.get('TRENDMON_EVENTS', 'trendmon-ingest');
    await eventually(async () => {
      const info = await consumer.info();
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 120_000, 250);
    return consumer.info();
  };

  it('counts each event once in every rollup, as the raw tables with FINAL do', { timeout: 300_000 }, async () => {
    const faults = new FaultyStore();
    const env = { ...ENV, CATALOG_PATH: catalogPath };
    const first = (app = await startTestApp(nats.url, env, { dataDir, interceptInsert: faults.intercept }));
    await eventually(async () => Number((await first.sql<{ n: string }>('SELECT count() AS n FROM trendmon.catalog FINAL'))[0]?.n) === CATALOG.length);

    // Lost answers: the next three event inserts are stored, then fail; the writer retries them.
    const now = Date.now();
    const a = events('a', 3_000, now);
    faults.loseResponses = 3;
    await publishEvents(nc, a);
    // Producers repeating ids without Nats-Msg-Id, while this run still remembers them.
    const repeatedAtOnce = a.filter((_, i) => i % 6 === 0);
    await publishEvents(nc, repeatedAtOnce, false);
    // Events whose copies come much later: stored now, with event times two minutes old.
    const late = events('late', 600, now - 120_000);
    await publishEvents(nc, late);
    await drained();
    expect(faults.lostResponses).toBe(3);
    const firstMetrics = await (await fetch(`${first.url}/metrics`)).text();

    // A run that stores rows and dies before acking them.
    faults.holdAfterStore = true;
    const b = events('b', 2_000, Date.now());
    await publishEvents(nc, b);
    await eventually(() => faults.heldTables.size === EVENT_TABLES.size, 60_000, 100);
    await first.stop();
    app = undefined;
    faults.releaseHeld();

    // The next run: JetStream redelivers what the first left unacked once its ack wait (30 s) passes.
    const second = (app = await startTestApp(nats.url, env, { dataDir }));
    const lateCopies = late.filter((_, i) => i % 2 === 0);
    await publishEvents(nc, lateCopies, false);
    const repeatedAfterRestart = a.filter((_, i) => i % 10 === 5);
    await publishEvents(nc, repeatedAfterRestart, false);
    const info = await drained();
    // Every delivery takes a consumer sequence; the stream sequence counts each message once.
    const redeliveries = info.delivered.consumer_seq - info.delivered.stream_seq;

    const comparisons = await rollupsAgainstRaw((query) => second.sql(query));
    const [raw] = await second.sql<{ search: string; view: string; sale: string }>(`
      SELECT (SELECT count() FROM trendmon.events_search FINAL) AS search, (SELECT count() FROM trendmon.events_view FINAL) AS view,
             (SELECT count() FROM trendmon.events_sale FINAL) AS sale`);
    const alreadyStored =
      metric(firstMetrics, 'trendmon_store_already_stored_rows_total') + metric(await (await fetch(`${second.url}/metrics`)).text(), 'trendmon_store_already_stored_rows_total');
    const distinct = a.length + late.length + b.length;
    const copies = repeatedAtOnce.length + lateCopies.length + repeatedAfterRestart.length;
    console.log(
      `redelivery: ${distinct} distinct events published, ${copies} copies without Nats-Msg-Id, ${faults.lostResponses} inserts with lost answers, ` +
        `${faults.heldRows} rows stored and never acked before the restart, ${redeliveries} deliveries repeated by JetStream; ` +
        `${alreadyStored} rows left out of inserts as already stored; raw FINAL search ${raw!.search}, view ${raw!.view}, sale ${raw!.sale}\n` +
        `rollup/raw FINAL:\n${formatComparisons(comparisons)}`,
    );
    expect(Number(raw!.search) + Number(raw!.view) + Number(raw!.sale)).toBe(distinct);
    expect(redeliveries).toBeGreaterThan(0);
    expect(faults.heldRows).toBeGreaterThan(0);
    expect(alreadyStored).toBeGreaterThan(0);
    expectRollupsMatchRaw(comparisons);
  });
});

/**
 * The analytics API's contract (README, "API") on the real app: events in
 * through NATS, rolled up by the materialized views, read back through
 * /api/trending, /api/series, /api/spikes and /api/sql, and `trendmon sql`
 * through the running app. The reader's limits are set low here so that
 * going over them is quick to show.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../src/domain.js';
import { openClickHouse, type ClickHouse } from '../../src/store/client.js';
import { spikeRow } from '../../src/store/rows.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { publishEvents, type PublishedEvent } from '../helpers/events.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MINUTE = 60_000;
/** The end of the windows asked about: a whole five minutes, safely in the past. */
const AT = Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE - 5 * MINUTE;

const CATALOG: CatalogItem[] = [
  { sku: 'SKU-1', title: 'Red Linen Dress', category: 'dresses', price: 50, attributes: { color: 'red', material: 'linen' } },
  { sku: 'SKU-2', title: 'Blue Denim Jacket', category: 'outerwear', price: 90, attributes: { color: 'blue', material: 'denim' } },
  { sku: 'SKU-3', title: 'Grey Wool Scarf', category: 'accessories', price: 30, attributes: { color: 'grey', material: 'wool' } },
];

let seq = 0;
/** `count` views of `sku` spread over the minute starting `minutesBeforeAt` before AT. */
function views(sku: string, count: number, minutesBeforeAt: number, region = 'eu-west'): PublishedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    subject: 'events.view',
    payload: { id: `api-${++seq}`, ts: AT - minutesBeforeAt * MINUTE + i * 1000, sku, region, user: `u${i % 7}` },
  }));
}

function sales(sku: string, count: number, minutesBeforeAt: number): PublishedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    subject: 'events.sale',
    payload: { id: `api-${++seq}`, ts: AT - minutesBeforeAt * MINUTE + i * 1000, sku, qty: 2, region: 'apac', user: `b${i}` },
  }));
}

describe('analytics API (real nats-server, real chDB)', () => {
  let nats: TestNats;
  let app: TestApp;
  let nc: NatsConnection;
  let store: ClickHouse;

  const get = async (path: string) => {
    const response = await fetch(`${app.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { entries?: Record<string, unknown>[] } };
  };
  const sql = (body: object) =>
    fetch(`${app.url}/api/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    nats = await startTestNats();
    const catalogPath = join(nats.dir, 'catalog.ndjson');
    writeFileSync(catalogPath, CATALOG.map((item) => JSON.stringify(item)).join('\n'));
    app = await startTestApp(nats.url, {
      BATCH_MAX_WAIT: '100ms',
      CATALOG_PATH: catalogPath,
      SQL_MAX_ROWS: '1000',
      SQL_MAX_EXECUTION_TIME: '1s',
      REPLAY: '0',
    });
    nc = await nats.connect();
    // A second session on the app's chDB, to store spikes as the detector would.
    store = await openClickHouse({ dataDir: app.dataDir });

    // The catalog reaches its table before the traffic, so the views can join it.
    await eventually(async () => Number((await app.sql<{ n: string }>('SELECT count() AS n FROM trendmon.catalog FINAL'))[0]?.n) === 3);
    await publishEvents(nc, [
      // The window before [AT - 20m, AT - 10m) and the window [AT - 10m, AT).
      ...views('SKU-1', 5, 15),
      ...views('SKU-1', 40, 5),
      ...views('SKU-2', 10, 4),
      ...views('SKU-3', 10, 12),
      ...views('SKU-3', 2, 3),
      ...views('SKU-2', 6, 2, 'apac'),
      ...sales('SKU-1', 3, 2),
    ]);
    await eventually(async () => Number((await app.sql<{ n: string }>('SELECT sum(events) AS n FROM trendmon.rollup_sku_minute'))[0]?.n) === 76);
  });

  afterAll(async () => {
    await store?.close();
    await app?.stop();
    await nats?.stop();
  });

  describe('GET /api/trending', () => {
    it('without a window: the live ranking', async () => {
      const { status, body } = await get('/api/trending?dimension=sku&limit=5');
      expect(status).toBe(200);
      expect(Array.isArray(body.entries)).toBe(true);
    });

    it('with a window: keys ranked by their rise over the window before, from the rollups', async () => {
      const { status, body } = await get(`/api/trending?dimension=sku&window=10m&at=${AT}`);
      expect(status).toBe(200);
      expect(body.window).toEqual({ from: AT - 10 * MINUTE, to: AT, previousFrom: AT - 20 * MINUTE });
      const entries = body.entries!;
      expect(entries.map((e) => [e.key, e.current, e.previous])).toEqual([
        ['SKU-1', 43, 5],
        ['SKU-2', 16, 0],
        ['SKU-3', 2, 10],
      ]);
      expect(entries[0]).toMatchObject({ units: 6, revenue: 300, score: (43 - 5) / Math.sqrt(48) });
    });

    it('filters by region and kind, and ranks categories and attributes through the catalog', async () => {
      const apac = await get(`/api/trending?dimension=sku&window=10m&at=${AT}&region=apac&kind=view`);
      expect(apac.body.entries!.map((e) => [e.key, e.current])).toEqual([['SKU-2', 6]]);
      const categories = await get(`/api/trending?dimension=category&window=10m&at=${new Date(AT).toISOString()}`);
      expect(categories.body.entries!.map((e) => e.key)).toEqual(['dresses', 'outerwear', 'accessories']);
      const attributes = await get(`/api/trending?dimension=attribute&window=10m&at=${AT}&limit=2`);
      expect(attributes.body.entries!.map((e) => e.key)).toEqual(['color=red', 'material=linen']);
    });

    it.each([
      ['window=5x', /window: must be whole minutes/],
      ['window=30s', /window: must be whole minutes/],
      ['window=1h&dimension=term', /dimension: term has no rollup/],
      ['window=1h&dimension=query&kind=sale', /kind: query counts search events only/],
      ['window=1h&at=yesterday', /at: is not a time/],
      ['limit=0', /limit/],
      ['dimension=colour', /dimension/],
    ])('refuses %s with a 400 that names the parameter', async (query, message) => {
      const { status, body } = await get(`/api/trending?${query}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'bad_request', error: expect.stringMatching(message) });
    });
  });

  describe('GET /api/series', () => {
    it('gives one key per step, zeros where nothing happened', async () => {
      const { status, body } = await get(`/api/series?dimension=sku&key=SKU-1&from=${AT - 20 * MINUTE}&to=${AT}&step=5m`);
      expect(status).toBe(200);
      const points = body.points as { t: number; views: number; sales: number; units: number; revenue: number }[];
      expect(points.map((p) => p.t)).toEqual([20, 15, 10, 5].map((m) => AT - m * MINUTE));
      expect(points.map((p) => [p.views, p.sales])).toEqual([
        [0, 0],
        [5, 0],
        [0, 0],
        [40, 3],
      ]);
      expect(points[3]).toMatchObject({ units: 6, revenue: 300 });
    });

    it('reads attribute keys as name=value', async () => {
      const { body } = await get(`/api/series?dimension=attribute&key=color%3Dblue&from=${AT - 10 * MINUTE}&to=${AT}&step=5m`);
      expect((body.points as { views: number }[]).map((p) => p.views)).toEqual([0, 16]);
      const bad = await get(`/api/series?dimension=attribute&key=blue&from=${AT - 10 * MINUTE}`);
      expect(bad).toMatchObject({ status: 400, body: { error: expect.stringMatching(/name=value/) } });
    });

    it.each([
      ['dimension=sku&from=0', /key/],
      ['dimension=sku&key=SKU-1', /from/],
      [`dimension=sku&key=SKU-1&from=${AT}&to=${AT - MINUTE}`, /to: must be after from/],
      [`dimension=sku&key=SKU-1&from=0&step=1m`, /at most 10000/],
    ])('refuses %s', async (query, message) => {
      const { status, body } = await get(`/api/series?${query}`);
      expect(status).toBe(400);
      expect(body.error).toMatch(message);
    });
  });

  describe('GET /api/spikes', () => {
    // Query spikes: the detector cannot open any here, as no searches are published.
    beforeAll(async () => {
      const base = { dimension: 'query' as const, direction: 'rising' as const, volume: 50, expected: 10, pctAbove: 400, peakVolume: 60, trendScore: 2, drivers: { search: 50, view: 0, sale: 0 } };
      const started = AT - 30 * MINUTE;
      const rows = [
        spikeRow({ ...base, spikeId: `query:linen dress:${started}`, key: 'linen dress', status: 'rising', score: 5, peakScore: 5, startedAt: started, updatedAt: started }),
        spikeRow({ ...base, spikeId: `query:linen dress:${started}`, key: 'linen dress', status: 'ended', score: 1, peakScore: 7, startedAt: started, updatedAt: AT - 10 * MINUTE, endedAt: AT - 10 * MINUTE }),
        spikeRow({ ...base, spikeId: `query:denim jacket:${AT - 5 * MINUTE}`, key: 'denim jacket', status: 'rising', score: 6, peakScore: 6, startedAt: AT - 5 * MINUTE, updatedAt: AT - 5 * MINUTE }),
        // A fall: its peak is its deepest window.
        ...[-6, -9, -7].map((score, i) =>
          spikeRow({ ...base, direction: 'falling', spikeId: `query:wool coat:${started}`, key: 'wool coat', status: i === 2 ? 'ongoing' : 'falling', score, peakScore: Math.min(-6, score), volume: 2 - i, peakVolume: 2 - i, startedAt: started, updatedAt: started + i * MINUTE }),
        ),
      ];
      await store.client.insert({ table: 'trendmon.spikes', values: rows, format: 'JSONEachRow' });
    });

    it('lists spikes open in a range, one row each with its latest status, newest first', async () => {
      const { status, body } = await get(`/api/spikes?dimension=query&from=${AT - 60 * MINUTE}&to=${AT}`);
      expect(status).toBe(200);
      expect(body.spikes).toEqual([
        expect.objectContaining({ key: 'denim jacket', direction: 'rising', status: 'rising', started_at: AT - 5 * MINUTE, ended_at: null }),
        expect.objectContaining({ key: 'linen dress', direction: 'rising', status: 'ended', started_at: AT - 30 * MINUTE, ended_at: AT - 10 * MINUTE, peak_score: 7 }),
        expect.objectContaining({ key: 'wool coat', direction: 'falling', status: 'ongoing', peak_score: -9, peak_volume: 0 }),
      ]);
    });

    it('filters by status, direction, dimension, key and range', async () => {
      expect((await get('/api/spikes?dimension=query&status=ended')).body.spikes).toHaveLength(1);
      expect((await get('/api/spikes?direction=falling')).body.spikes).toEqual([expect.objectContaining({ key: 'wool coat' })]);
      expect((await get('/api/spikes?direction=sideways')).status).toBe(400);
      expect((await get('/api/spikes?dimension=term')).body.spikes).toEqual([]);
      expect((await get('/api/spikes?dimension=query&key=denim%20jacket')).body.spikes).toHaveLength(1);
      expect((await get(`/api/spikes?dimension=query&from=${AT - 8 * MINUTE}`)).body.spikes).toEqual([expect.objectContaining({ key: 'denim jacket' })]);
      expect((await get('/api/spikes?status=over')).status).toBe(400);
    });
  });

  describe('POST /api/sql', () => {
    it('streams JSON rows, with query parameters bound by ClickHouse', async () => {
      const response = await sql({ query: 'SELECT sku, title FROM trendmon.catalog FINAL WHERE sku = {sku:String}', params: { sku: "SKU-2' OR 1=1 --" } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
      const ok = await sql({ query: "SELECT concat('hello ', {name:String}) AS greeting, {n:UInt8} AS n", params: { name: 'world', n: 7 } });
      expect(ok.headers.get('content-type')).toMatch(/application\/x-ndjson/);
      expect(await ok.text()).toBe('{"greeting":"hello world","n":7}\n');
    });

    it('answers CSV with a header', async () => {
      const response = await sql({ query: 'SELECT sku, category FROM trendmon.catalog FINAL ORDER BY sku', format: 'csv' });
      expect(response.headers.get('content-type')).toMatch(/text\/csv/);
      expect(await response.text()).toBe('"sku","category"\n"SKU-1","dresses"\n"SKU-2","outerwear"\n"SKU-3","accessories"\n');
    });

    it("answers in ClickHouse's other output formats by name", async () => {
      const query = 'SELECT sku, category FROM trendmon.catalog FINAL ORDER BY sku LIMIT 2';
      const tsv = await sql({ query, format: 'TSVWithNames' });
      expect(tsv.headers.get('content-type')).toMatch(/text\/tab-separated-values/);
      expect(await tsv.text()).toBe('sku\tcategory\nSKU-1\tdresses\nSKU-2\touterwear\n');
      const markdown = await sql({ query, format: 'Markdown' });
      expect(markdown.headers.get('content-type')).toMatch(/text\/markdown/);
      expect(await markdown.text()).toBe('| sku | category |\n|:-|:-|\n| SKU-1 | dresses |\n| SKU-2 | outerwear |\n');
    });

    it.each([
      'INSERT INTO trendmon.catalog (sku) VALUES (\'X\')',
      'ALTER TABLE trendmon.catalog DELETE WHERE 1',
      'DROP TABLE trendmon.events_view',
      'TRUNCATE TABLE trendmon.events_view',
      'CREATE TABLE trendmon.x (a UInt8) ENGINE = Memory',
      'SYSTEM STOP MERGES',
      'SET max_result_rows = 0',
      'SELECT number FROM numbers(10) SETTINGS max_result_rows = 0',
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      'KILL QUERY WHERE 1',
      'SELECT 1; DROP TABLE trendmon.events_view',
    ])('refuses %s as read-only (403)', async (query) => {
      const response = await sql({ query });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'read_only', error: expect.stringMatching(/^read-only/) });
    });

    it('refuses a result over SQL_MAX_ROWS with a clear 422, not a cut-off answer', async () => {
      const response = await sql({ query: 'SELECT number FROM numbers(5000)' });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ code: 'limit_exceeded', error: expect.stringMatching(/row or byte limit \(SQL_MAX_ROWS/) });
    });

    it('stops a query at SQL_MAX_EXECUTION_TIME with a clear 422, not a hung request', async () => {
      const started = performance.now();
      const response = await sql({ query: 'SELECT count() FROM numbers(1000000000000)' });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ code: 'limit_exceeded', error: expect.stringMatching(/time limit \(SQL_MAX_EXECUTION_TIME/) });
      expect(performance.now() - started).toBeLessThan(10_000);
    });

    it('says what is wrong with bad SQL (400) and a bad request body (400)', async () => {
      const bad = await sql({ query: 'SELECT FROM WHERE' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'query_error', error: expect.stringMatching(/SYNTAX_ERROR/) });
      const missing = await sql({ query: 'SELECT * FROM trendmon.no_such_table' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ code: 'query_error', error: expect.stringMatching(/UNKNOWN_TABLE/) });
      for (const body of [{}, { query: '' }, { query: 'SELECT 1', format: 'xml' }, { query: 'SELECT 1', params: { 'a-b': 1 } }]) {
        const response = await sql(body);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'bad_request' });
      }
    });
  });

  describe('the catalog table', () => {
    it('follows catalog.upsert', async () => {
      nc.publish('catalog.upsert', JSON.stringify({ ...CATALOG[0], category: 'midi dresses', attributes: { color: 'burgundy' } }));
      const rows = await eventually(async () => {
        const found = await app.sql<{ category: string; color: string }>("SELECT category, attributes['color'] AS color FROM trendmon.catalog FINAL WHERE sku = 'SKU-1'");
        return found[0]?.category === 'midi dresses' ? found : undefined;
      });
      expect(rows).toEqual([{ category: 'midi dresses', color: 'burgundy' }]);
    });
  });

  describe('trendmon sql', () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sql', ...args], {
          cwd: ROOT,
          env: { ...process.env, PORT: new URL(app.url).port, DATA_DIR: app.dataDir },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });

    it("prints ClickHouse's own output formats through the running app, with parameters", async () => {
      const query = 'SELECT sku, price FROM trendmon.catalog FINAL WHERE price >= {min:Float64} ORDER BY sku';
      const table = await run([query, '--param', 'min=40']);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      // PrettyCompact, without colours even when the app has a terminal.
      expect(table.stdout.split('\n').slice(1, 3)).toEqual(['1. │ SKU-1 │    50 │', '2. │ SKU-2 │    90 │']);
      expect(table.stdout).not.toContain('\u001b');
      expect((await run(['--format', 'csv', query, '--param', 'min=40'])).stdout).toBe('"sku","price"\n"SKU-1",50\n"SKU-2",90\n');
      expect((await run(['--format', 'TSV', query, '--param', 'min=40'])).stdout).toBe('SKU-1\t50\nSKU-2\t90\n');
      const json = (await run(['--format', 'JSONEachRow', query, '--param', 'min=40'])).stdout;
      expect(json.trimEnd().split('\n').map((line) => JSON.parse(line))).toEqual([{ sku: 'SKU-1', price: 50 }, { sku: 'SKU-2', price: 90 }]);
    });

    it('gives a slow pipe every line of a large answer, then exits 0', async () => {
      const cli = `"${process.execPath}" --import tsx src/cli/main.ts sql --format TSV "SELECT number, repeat('x', 1000) FROM numbers(900)"`;
      const child = spawn('bash', ['-c', `${cli} | (sleep 1; wc -l); echo "exit \${PIPESTATUS[0]}"`], {
        cwd: ROOT,
        env: { ...process.env, PORT: new URL(app.url).port, DATA_DIR: app.dataDir },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await new Promise((resolve) => child.on('exit', resolve));
      expect(stdout.trim().split('\n').map((line) => line.trim())).toEqual(['900', 'exit 0']);
    });

    it('refuses a format it does not offer, naming those it does', async () => {
      const result = await run(['--format', 'Parquet', 'SELECT 1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^trendmon: --format Parquet: use one of table, csv, tsv, json, CSV, CSVWithNames, /);
    });

    it('exits 2 with the reason on a refused query', async () => {
      const result = await run(['DROP TABLE trendmon.events_view']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^trendmon: read-only/);
    });
  });
});

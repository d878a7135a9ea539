/**
 * For planners, end to end on a real nats-server and chDB, in the app's
 * process: two hours of simulated traffic (a catalog with colour and size
 * variants; surges on products in the first hour, which become the history;
 * a product surge and searches for something the catalog lacks at the end)
 * published as fast as NATS takes it. Then:
 *
 * - the projection's history reads back from ClickHouse: past surges as
 *   curves, records, recent sales;
 * - the unmet search is on /api/unmet and in `unmet_demand`, and its alert
 *   on `alerts.trend` carries `unmet="true"`;
 * - the product's alert splits its units by variant;
 * - a backtest of the two hours runs in the app (POST /api/backtests and
 *   `trendmon backtest`), and stores what would have fired with lead times.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookBody } from '../../src/alerts/payload.js';
import type { PlanningHistory } from '../../src/alerts/planning.js';
import type { BacktestResult } from '../../src/backtest/run.js';
import { loadConfig } from '../../src/config/index.js';
import type { SpikeView } from '../../src/feed/protocol.js';
import { SearchLinker } from '../../src/detect/linking.js';
import { createTraffic, generateCatalog, runSimulation, unmetIdeas, withVariants } from '../../src/sim/index.js';
import { Rng } from '../../src/sim/random.js';
import { openClickHouse, type ClickHouse } from '../../src/store/client.js';
import { loadPlanningHistory } from '../../src/store/planning-history.js';
import { appState, CLI, eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SEED = 7;
const RULES = `{
  "rules": [{ "name": "trend" }],
  "route": { "receiver": "planners", "groupBy": ["..."], "groupWait": "500ms", "groupInterval": "1s", "repeatInterval": "1h" },
  "receivers": [{ "name": "planners", "nats": {} }]
}`;

describe('planners: projections from history, unmet demand, backtests', { timeout: 180_000 }, () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: ClickHouse;
  let app: TestApp;
  let subscription: Subscription;
  const notified: WebhookBody[] = [];
  const catalog = withVariants(generateCatalog(SEED), SEED);
  const products = [...new Set(catalog.filter((i) => i.parent !== undefined).map((i) => i.parent!))];
  const rng = new Rng(SEED);
  const [idea] = unmetIdeas(catalog, rng).filter((i) => i.queries !== undefined);
  const end = Math.floor(Date.now() / 1000) * 1000;
  /** Events the simulation published. */
  let published = 0;
  const start = end - 2 * HOUR;
  const surging = products[0]!;
  let dataDir: string;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    dataDir = mkdtempSync(join(tmpdir(), 'trendmon-planning-'));
    const rulesPath = join(dataDir, 'alerts.json');
    writeFileSync(rulesPath, RULES);
    const env = { WINDOW: '1m', SLIDE: '5s', ALLOWED_LATENESS: '2s', BATCH_MAX_WAIT: '100ms', ALERTS_CONFIG: rulesPath, REPLAY: '0' };
    store = await openClickHouse({ dataDir });
    app = await startTestApp(nats.url, env, { store, dataDir });
    subscription = nc.subscribe('alerts.trend', {
      callback: (_err, msg) => {
        notified.push(msg.json<WebhookBody>());
      },
    });
    // The first hour: surges on four products, a quarter of an hour apart (the history). The last
    // minutes: a surge on another product, and searches for something the catalog lacks.
    const spikes = [1, 2, 3, 4].map((i) => ({ sku: products[i]!, factor: 12, startMs: start + (5 + 15 * (i - 1)) * MINUTE, durationMs: 10 * MINUTE, rampMs: MINUTE }));
    spikes.push({ sku: surging, factor: 12, startMs: end - 12 * MINUTE, durationMs: 12 * MINUTE, rampMs: MINUTE });
    const unmet = [{ ...idea!, startMs: end - 10 * MINUTE, durationMs: 10 * MINUTE, peakPerSec: 1, rampMs: 2 * MINUTE, backgroundPerSec: 0.1 }];
    const traffic = createTraffic({ seed: SEED, catalog, ratePerSec: 20, spikes, unmet });
    published = (await runSimulation({ nc, traffic, catalog, durationMs: end - start, realtime: false, startTs: start })).published;
  });

  afterAll(async () => {
    subscription?.unsubscribe();
    await app?.stop();
    await store?.close();
    await nats?.stop();
  });

  it('reads the history the projections learn from: past surges, records, recent sales', async () => {
    // Everything stored (an insert retried after a failure lands after later ones: the last minute is no proof),
    // then the history as the app reads it.
    await eventually(
      async () => {
        const [row] = await app.sql<{ n: string }>(
          `SELECT (SELECT count() FROM trendmon.events_search FINAL) + (SELECT count() FROM trendmon.events_view FINAL) + (SELECT count() FROM trendmon.events_sale FINAL) AS n`,
        );
        return Number(row!.n) === published;
      },
      150_000,
      500,
      async () => `${published} events published; ${await appState(app)}`,
    );
    let history: PlanningHistory | undefined;
    await eventually(async () => {
      history = await loadPlanningHistory({ client: store.client, database: 'trendmon', catalog: (sku) => catalog.find((i) => i.sku === sku), now: end });
      return history.curves.some((c) => c.origin.dimension === 'sku');
    }, 60_000);
    const skuCurves = history!.curves.filter((c) => c.origin.dimension === 'sku');
    // The first hour's fads are an hour or more old: fitted with their category and attributes.
    expect(skuCurves.length).toBeGreaterThan(0);
    for (const curve of skuCurves) {
      expect(curve.startedAt).toBeLessThan(end - HOUR);
      // Sampled at ages √2 apart up to the key's last minute with events (a quiet variant's stops a step or
      // two short of now): over an hour of the first hour's surges is known, at least half an hour of each.
      expect(curve.toAge).toBeLessThanOrEqual(end - curve.startedAt);
      expect(curve.toAge).toBeGreaterThanOrEqual(30 * MINUTE);
      // (A sparse variant may have had no event in the few minutes before the first surge: a baseline of 0.)
      expect(curve.baselineRate).toBeGreaterThanOrEqual(0);
    }
    expect(skuCurves.filter((c) => c.baselineRate > 0).length).toBeGreaterThan(skuCurves.length / 2);
    expect([...history!.records.keys()].some((k) => k.startsWith('sku:'))).toBe(true);
    expect(history!.records.get('shop')).toBeGreaterThan(0);
    expect([...history!.recentUnits.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('finds the unmet search: on /api/unmet, in unmet_demand, and alerted with unmet="true"', async () => {
    // What the catalog lacks of it, e.g. "butter" and "yellow" in "butter yellow dress": the search or its words rise.
    const missing = new SearchLinker(catalog).coverage(idea!.phrase).missing;
    const live = await eventually(async () => {
      const body = (await (await fetch(`${app.url}/api/unmet`)).json()) as { active: SpikeView[] };
      return body.active.find((e) => e.unmet!.missing.some((word) => missing.includes(word)));
    }, 90_000);
    expect(['query', 'term']).toContain(live.dimension);
    expect(live.unmet!.strength).toBeLessThan(1);
    const alert = await eventually(() => notified.flatMap((b) => b.alerts).find((a) => a.labels.unmet === 'true' && a.labels.key === live.key), 60_000);
    expect(alert.annotations.missing).toBe(live.unmet!.missing.join(', '));
    const rows = await eventually(async () => {
      const found = await app.sql<{ key: string; missing: string[] }>(`SELECT key, missing FROM trendmon.unmet_periods WHERE key = '${live.key}'`);
      return found.length ? found : undefined;
    });
    expect(rows[0]!.missing).toEqual(live.unmet!.missing);
    const body = (await (await fetch(`${app.url}/api/unmet?since=${start}`)).json()) as { recent: { key: string }[] };
    expect(body.recent.map((r) => r.key)).toContain(live.key);
  });

  it("splits a product's projected units by its variants", async () => {
    // The alert about the surge planned at the end (not one the detector raised on the product earlier).
    const surgeStart = end - 12 * MINUTE;
    const alert = await eventually(
      () => notified.flatMap((b) => b.alerts).find((a) => a.labels.key === surging && a.status === 'firing' && Date.parse(a.startsAt) >= surgeStart),
      90_000,
    );
    const variants = catalog.filter((i) => i.parent === surging).map((i) => i.sku);
    const lines = alert.demand.variants!;
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(variants).toContain(line.sku);
      // Each variant's part of the 7-day extra, by its share of the product's recent sales, largest first.
      expect(Math.abs(line.units - line.share * alert.demand.next7d.extra)).toBeLessThanOrEqual(0.001 * alert.demand.next7d.extra);
    }
    expect(lines.map((l) => l.share)).toEqual([...lines.map((l) => l.share)].sort((a, b) => b - a));
    expect(lines.reduce((sum, v) => sum + v.units, 0)).toBeLessThanOrEqual(alert.demand.next7d.extra + lines.length);
    expect(alert.annotations.demand_variants).toMatch(/^\d+ \S+ \S+/);
  });

  it('backtests the two hours in the app: what would have fired, stored, with lead times', async () => {
    const response = await fetch(`${app.url}/api/backtests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: start + 20 * MINUTE, to: end, warmup: '20m' }),
    });
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string } & BacktestResult);
    expect(lines.filter((l) => l.type === 'progress').length).toBeGreaterThan(0);
    const result = lines.find((l) => l.type === 'result')!;
    expect(result.events).toBeGreaterThan(30_000);
    // The surges after the warm-up, and the last product's, would have fired.
    // (Compared whole, so that a failure lists every item alerted: a variant instead of its product, say.)
    const items = [...new Set(result.alerts.filter((a) => a.dimension === 'sku').map((a) => a.key))].sort();
    expect(items).toEqual(expect.arrayContaining([products[2]!, products[3]!, products[4]!, surging]));
    const leads = result.alerts.filter((a) => a.dimension === 'sku' && a.leadMs !== undefined);
    expect(leads.length).toBeGreaterThan(0);
    for (const a of leads) expect(a.salesPeakAt! - a.firedAt).toBe(a.leadMs);
    const [stored] = await app.sql<{ n: string }>(`SELECT count() AS n FROM trendmon.backtest_alerts WHERE run_id = '${result.runId}'`);
    expect(Number(stored!.n)).toBe(result.alerts.length);
    const [run] = await app.sql<{ events: string; alerts: number }>(`SELECT events, alerts FROM trendmon.backtest_runs WHERE run_id = '${result.runId}'`);
    expect(Number(run!.events)).toBe(result.events);
  });

  it('trendmon backtest runs in the app that holds embedded ClickHouse, with progress on stderr', async () => {
    expect(existsSync(CLI)).toBe(true);
    const port = new URL(app.url).port;
    const rules = join(dataDir, 'backtest-rules.json');
    writeFileSync(rules, `{ "rules": [{ "name": "items", "scope": { "dimension": "sku" } }], "route": { "receiver": "r" }, "receivers": [{ "name": "r", "webhooks": [{ "url": "\${UNSET_IN_BACKTESTS}" }] }] }`);
    const config = loadConfig({ DATA_DIR: dataDir, PORT: port });
    const child = spawn(
      process.execPath,
      [CLI, 'backtest', '--from', new Date(end - 13 * MINUTE).toISOString(), '--to', new Date(end).toISOString(), '--warmup', '5m', '--rules', rules],
      { env: { ...process.env, DATA_DIR: config.dataDir, PORT: port, WINDOW: '1m', SLIDE: '5s' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/backtest: \d+% .* events\/s/);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/rules .*backtest-rules\.json/);
    expect(stdout).toContain(surging);
    expect(stdout).toMatch(/stored: SELECT \* FROM backtest_alerts WHERE run_id = '[0-9a-f-]{36}'/);
    expect(stdout).not.toMatch(/\b(query|term|category|attribute)\b +\S+ +\d/);
  });
});

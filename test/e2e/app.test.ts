/**
 * The whole path end to end: the built app as a child process, real
 * nats-server and chDB; simulated traffic with a surge for one sku; a
 * WebSocket client gets the `spike`, and the wall in Chromium shows it.
 */
import WebSocket from 'ws';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage, FeedMessage, SpikeMessage } from '../../src/feed/protocol.js';
import { createTraffic, generateCatalog, runSimulation } from '../../src/sim/index.js';
import { eventually, spawnTestApp, type ChildApp } from '../helpers/app.js';
import { openWall, type WallPage } from '../helpers/browser.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const SURGING_SKU = 'SKU-0010';

describe('end to end: NATS -> windows -> detector -> ClickHouse + WebSocket -> wall', () => {
  let nats: TestNats;
  let app: ChildApp;
  let nc: NatsConnection;
  const messages: FeedMessage[] = [];
  let socket: WebSocket;
  /** Open before the surge, as on a real wall: it must show the item while it rises. */
  let wall: WallPage;
  /** The surging item's row as the wall drew it while the item rose. */
  let wallRowText = '';

  beforeAll(async () => {
    nats = await startTestNats();
    // Short windows so a surge shows within seconds of event time.
    app = await spawnTestApp(nats.url, { WINDOW: '10s', SLIDE: '1s', ALLOWED_LATENESS: '1s' });
    nc = await nats.connect();
    socket = new WebSocket(app.url.replace('http', 'ws') + '/ws');
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as FeedMessage));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    wall = await openWall(app.url);
  });

  afterAll(async () => {
    await wall?.close();
    socket?.close();
    await app?.stop();
    await nats?.stop();
  });

  it('sends a snapshot first', async () => {
    await eventually(() => messages.length > 0);
    expect(messages[0]).toMatchObject({ type: 'snapshot', window: { sizeMs: 10_000, slideMs: 1_000 }, spikes: [] });
  });

  it('detects a surge for one sku from steady traffic and pushes it to WebSocket clients', async () => {
    const catalog = generateCatalog(7);
    const now = Date.now();
    const from = now - 100_000;
    const traffic = createTraffic({
      seed: 7,
      catalog,
      ratePerSec: 150,
      spikes: [{ sku: SURGING_SKU, startMs: from + 70_000, durationMs: 30_000, factor: 15, rampMs: 3_000 }],
    });
    // 100 s of event time, published as fast as NATS takes it: 70 s steady, then the surge.
    const summary = await runSimulation({ nc, traffic, catalog, durationMs: 100_000, realtime: false, startTs: from });
    expect(summary.labelled).toBeGreaterThan(0);

    const spike = await eventually(
      () =>
        messages.find(
          (m): m is SpikeMessage => m.type === 'spike' && m.dimension === 'sku' && m.key === SURGING_SKU,
        ),
      60_000,
    );
    expect(spike.status).toBe('rising');
    expect(spike.volume).toBeGreaterThan(spike.expected * 1.5);
    expect(spike.startedAt).toBeGreaterThanOrEqual(from + 70_000);
    expect(spike.title).toBe(catalog.find((item) => item.sku === SURGING_SKU)!.title);
    // The wall got the same spike: the rising item is on it now (rows that fit the screen only, so ask while it leads).
    const row = wall.page.locator(`[data-testid="wall-row"][data-key="${SURGING_SKU}"]`).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    wallRowText = await row.innerText();
    await eventually(() => messages.some((m) => m.type === 'ranking' && m.entries.some((e) => e.key === SURGING_SKU)));
    await eventually(() => messages.some((m) => m.type === 'counters' && m.eventsPerSec > 0));
    // The default rules alert on every spike: the wall hears of the alert as it fires.
    const alert = await eventually(() =>
      messages.find((m): m is AlertMessage => m.type === 'alert' && m.dimension === 'sku' && m.key === SURGING_SKU),
    );
    expect(alert).toMatchObject({ status: 'firing', title: spike.title, startsAt: spike.startedAt });
    expect(alert.demand.summary).toMatch(/units\/7 d/);
  });

  it('stores the spike and every event in ClickHouse', async () => {
    const rows = await eventually(async () => {
      const found = await app.sql<{ status: string }>(
        // Oldest first: the spike opened rising, and may have moved on by now.
        `SELECT status FROM trendmon.spikes WHERE dimension = 'sku' AND key = '${SURGING_SKU}' ORDER BY updated_at`,
      );
      return found.length > 0 ? found : undefined;
    });
    expect(rows[0]!.status).toBe('rising');
    const [stored] = await app.sql<{ n: string }>(
      `SELECT (SELECT count() FROM trendmon.events_search FINAL) + (SELECT count() FROM trendmon.events_view FINAL)
              + (SELECT count() FROM trendmon.events_sale FINAL) AS n`,
    );
    expect(Number(stored!.n)).toBeGreaterThan(10_000);
  });

  it('shows the spiking item on the wall in Chromium', async () => {
    const title = generateCatalog(7).find((item) => item.sku === SURGING_SKU)!.title;
    expect(wallRowText).toContain(title);
    await wall.page.locator('[data-testid="conn-state"][data-state="live"]').waitFor({ timeout: 10_000 });
    await wall.page.screenshot({ path: 'test-results/e2e-wall.png' });
    expect(wall.errors).toEqual([]);
  });

  it('drains on SIGTERM and exits 0', async () => {
    const code = await app.signal('SIGTERM');
    expect(code).toBe(0);
    expect(app.output()).toMatch(/draining/);
  });
});

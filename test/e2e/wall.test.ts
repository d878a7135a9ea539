/**
 * The live wall in a real browser against a real feed server: the built
 * dist/web served by express, `FeedServer` on /ws, Debian Chromium.
 */
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FeedMessage, SnapshotMessage, SpikeView } from '../../src/feed/protocol.js';
import { FeedServer, type FeedServerOptions } from '../../src/feed/server.js';
import { RESOLVED_ALERT_MS } from '../../web/src/state.js';
import { openWall, type OpenWallOptions, type WallPage } from '../helpers/browser.js';
import { alertView, apparelStory, COUNTERS, snapshot, spike } from '../helpers/spikes.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const distWeb = join(repoRoot, 'dist/web');
const resultsDir = join(repoRoot, 'test-results');

interface WallServer {
  readonly url: string;
  readonly port: number;
  readonly feed: FeedServer;
  close(): Promise<void>;
}

/** The policy the app will serve the wall with: no inline code or styles anywhere. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:";

/** The wall's production setup in miniature: static files plus the feed on one port. */
async function startWallServer(
  snapshotFn: () => SnapshotMessage,
  port = 0,
  authorize?: FeedServerOptions['authorize'],
): Promise<WallServer> {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP);
    next();
  });
  app.use(express.static(distWeb));
  const server = createServer(app);
  const feed = new FeedServer({ server, snapshot: snapshotFn, authorize });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    feed,
    async close() {
      await feed.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

const NOW = Date.now();
const DRESS = spike({
  dimension: 'sku',
  key: 'SKU-10482',
  title: 'Linen midi dress',
  category: 'dresses',
  pctAbove: 312,
  expected: 420,
});
const LINEN_QUERY = spike({ dimension: 'query', key: 'linen dress', pctAbove: 268, expected: 260 });
const SAGE = spike({ dimension: 'attribute', key: 'color=sage', pctAbove: 154, expected: 900, status: 'ongoing' });
const DRESSES = spike({ dimension: 'category', key: 'dresses', pctAbove: 96, expected: 1500, status: 'ongoing' });
const HAT = spike({
  dimension: 'sku',
  key: 'SKU-41290',
  title: 'Straw bucket hat',
  category: 'accessories',
  pctAbove: 58,
  status: 'ended',
  startedAt: NOW - 61 * 60_000,
  endedAt: NOW - 14 * 60_000,
  trendScore: 0,
});
const BOARD: readonly SpikeView[] = [DRESS, LINEN_QUERY, SAGE, DRESSES, HAT];
const DRESS_ALERT = alertView({ key: 'SKU-10482', title: 'Linen midi dress', category: 'dresses', pctAbove: 312 });
const SAGE_ALERT = alertView({
  key: 'color=sage',
  dimension: 'attribute',
  pctAbove: 154,
  week: { extra: 5200, low: 3900, high: 7400 },
});

const rowKeys = (page: Page) =>
  page.$$eval('[data-testid="wall-row"]', (rows) => rows.map((row) => (row as HTMLElement).dataset.key));
const testId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
const row = (page: Page, key: string) => page.locator(`[data-testid="wall-row"][data-key="${key}"]`);
const alertKeys = (page: Page) =>
  page.$$eval('[data-testid="alert"]', (cards) => cards.map((card) => (card as HTMLElement).dataset.key));
const alertCard = (page: Page, key: string) => page.locator(`[data-testid="alert"][data-key="${key}"]`);

async function waitLive(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="conn-state"][data-state="live"]');
}

/** Lets slides, glows and counter tweens finish so a screenshot shows the resting state. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().length === 0, undefined, { timeout: 30_000 });
  // Counter tweens run on requestAnimationFrame: wait until no more frames are drawn.
  let frames = -1;
  for (;;) {
    const drawn = await page.evaluate(() => window.__wallStats.frames);
    if (drawn === frames) return;
    frames = drawn;
    await page.waitForTimeout(500);
  }
}

describe('live wall', { timeout: 60_000 }, () => {
  let server: WallServer;
  let current = snapshot(BOARD);
  let wall: WallPage | undefined;

  const open = async (query = '', options?: OpenWallOptions) => {
    wall = await openWall(server.url, query, options);
    return wall.page;
  };
  const broadcast = (message: FeedMessage) => server.feed.broadcast(message);

  beforeAll(async () => {
    if (!existsSync(join(distWeb, 'index.html'))) {
      throw new Error('dist/web/index.html is missing: run `npm run build` (or `npx vite build`) first');
    }
    mkdirSync(resultsDir, { recursive: true });
    server = await startWallServer(() => current);
  });

  afterEach(async () => {
    current = snapshot(BOARD);
    const errors = wall?.errors ?? [];
    await wall?.close();
    wall = undefined;
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('draws the snapshot', async () => {
    const page = await open();
    await waitLive(page);

    expect(await rowKeys(page)).toEqual(['SKU-10482', 'linen dress', 'color=sage', 'dresses', 'SKU-41290']);
    const top = row(page, 'SKU-10482');
    await expect.poll(() => top.locator('.row-title').textContent()).toBe('Linen midi dress');
    expect(await top.locator('.row-pct').textContent()).toBe('+312%');
    expect(await top.locator('.row-meta').textContent()).toContain('dresses');
    expect(await top.locator('.row-when').textContent()).toMatch(/^since \d\d:\d\d$/);
    expect(await row(page, 'linen dress').locator('.row-title').textContent()).toBe('“linen dress”');

    const ended = row(page, 'SKU-41290');
    expect(await ended.getAttribute('data-status')).toBe('ended');
    expect(await ended.locator('.row-when').textContent()).toBe('lasted 47m');

    expect(await testId(page, 'counter-events-per-sec').textContent()).toBe('1.2K');
    expect(await testId(page, 'counter-revenue-today').textContent()).toBe('640K');
    expect(await testId(page, 'window-info').textContent()).toBe('5 min window · every 30 s');
    expect(await testId(page, 'empty-state').isHidden()).toBe(true);
  });

  it('inserts and patches rows from spike messages', async () => {
    const page = await open();
    await waitLive(page);

    const sneakers = spike({ dimension: 'query', key: 'white sneakers', pctAbove: 520, expected: 540 });
    broadcast({ type: 'spike', ...sneakers });
    await row(page, 'white sneakers').waitFor({ timeout: 5_000 });
    // Slotted in by trend score, ahead of everything else.
    expect((await rowKeys(page))[0]).toBe('white sneakers');

    broadcast({ type: 'spike', ...DRESS, status: 'ended', endedAt: Date.now(), updatedAt: Date.now() });
    await page.waitForSelector('[data-key="SKU-10482"][data-status="ended"]', { timeout: 5_000 });
    // An ended spike stays on the board until the next ranking drops it.
    expect(await rowKeys(page)).toContain('SKU-10482');
    broadcast({ type: 'ranking', windowEnd: Date.now(), entries: [sneakers, LINEN_QUERY], falling: [] });
    await expect.poll(() => rowKeys(page), { timeout: 5_000 }).toEqual(['white sneakers', 'linen dress']);
  });

  it('reorders rows on a ranking', async () => {
    const page = await open();
    await waitLive(page);

    const reversed = [...BOARD].reverse().map((s) => ({ ...s, updatedAt: Date.now() }));
    broadcast({ type: 'ranking', windowEnd: Date.now(), entries: reversed, falling: [] });
    await expect
      .poll(() => rowKeys(page), { timeout: 5_000 })
      .toEqual(['SKU-41290', 'dresses', 'color=sage', 'linen dress', 'SKU-10482']);
    expect(await row(page, 'SKU-41290').locator('.row-rank').textContent()).toBe('1');
  });

  it('tweens counters to new values', async () => {
    const page = await open();
    await waitLive(page);

    broadcast({
      type: 'counters',
      serverTime: Date.now(),
      eventsPerSec: 4321,
      salesLastMinute: 87,
      revenueLastMinute: 5230,
      salesToday: 15_400,
      revenueToday: 1_230_000,
    });
    const shows = (id: string) => expect.poll(() => testId(page, id).textContent(), { timeout: 5_000 });
    await shows('counter-events-per-sec').toBe('4.3K');
    await shows('counter-sales-last-minute').toBe('87');
    await shows('counter-revenue-last-minute').toBe('5.2K');
    await shows('counter-sales-today').toBe('15.4K');
    await shows('counter-revenue-today').toBe('1.2M');
  });

  it('coalesces a burst of messages into few frames', async () => {
    const page = await open();
    await waitLive(page);

    const before = await page.evaluate(() => ({ ...window.__wallStats }));
    const burst = 300;
    for (let i = 1; i <= burst; i++) {
      broadcast({ type: 'spike', ...DRESS, volume: DRESS.volume + i, updatedAt: DRESS.updatedAt + i * 30_000 });
    }
    await page.waitForFunction((target) => window.__wallStats.messages >= target, before.messages + burst);
    await page.waitForTimeout(200); // let the last frame land
    const after = await page.evaluate(() => ({ ...window.__wallStats }));
    expect(after.frames - before.frames).toBeLessThan(burst / 2);
    expect(await row(page, 'SKU-10482').locator('.row-volume').textContent()).toBe('2K');
  });

  it('says so when nothing is spiking, and still shows counters', async () => {
    current = snapshot([]);
    const page = await open();
    await waitLive(page);

    await testId(page, 'empty-state').waitFor();
    expect(await testId(page, 'empty-state').textContent()).toBe('Nothing is spiking right now');
    expect(await rowKeys(page)).toEqual([]);
    expect(await testId(page, 'counter-events-per-sec').textContent()).toBe('1.2K');
  });

  it('?board=query shows search queries only', async () => {
    const page = await open('board=query');
    await waitLive(page);

    await expect.poll(() => rowKeys(page)).toEqual(['linen dress']);
    expect(await testId(page, 'board-name').textContent()).toBe('Searches');
    // A spike for another dimension does not get onto this board.
    broadcast({ type: 'spike', ...spike({ dimension: 'sku', key: 'SKU-1', pctAbove: 900 }) });
    broadcast({ type: 'spike', ...spike({ dimension: 'query', key: 'maxi skirt', pctAbove: 10 }) });
    await expect.poll(() => rowKeys(page)).toEqual(['linen dress', 'maxi skirt']);
  });

  it('?board=falling shows what is falling, and falls stay off every other board', async () => {
    const stockOut = spike({ dimension: 'sku', key: 'SKU-777', title: 'Sage Linen Shirt', direction: 'falling', status: 'falling', pctAbove: -96, score: -9, volume: 2, expected: 55 });
    current = snapshot(BOARD, COUNTERS, [], [stockOut]);
    const page = await open('board=falling');
    await waitLive(page);
    await expect.poll(() => rowKeys(page)).toEqual(['SKU-777']);
    expect(await testId(page, 'board-name').textContent()).toBe('Falling: stock-outs and drops');
    expect(await page.locator('[data-key="SKU-777"]').getAttribute('data-direction')).toBe('falling');
    await wall!.close();
    wall = undefined;
    const all = await open();
    await waitLive(all);
    await expect.poll(() => rowKeys(all)).toEqual(BOARD.map((s) => s.key));
    // A fall arriving live goes to its own board only.
    broadcast({ type: 'spike', ...spike({ dimension: 'sku', key: 'SKU-778', direction: 'falling', status: 'falling', pctAbove: -80, score: -6 }) });
    broadcast({ type: 'spike', ...spike({ dimension: 'sku', key: 'SKU-1', pctAbove: 900 }) });
    await expect.poll(() => rowKeys(all)).toContain('SKU-1');
    expect(await rowKeys(all)).not.toContain('SKU-778');
  });

  it('?board=category:dresses shows that category', async () => {
    const page = await open('board=category:dresses');
    await waitLive(page);

    await expect.poll(() => rowKeys(page)).toEqual(['SKU-10482', 'dresses']);
    expect(await testId(page, 'board-name').textContent()).toBe('Category: dresses');
  });

  it('?region= keeps that region\'s spikes and names it in the header', async () => {
    const page = await open('region=eu');
    await waitLive(page);

    await testId(page, 'empty-state').waitFor();
    expect(await testId(page, 'board-region').textContent()).toBe('Region eu');
    broadcast({ type: 'spike', ...spike({ dimension: 'region', key: 'us', pctAbove: 80 }) });
    broadcast({ type: 'spike', ...spike({ dimension: 'region', key: 'eu', pctAbove: 40 }) });
    await expect.poll(() => rowKeys(page)).toEqual(['eu']);
  });

  it('?cycle= rotates through the boards', async () => {
    const page = await open('cycle=5s');
    await waitLive(page);

    expect(await testId(page, 'board-name').textContent()).toBe('All trends');
    await expect.poll(() => testId(page, 'board-name').textContent(), { timeout: 15_000 }).toBe('Products');
    expect(await rowKeys(page)).toEqual(['SKU-10482', 'SKU-41290']);
  });

  it('passes ?token= on to the feed', async () => {
    const guarded = await startWallServer(
      () => snapshot(BOARD),
      0,
      (req) =>
        new URL(req.url ?? '/', 'http://x').searchParams.get('token') === 'sesame'
          ? undefined
          : { status: 401, reason: 'unauthorized' },
    );
    try {
      wall = await openWall(guarded.url, 'token=sesame');
      await waitLive(wall.page);
      expect(await rowKeys(wall.page)).toHaveLength(BOARD.length);
    } finally {
      await guarded.close();
    }
  });

  it('?theme=light switches to the light theme', async () => {
    const page = await open('theme=light');
    await waitLive(page);

    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(244, 246, 249)');
    expect(await rowKeys(page)).toHaveLength(BOARD.length);
  });

  it('keeps the last data while reconnecting, then resyncs by itself', async () => {
    // A server of its own: this test kills it.
    let feedSnapshot = snapshot(BOARD);
    const first = await startWallServer(() => feedSnapshot);
    let firstOpen = true;
    let second: WallServer | undefined;
    try {
      wall = await openWall(first.url);
      const { page } = wall;
      await waitLive(page);

      await first.close();
      firstOpen = false;
      await page.waitForSelector('[data-testid="conn-state"][data-state="reconnecting"]', { timeout: 10_000 });
      expect(await testId(page, 'reconnect-banner').isVisible()).toBe(true);
      expect(await testId(page, 'reconnect-banner').textContent()).toContain('Reconnecting…');
      expect(await rowKeys(page)).toHaveLength(BOARD.length);
      await page.screenshot({ path: join(resultsDir, 'wall-reconnecting.png') });

      feedSnapshot = snapshot([spike({ dimension: 'query', key: 'after the restart', pctAbove: 77 })]);
      second = await startWallServer(() => feedSnapshot, first.port);
      await waitLive(page);
      await expect.poll(() => rowKeys(page), { timeout: 5_000 }).toEqual(['after the restart']);
      expect(await testId(page, 'reconnect-banner').isHidden()).toBe(true);
    } finally {
      if (firstOpen) await first.close();
      await second?.close();
    }
  });

  it('shows new normal, driving signals and what a search links to', async () => {
    const settled = { ...HAT, key: 'SKU-55120', spikeId: 'sku:SKU-55120:1', title: 'Linen shirt', endReason: 'new-normal' as const };
    current = snapshot([
      { ...DRESS, drivenBy: ['search', 'view'] },
      { ...LINEN_QUERY, linkedTo: ['sku:SKU-10482', 'category:dresses', 'attribute:color=sage'] },
      SAGE,
      { ...HAT, endReason: 'faded' },
      settled,
    ]);
    const page = await open();
    await waitLive(page);

    await expect.poll(() => row(page, 'SKU-55120').locator('.row-badge').textContent()).toBe('new normal');
    expect(await row(page, 'SKU-55120').getAttribute('data-status')).toBe('ended');
    // One that faded is simply ended.
    expect(await row(page, 'SKU-41290').locator('.row-badge').textContent()).toBe('ended');
    expect(await row(page, 'linen dress').locator('.row-meta').textContent()).toBe('Search · → SKU-10482, dresses, color: sage');
    expect(await row(page, 'SKU-10482').locator('.drivers-lead').textContent()).toBe('driven by search + view');
    // Without drivenBy, the largest share.
    expect(await row(page, 'color=sage').locator('.drivers-lead').textContent()).toBe('search 50%');
  });

  it('shows the snapshot\'s alerts for planners', async () => {
    current = snapshot(BOARD, COUNTERS, [SAGE_ALERT, { ...DRESS_ALERT, silencedBy: ['changeover'] }]);
    const page = await open();
    await waitLive(page);

    await testId(page, 'alerts').waitFor();
    expect(await alertKeys(page)).toEqual(['color=sage', 'SKU-10482']);
    expect(await testId(page, 'alerts-count').textContent()).toBe('2');
    const dress = alertCard(page, 'SKU-10482');
    expect(await dress.locator('.alert-title').textContent()).toBe('Linen midi dress');
    expect(await dress.locator('.alert-meta').textContent()).toMatch(/^SKU-10482 · dresses · factory porto · since \d\d:\d\d$/);
    expect(await dress.locator('.alert-summary').textContent()).toBe(
      '"Linen midi dress" (SKU-10482, dresses) is taking off: +312% vs baseline, score 9.4',
    );
    expect(await dress.locator('[data-testid="alert-demand"]').textContent()).toBe('+1,800 units/7 d (1,200–2,500)');
    expect(await dress.locator('[data-testid="alert-badge"]').textContent()).toBe('silenced');
    const sage = alertCard(page, 'color=sage');
    expect(await sage.locator('.alert-title').textContent()).toBe('color: sage');
    expect(await sage.locator('.alert-meta').textContent()).toMatch(/^Attribute · factory porto · since /);
    expect(await sage.locator('[data-testid="alert-badge"]').isHidden()).toBe(true);
  });

  it('adds, updates and retires alerts from alert messages without moving the board', async () => {
    current = snapshot(BOARD, COUNTERS, [DRESS_ALERT]);
    // Fake timers, so a resolved alert's stay can be skipped rather than waited out.
    const page = await open('', { beforeLoad: (p) => p.clock.install() });
    await waitLive(page);
    await testId(page, 'alerts').waitFor();
    const topRow = async () => {
      const box = await row(page, 'SKU-10482').boundingBox();
      return box && [Math.round(box.y), Math.round(box.height)];
    };
    const top = await topRow();

    broadcast({ type: 'alert', ...SAGE_ALERT });
    // Bigger projected demand: first.
    await expect.poll(() => alertKeys(page)).toEqual(['color=sage', 'SKU-10482']);
    expect(await testId(page, 'alerts-count').textContent()).toBe('2');

    broadcast({ type: 'alert', ...DRESS_ALERT, demand: { ...DRESS_ALERT.demand, next7d: { baseline: 980, extra: 2340, low: 1700, high: 3100 } }, inhibitedBy: ['fp-dresses'] });
    const dress = alertCard(page, 'SKU-10482');
    await expect.poll(() => dress.locator('[data-testid="alert-demand"]').textContent()).toBe('+2,300 units/7 d (1,700–3,100)');
    expect(await dress.locator('[data-testid="alert-badge"]').textContent()).toBe('inhibited');

    broadcast({ type: 'alert', ...SAGE_ALERT, status: 'resolved', endsAt: Date.now(), demand: { ...SAGE_ALERT.demand, next7d: { baseline: 980, extra: 0, low: 0, high: 40 } } });
    const sage = alertCard(page, 'color=sage');
    await expect.poll(() => sage.getAttribute('data-status')).toBe('resolved');
    expect(await sage.locator('[data-testid="alert-badge"]').textContent()).toBe('resolved');
    // It keeps its place while it stays, and is no longer counted as firing.
    expect(await alertKeys(page)).toEqual(['color=sage', 'SKU-10482']);
    expect(await testId(page, 'alerts-count').textContent()).toBe('1');

    await page.clock.fastForward(RESOLVED_ALERT_MS + 1_000);
    await expect.poll(() => alertKeys(page)).toEqual(['SKU-10482']);
    // Gone by itself, not by a reconnect (the server's snapshot still has it firing).
    expect(await testId(page, 'conn-state').getAttribute('data-state')).toBe('live');

    broadcast({ type: 'alert', ...DRESS_ALERT, status: 'resolved', endsAt: Date.now() });
    await expect.poll(() => dress.getAttribute('data-status')).toBe('resolved');
    await page.clock.fastForward(RESOLVED_ALERT_MS + 1_000);
    await testId(page, 'alerts').waitFor({ state: 'hidden' });
    // The panel came and went; the rows never moved.
    expect(await topRow()).toEqual(top);
  });

  it('makes room for alerts from the bottom of the board, rows keeping their size', async () => {
    const story = apparelStory();
    current = { ...story.snapshot, alerts: [] };
    const page = await open();
    await waitLive(page);
    for (const ranking of story.rankings) broadcast(ranking);
    await expect.poll(() => rowKeys(page)).toHaveLength(10);
    await settle(page);
    // To the pixel: the grid's fractional tracks may round a 64th of a pixel differently.
    const boxes = () =>
      page.$$eval('[data-testid="wall-row"]', (rows) =>
        rows.slice(0, 8).map((r) => {
          const { top, height } = r.getBoundingClientRect();
          return [Math.round(top), Math.round(height)];
        }),
      );
    const before = await boxes();

    broadcast({ type: 'alert', ...DRESS_ALERT });
    await testId(page, 'alerts').waitFor();
    await expect.poll(() => rowKeys(page)).toHaveLength(8);
    await settle(page);
    expect(await boxes()).toEqual(before);
    const lastRow = await page.locator('[data-testid="wall-row"]').last().boundingBox();
    const panel = await testId(page, 'alerts').boundingBox();
    expect(panel!.y).toBeGreaterThan(lastRow!.y + lastRow!.height);
  });

  it('fits a populated board on 1920x1080 and 4K screens', async () => {
    const story = apparelStory();
    current = story.snapshot;
    const page = await open('currency=EUR');
    await waitLive(page);
    for (const ranking of story.rankings) broadcast(ranking);
    broadcast({ type: 'counters', serverTime: Date.now(), ...story.counters });
    // Two row slots went to the alerts panel.
    await expect.poll(() => rowKeys(page)).toHaveLength(8);
    expect(await alertKeys(page)).toEqual(['SKU-10482', 'SKU-33107']);
    expect(await testId(page, 'alerts-count').textContent()).toBe('3');
    await settle(page);

    const overflow = () =>
      page.evaluate(() => {
        const root = document.documentElement;
        const clipped = [
          ...document.querySelectorAll<HTMLElement>('.row-pct, .row-volume, .counter-value, .drivers-lead, .alert-title, .alert-meta, .alert-demand'),
        ].filter((el) => el.scrollWidth > el.clientWidth + 1);
        // A card or the panel's head cut at the bottom loses its last line.
        const cut = [...document.querySelectorAll<HTMLElement>('.alert, .alerts-head')].filter(
          (el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1,
        );
        clipped.push(...cut);
        return {
          scrolls: root.scrollHeight > innerHeight || root.scrollWidth > innerWidth,
          clipped: clipped.map((el) => el.textContent),
        };
      });
    expect(await overflow()).toEqual({ scrolls: false, clipped: [] });
    await page.screenshot({ path: join(resultsDir, 'wall-1920x1080.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      await page.screenshot({ path: join(repoRoot, 'docs/wall.png') });
    }

    await page.setViewportSize({ width: 3840, height: 2160 });
    await settle(page);
    expect(await overflow()).toEqual({ scrolls: false, clipped: [] });
    await page.screenshot({ path: join(resultsDir, 'wall-3840x2160.png') });
  });

  it('shows unmet demand on ?board=unmet: what shoppers search for that the catalog lacks', async () => {
    const crochet = spike({
      dimension: 'query',
      key: 'crochet bag',
      pctAbove: 2400,
      expected: 6,
      unmet: { missing: ['crochet'], strength: 0.5, nearest: [{ sku: 'SKU-0031', title: 'Canvas Tote Bag' }], coSearched: ['color=sage', 'material=linen'] },
    });
    const butter = spike({ dimension: 'term', key: 'butter', pctAbove: 900, expected: 20, unmet: { missing: ['butter'], strength: 0, nearest: [], coSearched: [] } });
    current = { ...snapshot(BOARD), unmet: [crochet] };
    const page = await open('?board=unmet');
    await waitLive(page);
    expect(await testId(page, 'board-name').textContent()).toBe('Unmet demand: searched for, not in the catalog');
    await expect.poll(() => rowKeys(page)).toEqual(['crochet bag']);
    const first = row(page, 'crochet bag');
    expect(await first.getAttribute('data-unmet')).toBe('crochet');
    expect(await first.locator('.row-meta').textContent()).toBe('Not in the catalog: crochet · wanted in sage, linen · closest: Canvas Tote Bag');
    // Each detector window brings the ranked list anew.
    broadcast({ type: 'unmet', windowEnd: Date.now(), entries: [butter, crochet] });
    await expect.poll(() => rowKeys(page), { timeout: 5_000 }).toEqual(['butter', 'crochet bag']);
    await settle(page);
    await page.screenshot({ path: join(resultsDir, 'wall-unmet.png') });
  });

  it('says on an alert card what to make, per variant', async () => {
    const trousers = alertView({ key: 'SKU-0007', title: 'Linen Wide-Leg Trousers', category: 'trousers', week: { extra: 2_100, low: 900, high: 4_400 } });
    const lines = [
      { sku: 'SKU-0007-SAGE-M', label: 'sage M', units: 1_248 },
      { sku: 'SKU-0007-SAGE-L', label: 'sage L', units: 832 },
      { sku: 'SKU-0007-SAND-M', label: 'sand M', units: 21 },
    ];
    current = snapshot(BOARD, COUNTERS, [{ ...trousers, demand: { ...trousers.demand, variants: lines } }]);
    const page = await open();
    await waitLive(page);
    await expect.poll(() => alertCard(page, 'SKU-0007').locator('[data-testid="alert-variants"]').textContent()).toBe('make 1,200 sage M · 830 sage L · 21 sand M');
  });
});

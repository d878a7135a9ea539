/**
 * The wall under a message flood: 1,000 feed messages a second for 15 s
 * (spike updates for 40 rows, a ranking and counters every few ms) while
 * Chromium renders the board; frame times measured in the page with
 * requestAnimationFrame, independently of the wall's own code.
 *
 *   npx tsx bench/wall-fps.ts [--rate 1000] [--seconds 15]     (needs `npm run build` first)
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import { FeedServer } from '../src/feed/server.js';
import type { SpikeView } from '../src/feed/protocol.js';
import { openWall } from '../test/helpers/browser.js';
import { snapshot, spike } from '../test/helpers/spikes.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '15' } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);

const rows: SpikeView[] = Array.from({ length: 40 }, (_, i) =>
  spike({ dimension: i % 3 === 0 ? 'query' : 'sku', key: i % 3 === 0 ? `linen dress ${i}` : `SKU-${String(i).padStart(4, '0')}`, title: `Item ${i}`, category: 'dresses', pctAbove: 100 + i * 7 }),
);
const app = express();
app.use(express.static(join(import.meta.dirname, '..', 'dist', 'web')));
const server = createServer(app);
const feed = new FeedServer({ server, snapshot: () => snapshot(rows.slice(0, 12)) });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as { port: number }).port;

const wall = await openWall(`http://127.0.0.1:${port}`);
await wall.page.locator('[data-testid="wall-row"]').first().waitFor();
/** The page's globals, typed here: this file compiles without the DOM library. */
interface PageGlobals {
  __frames: number[];
  __wallStats: unknown;
}
// A string, not a function: the TypeScript runner would wrap a function with helpers the page lacks.
await wall.page.evaluate(`{
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => { window.__frames.push(now - last); last = now; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}`);

process.stderr.write(`wall-fps: ${rate} messages/s for ${seconds} s\n`);
let sent = 0;
const started = Date.now();
const sender = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * rate);
  for (; sent < due; sent++) {
    const row = rows[sent % rows.length]!;
    const volume = row.volume + (sent % 50);
    if (sent % 100 === 0) {
      feed.broadcast({ type: 'ranking', windowEnd: Date.now(), entries: [...rows].sort(() => Math.random() - 0.5).slice(0, 12), falling: [] });
    } else if (sent % 97 === 0) {
      feed.broadcast({ type: 'counters', serverTime: Date.now(), eventsPerSec: 50_000 + sent, salesLastMinute: sent, revenueLastMinute: sent * 30, salesToday: sent * 10, revenueToday: sent * 300 });
    } else {
      feed.broadcast({ type: 'spike', ...row, volume, updatedAt: Date.now() });
    }
  }
}, 5);
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
clearInterval(sender);
const frames = (await wall.page.evaluate(() => (globalThis as unknown as PageGlobals).__frames)).slice(5);
const stats = await wall.page.evaluate(() => (globalThis as unknown as PageGlobals).__wallStats);
await wall.close();
await feed.close();
server.close();

const sorted = [...frames].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const mean = frames.reduce((a, b) => a + b, 0) / frames.length;
console.log(
  JSON.stringify({
    messagesPerSec: Math.round(sent / seconds),
    frames: frames.length,
    fps: Math.round(1000 / mean),
    frameMsP50: Math.round(pct(50) * 10) / 10,
    frameMsP95: Math.round(pct(95) * 10) / 10,
    frameMsMax: Math.round(sorted[sorted.length - 1]! * 10) / 10,
    slowFramesOver50ms: frames.filter((f) => f > 50).length,
    wallStats: stats,
  }),
);

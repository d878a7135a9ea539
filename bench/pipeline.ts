/**
 * trendmon's pure core alone, in one process and on one core, timed per
 * stage: validation (parseEvent), observations (observe, with the catalog
 * and the search linker), the hopping windows and the detector, over the
 * benchmark workload with event times as dense as a 100k events/s shop's
 * and the app's defaults (WINDOW=5m, SLIDE=10s, sketch capacity 10,000).
 * No NATS, no ClickHouse: where the main thread's time goes per event, and
 * how long each window close and detector step holds the event loop.
 *
 *   npx tsx bench/pipeline.ts [--events 1000000] [--scale 1] [--window 300000] [--slide 10000] [--lateness ms]
 */
import { parseArgs } from 'node:util';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { loadConfig } from '../src/config/index.js';
import { SpikeDetector } from '../src/detect/detector.js';
import { SearchLinker } from '../src/detect/linking.js';
import type { CatalogItem } from '../src/domain.js';
import { parseEvent } from '../src/ingest/schemas.js';
import { hoppingWindows, type WindowResult } from '../src/windows/hopping.js';
import { observe, type Observation } from '../src/windows/keys.js';
import { percentile } from './lib/util.js';
import { Workload, writeCatalog } from './lib/workload.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    scale: { type: 'string', default: '1' },
    window: { type: 'string', default: '300000' },
    slide: { type: 'string', default: '10000' },
    lateness: { type: 'string' },
  },
});
const total = Number(values.events);
const sizeMs = Number(values.window);
const slideMs = Number(values.slide);
const config = loadConfig({});
const latenessMs = values.lateness === undefined ? config.windows.allowedLatenessMs : Number(values.lateness);

const workload = new Workload({ scale: Number(values.scale) });
const dir = mkdtempSync(join(tmpdir(), 'trendmon-bench-pipeline-'));
const items = readFileSync(writeCatalog(join(dir, 'catalog.ndjson'), workload.cardinality.skus), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as CatalogItem);
rmSync(dir, { recursive: true, force: true });
const catalog = new Map(items.map((item) => [item.sku, item]));
const linker = new SearchLinker(items);
const lookup = (sku: string) => catalog.get(sku);
const links = (query: string) => linker.link(query);

// Messages as NATS delivers them (bytes), generated before the clock starts.
const end = Date.now();
const spanMs = Math.max(1_000, Math.round(total / 100_000) * 1000);
const messages: { subject: string; data: Uint8Array }[] = [];
const encoder = new TextEncoder();
for (let i = 0; i < total; i++) {
  const e = workload.next(end - spanMs + Math.floor((i / total) * spanMs));
  messages.push({ subject: e.subject, data: encoder.encode(e.payload) });
}

const scheduler = new VirtualTimeScheduler();
scheduler.frame = end - spanMs;
const detector = new SpikeDetector({ warmupWindows: sizeMs / slideMs, linker });
const closeMs: number[] = [];
const detectMs: number[] = [];
let keys = 0;
let emitted = 0;
let live = true;
const input = new Subject<Observation>();
input
  .pipe(hoppingWindows({ sizeMs, slideMs, allowedLatenessMs: latenessMs, capacity: { query: config.sketchCapacity, term: config.sketchCapacity }, scheduler }))
  .subscribe((result: WindowResult) => {
    if (!live) return; // the flush on complete
    emitted++;
    keys = result.keys.length;
    const started = performance.now();
    detector.step(result);
    detectMs.push(performance.now() - started);
  });

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
let parseTime = 0;
let observeTime = 0;
let windowTime = 0;
let observations = 0;
const started = performance.now();
for (let i = 0; i < total; i++) {
  const m = messages[i]!;
  let t = performance.now();
  const result = parseEvent(m.subject, m.data, end);
  const t1 = performance.now();
  parseTime += t1 - t;
  if (!result.ok) continue;
  scheduler.frame = result.event.ts;
  const list = observe(result.event, lookup, links);
  t = performance.now();
  observeTime += t - t1;
  observations += list.length;
  for (const o of list) {
    const before = emitted;
    const detected = detectMs.length;
    const at = performance.now();
    input.next(o);
    // The observation that moved the watermark past a window's end paid for its close.
    if (emitted !== before) closeMs.push(performance.now() - at - sum(detectMs.slice(detected)));
  }
  windowTime += performance.now() - t;
}
live = false;
const seconds = (performance.now() - started) / 1000;
input.complete();

const us = (ms: number) => ((ms * 1000) / total).toFixed(2);
const windowCount = closeMs.length;
console.log(
  JSON.stringify({
    events: total,
    windowMs: sizeMs,
    slideMs,
    eventsPerSec: Math.round(total / seconds),
    observationsPerEvent: +(observations / total).toFixed(2),
    usPerEvent: {
      parse: +us(parseTime),
      observe: +us(observeTime),
      windowsIncludingCloses: +us(windowTime - sum(detectMs)),
      detector: +us(sum(detectMs)),
    },
    windows: windowCount,
    keysInLastWindow: keys,
    /** Per window emitted: the close (pane merge, sketches) and the detector step. */
    closeMs: { p50: +percentile(closeMs, 50).toFixed(1), max: +Math.max(...closeMs).toFixed(1) },
    detectMs: { p50: +percentile(detectMs, 50).toFixed(1), max: +Math.max(...detectMs).toFixed(1) },
    heapMb: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
);

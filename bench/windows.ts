/**
 * The windowing operator alone, on one core: events/s through
 * observe -> hoppingWindows for a realistic mix, and the heap and RSS held
 * with 1M distinct search queries in one window.
 *
 *   npx tsx bench/windows.ts [--events 1000000]
 */
import { parseArgs } from 'node:util';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import type { TrendEvent } from '../src/domain.js';
import { hoppingWindows } from '../src/windows/hopping.js';
import { observe } from '../src/windows/keys.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' } } });
const total = Number(values.events);
const START = 1_800_000_000_000;

function run(label: string, makeEvent: (i: number) => TrendEvent) {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = START;
  const input = new Subject<ReturnType<typeof observe>[number]>();
  let windows = 0;
  let keys = 0;
  input
    .pipe(hoppingWindows({ sizeMs: 300_000, slideMs: 10_000, allowedLatenessMs: 5_000, capacity: { query: 10_000, term: 10_000 }, scheduler }))
    .subscribe((r) => {
      windows++;
      keys = r.keys.length;
    });
  const catalog = (sku: string) => ({ sku, title: 'Linen Midi Dress', category: 'dresses', attributes: { color: 'sage', material: 'linen' } });
  const started = performance.now();
  let observations = 0;
  for (let i = 0; i < total; i++) {
    const event = makeEvent(i);
    scheduler.frame = event.ts;
    for (const o of observe(event, catalog)) {
      input.next(o);
      observations++;
    }
    if (i % 200_000 === 0 && i > 0) process.stderr.write(`  ${label}: ${i.toLocaleString()} events\r`);
  }
  const seconds = (performance.now() - started) / 1000;
  input.complete();
  const memory = process.memoryUsage();
  console.log(
    `${label.padEnd(28)} ${Math.round(total / seconds).toLocaleString().padStart(10)} events/s  ${Math.round(observations / seconds).toLocaleString().padStart(10)} obs/s  ` +
      `windows ${windows}, keys in last ${keys}, heap ${(memory.heapUsed / 1e6).toFixed(0)} MB, rss ${(memory.rss / 1e6).toFixed(0)} MB`,
  );
}

const ts = (i: number) => START + Math.floor((i / total) * 280_000);
run('mixed (1k skus, 5k queries)', (i) =>
  i % 10 < 4
    ? { kind: 'search', id: `e${i}`, ts: ts(i), query: `linen dress ${i % 5000}`, user: `u${i % 20_000}` }
    : i % 10 < 9
      ? { kind: 'view', id: `e${i}`, ts: ts(i), sku: `SKU-${i % 1000}`, user: `u${i % 20_000}`, region: 'eu' }
      : { kind: 'sale', id: `e${i}`, ts: ts(i), sku: `SKU-${i % 1000}`, qty: 1, price: 20, user: `u${i % 20_000}` },
);
run('1M distinct queries', (i) => ({ kind: 'search', id: `q${i}`, ts: ts(i), query: `unique query ${i}` }));

/**
 * Memory of the live windows under an unbounded key space: N distinct search
 * queries (plus five heavy ones) inside one 5-minute window, through
 * observe -> hoppingWindows with the app's sketch capacity. Prints one JSON
 * line: RSS and heap after a full GC, and how the top queries came out.
 *
 *   node --max-old-space-size=320 --import tsx bench/window-memory.ts [--distinct 1000000] [--capacity 10000] [--users]
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { hoppingWindows, type WindowResult } from '../src/windows/hopping.js';
import { observe, type Observation } from '../src/windows/keys.js';

const { values } = parseArgs({
  options: { distinct: { type: 'string', default: '1000000' }, capacity: { type: 'string', default: '10000' }, users: { type: 'boolean', default: false } },
});
/** --users: every search names a shopper (the windows then also count shoppers per key). */
const user = (i: number) => (values.users ? { user: `u${i % 100_000}` } : {});
const distinct = Number(values.distinct);
const capacity = Number(values.capacity);
const START = 1_800_000_000_000;
const HEAVY = ['linen dress', 'black boots', 'merino jumper', 'trench coat', 'silk scarf'];

const scheduler = new VirtualTimeScheduler();
scheduler.frame = START;
const input = new Subject<Observation>();
let full: WindowResult | undefined;
input
  .pipe(hoppingWindows({ sizeMs: 300_000, slideMs: 10_000, allowedLatenessMs: 5_000, capacity: { query: capacity, term: capacity }, scheduler }))
  // The window ending at START + 290 s holds every event (they span 280 s).
  .subscribe((r) => {
    if (r.end === START + 290_000) full = r;
  });

const truth = new Map<string, number>();
const noCatalog = () => undefined;
let searches = 0;
const started = performance.now();
for (let i = 0; i < distinct; i++) {
  const ts = START + Math.floor((i / distinct) * 280_000);
  scheduler.frame = ts;
  for (const o of observe({ kind: 'search', id: `q${i}`, ts, query: `unique query ${i}`, ...user(i) }, noCatalog)) input.next(o);
  searches++;
  if (i % 50 === 0) {
    // Heavy queries with different weights: 'linen dress' most, 'silk scarf' least.
    const n = (i / 50) % 15;
    const query = HEAVY[n < 5 ? 0 : n < 9 ? 1 : n < 12 ? 2 : n < 14 ? 3 : 4]!;
    truth.set(query, (truth.get(query) ?? 0) + 1);
    for (const o of observe({ kind: 'search', id: `h${i}`, ts, query, ...user(i) }, noCatalog)) input.next(o);
    searches++;
  }
  if (i % 100_000 === 0 && i > 0) process.stderr.write(`window-memory: ${i.toLocaleString()} / ${distinct.toLocaleString()}\r`);
}
const seconds = (performance.now() - started) / 1000;
// Measure while the window state is still live (before complete releases it), after a full GC.
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();
const memory = process.memoryUsage();
input.complete();

const queries = full!.keys.filter((k) => k.dimension === 'query').sort((a, b) => b.events - a.events);
const top = queries.slice(0, HEAVY.length).map((k) => ({ key: k.key, events: k.events, error: k.error, truth: truth.get(k.key) ?? 0 }));
console.log(
  JSON.stringify({
    distinct,
    searches,
    capacity,
    eventsPerSec: Math.round(searches / seconds),
    rssMb: Math.round(memory.rss / 1e6),
    heapUsedMb: Math.round(memory.heapUsed / 1e6),
    queryKeysInWindow: queries.length,
    errorBound: Math.ceil(searches / capacity),
    top,
  }),
);

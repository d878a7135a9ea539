/**
 * `trendmon backtest` on a month of simulated traffic: generates the month
 * (the simulator's shop, a quarter of its products in variants, a shaped
 * surge every few hours and searches for what the catalog lacks) straight
 * into embedded ClickHouse through the app's schema, then replays it all
 * through the live windows, detector and default alert rule, and prints the
 * speed (events/s) and what would have fired.
 *
 *   npm run bench:backtest -- [--days 30] [--rate 5] [--items 500] [--window 5m] [--slide 10s] [--dir DIR]
 *
 * With `--dir` the data is kept there, and a second run on the same
 * directory skips the generation.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../src/config/duration.js';
import { configuredRules } from '../src/backtest/rules.js';
import { runBacktest } from '../src/backtest/run.js';
import { storedSpan } from '../src/backtest/source.js';
import type { TrendEvent } from '../src/domain.js';
import { createTraffic, drawSurgeShape, generateCatalog, SURGE_SHAPE_KINDS, unmetIdeas, withVariants, type SpikePlan, type UnmetPlan } from '../src/sim/index.js';
import { Rng } from '../src/sim/random.js';
import { surgeSpanMs } from '../src/sim/shapes.js';
import { openClickHouse } from '../src/store/client.js';
import { catalogRow, eventRow, TABLE_OF_KIND } from '../src/store/rows.js';
import { migrate } from '../src/store/schema.js';
import { describeMachine, progress, tempDir } from './lib/util.js';

const machine = () => {
  const m = describeMachine('chdb');
  return `${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, chdb ${m.chdb}`;
};

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '30' },
    rate: { type: 'string', default: '5' },
    items: { type: 'string', default: '500' },
    window: { type: 'string', default: '5m' },
    slide: { type: 'string', default: '10s' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
  },
});
const DAYS = Number(values.days);
const RATE = Number(values.rate);
const SEED = Number(values.seed);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 4, 1);
const END = START + DAYS * DAY;
const BATCH_ROWS = 20_000;
const DATABASE = 'trendmon';

const catalog = withVariants(generateCatalog(SEED, Number(values.items)), SEED);

/** A shaped surge on a product every ~6 hours, and an unmet search every ~8 hours. */
function plans(): { spikes: SpikePlan[]; unmet: UnmetPlan[] } {
  const rng = new Rng(SEED * 7919);
  const products = [...new Set(catalog.map((i) => i.parent ?? i.sku))].slice(0, 200);
  const spikes: SpikePlan[] = [];
  for (let t = START + 2 * HOUR; t < END - 3 * HOUR; t += 4 * HOUR + rng.int(0, 4 * HOUR)) {
    const shape = drawSurgeShape(rng.pick(SURGE_SHAPE_KINDS), rng);
    spikes.push({ sku: rng.pick(products), factor: shape.peak, startMs: t, durationMs: Math.round(Math.min(surgeSpanMs(shape), 7 * DAY)), shape });
  }
  const ideas = unmetIdeas(catalog, rng);
  const unmet: UnmetPlan[] = [];
  for (let t = START + 5 * HOUR, i = 0; t < END - 2 * HOUR; t += 8 * HOUR, i++) {
    unmet.push({ ...ideas[i % ideas.length]!, startMs: t, durationMs: HOUR, peakPerSec: 0.5, rampMs: 15 * 60_000 });
  }
  return { spikes, unmet };
}

async function main(): Promise<void> {
  const dir = values.dir ?? tempDir('trendmon-bench-backtest-');
  const store = await openClickHouse({ dataDir: dir });
  try {
    await migrate(store.client, { database: DATABASE });
    const span = await storedSpan(store.client, DATABASE);
    if (span.first === undefined) {
      progress(`generating ${DAYS} days at ~${RATE} events/s, ${catalog.length} items, into ${dir}`);
      await store.client.insert({ table: `${DATABASE}.catalog`, values: catalog.map((item) => catalogRow(item, START)), format: 'JSONEachRow' });
      const traffic = createTraffic({ seed: SEED, catalog, ratePerSec: RATE, diurnal: { amplitude: 0.5 }, ...plans() });
      const buffers = new Map<string, object[]>();
      const flush = async (table: string) => {
        const rows = buffers.get(table) ?? [];
        buffers.set(table, []);
        if (rows.length) await store.client.insert({ table: `${DATABASE}.${table}`, values: rows, format: 'JSONEachRow' });
      };
      let n = 0;
      for (let t = START; t < END; t += HOUR) {
        for (const e of traffic.eventsBetween(t, t + HOUR)) {
          const table = TABLE_OF_KIND[e.kind];
          const rows = buffers.get(table) ?? [];
          rows.push(eventRow({ kind: e.kind, ...e.payload } as TrendEvent, e.payload.ts));
          buffers.set(table, rows);
          if (rows.length >= BATCH_ROWS) await flush(table);
          n++;
        }
        if ((t - START) % DAY === 0) progress(`day ${(t - START) / DAY + 1}/${DAYS}: ${n.toLocaleString('en-US')} events`);
      }
      for (const table of [...buffers.keys()]) await flush(table);
      progress(`generated ${n.toLocaleString('en-US')} events`);
    } else {
      progress(`reusing the data in ${dir}`);
    }
    const windows = { sizeMs: parseDuration(values.window)!, slideMs: parseDuration(values.slide)!, allowedLatenessMs: 5_000, capacity: { query: 10_000, term: 10_000 } };
    const result = await runBacktest(
      store.client,
      DATABASE,
      { fromMs: START + DAY, toMs: END, warmupMs: DAY, rules: await configuredRules(undefined, {}), windows },
      (p) => progress(`backtest ${Math.round(p.done * 100)}%: ${p.events.toLocaleString('en-US')} events, ${Math.round(p.eventsPerSec).toLocaleString('en-US')} events/s, ${p.alerts} alerts`),
    );
    const leads = result.alerts.filter((a) => a.leadMs !== undefined).length;
    process.stdout.write(
      [
        `machine: ${machine()}`,
        `month: ${DAYS} days at ~${RATE} events/s, ${catalog.length} items; windows ${values.window} every ${values.slide}; default rule (every spike alerts)`,
        `replayed ${result.events.toLocaleString('en-US')} events in ${result.seconds} s: ${result.eventsPerSec.toLocaleString('en-US')} events/s`,
        `${result.alerts.length} alerts would have fired (${leads} with sales to measure a lead); median lead over the sales peak ` +
          `${result.medianLeadMs === undefined ? '-' : `${(result.medianLeadMs / 60_000).toFixed(1)} min`}`,
      ].join('\n') + '\n',
    );
  } finally {
    await store.close();
    if (!values.dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:backtest: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});

/**
 * The analysts' questions of docs/analytics.md on a month of simulated
 * traffic: generates the month straight into embedded ClickHouse (the
 * app's schema, materialized views and all, in bounded batches), then runs
 * every question a few times and prints the median and worst time of each
 * as a Markdown table (paste it into docs/analytics.md, "Benchmark").
 *
 *   npm run bench:analytics -- [--days 30] [--rate 20] [--items 2000] [--runs 5] [--dir DIR]
 *
 * `--rate` is the mean baseline events per second (with a day/night
 * rhythm, plus surges). With `--dir` the data is kept there, and a second
 * run on the same directory skips the generation.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CatalogItem, Spike, TrendEvent } from '../src/domain.js';
import { createTraffic, generateCatalog, type SpikePlan } from '../src/sim/index.js';
import { Rng } from '../src/sim/random.js';
import { openClickHouse, type ClickHouse } from '../src/store/client.js';
import { catalogRow, eventRow, spikeRow, TABLE_OF_KIND, type DeadLetterRow } from '../src/store/rows.js';
import { migrate } from '../src/store/schema.js';
import { loadQuestions } from '../test/helpers/questions.js';
import { describeMachine, percentile, progress, round, tempDir } from './lib/util.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '30' },
    rate: { type: 'string', default: '20' },
    items: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
  },
});
const DAYS = Number(values.days);
const RATE = Number(values.rate);
const ITEMS = Number(values.items);
const RUNS = Number(values.runs);
const SEED = Number(values.seed);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 4, 1);
const END = START + DAYS * DAY;
/** Rows per insert: the field notes' bound for chDB (a larger insert blocks the event loop). */
const BATCH_ROWS = 20_000;
/** One event in this many is stored twice, as a redelivery would be. */
const REDELIVERY_EVERY = 10_000;
const DATABASE = 'trendmon';

/** A surge every ~6 hours on one of the busier items: 1-2 h, up to 8x, ramping over 15 min. */
function planSpikes(catalog: readonly CatalogItem[]): SpikePlan[] {
  const rng = new Rng(SEED * 7919);
  const plans: SpikePlan[] = [];
  for (let t = START + 2 * HOUR; t < END - 3 * HOUR; t += 4 * HOUR + rng.int(0, 4 * HOUR)) {
    const item = catalog[rng.int(0, Math.min(catalog.length, 200) - 1)]!;
    plans.push({ sku: item.sku, startMs: t, durationMs: rng.int(60, 120) * MINUTE, factor: rng.uniform(4, 8), rampMs: 15 * MINUTE });
  }
  return plans;
}

/** The detector's rows for a planned surge: opened 5 min in, updated every minute, ended 5 min after. */
function spikeRows(plan: SpikePlan, dimension: 'sku' | 'query', key: string, leadMs: number) {
  const started = plan.startMs + 5 * MINUTE - leadMs;
  const ended = plan.startMs + plan.durationMs + 5 * MINUTE;
  const rows = [];
  for (let t = started; t <= ended; t += MINUTE) {
    const status: Spike['status'] = t === started ? 'rising' : t + MINUTE > ended ? 'ended' : 'ongoing';
    const score = 4 + plan.factor * Math.sin((Math.PI * (t - started)) / (ended - started));
    rows.push(
      spikeRow({
        spikeId: `${dimension}:${key}:${started}`,
        dimension,
        key,
        direction: 'rising',
        status,
        score,
        volume: 100,
        expected: 100 / plan.factor,
        pctAbove: (plan.factor - 1) * 100,
        startedAt: started,
        updatedAt: t,
        ...(status === 'ended' ? { endedAt: t } : {}),
        peakScore: 4 + plan.factor,
        peakVolume: 100,
        trendScore: 1,
        drivers: { search: dimension === 'query' ? 100 : 0, view: 80, sale: 20 },
      }),
    );
  }
  return rows;
}

class Loader {
  private readonly buffers = new Map<string, object[]>();
  rows = 0;

  constructor(private readonly store: ClickHouse) {}

  async add(table: string, row: object): Promise<void> {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = []));
    buffer.push(row);
    if (buffer.length >= BATCH_ROWS) await this.flush(table);
  }

  async flush(table?: string): Promise<void> {
    for (const name of table ? [table] : [...this.buffers.keys()]) {
      const rows = this.buffers.get(name) ?? [];
      if (rows.length === 0) continue;
      this.buffers.set(name, []);
      await this.store.client.insert({ table: `${DATABASE}.${name}`, values: rows, format: 'JSONEachRow' });
      this.rows += rows.length;
    }
  }
}

async function generate(store: ClickHouse): Promise<void> {
  const catalog = generateCatalog(SEED, ITEMS);
  const spikes = planSpikes(catalog);
  const loader = new Loader(store);
  for (const item of catalog) await loader.add('catalog', catalogRow(item, START - DAY));
  await loader.flush();
  const traffic = createTraffic({ seed: SEED, catalog, ratePerSec: RATE, spikes, diurnal: { amplitude: 0.6 } });
  const titles = new Map(catalog.map((item) => [item.sku, item.title.toLowerCase()]));
  for (const plan of spikes) {
    for (const row of spikeRows(plan, 'sku', plan.sku, 0)) await loader.add('spikes', row);
    for (const row of spikeRows(plan, 'query', titles.get(plan.sku)!, 3 * MINUTE)) await loader.add('spikes', row);
  }
  const reasons = ['invalid_field', 'not_json', 'ts_in_future', 'oversize', 'unknown_subject'];
  let n = 0;
  const started = performance.now();
  const step = 10 * MINUTE;
  for (let t = START; t < END; t += step) {
    for (const event of traffic.eventsBetween(t, t + step)) {
      const row = eventRow({ kind: event.kind, ...event.payload } as TrendEvent, event.payload.ts + 200);
      const table = TABLE_OF_KIND[event.kind];
      await loader.add(table, row);
      if (++n % REDELIVERY_EVERY === 0) await loader.add(table, { ...row });
    }
    for (let m = 0; m < step; m += MINUTE) {
      const deadLetter: DeadLetterRow = {
        received_at: t + m,
        subject: 'events.sale',
        reason: reasons[(t + m) % reasons.length]!,
        detail: 'generated',
        payload: '{}',
        payload_bytes: 2,
        stream_seq: (t + m) / MINUTE,
      };
      await loader.add('dead_letters', deadLetter);
    }
    if (((t - START) / step) % 144 === 0) {
      const done = (t + step - START) / (END - START);
      const seconds = (performance.now() - started) / 1000;
      progress(`day ${Math.round((t - START) / DAY) + 1}/${DAYS}: ${loader.rows.toLocaleString()} rows stored, ${Math.round(loader.rows / seconds).toLocaleString()} rows/s, ~${Math.round(seconds / done - seconds)} s to go`);
    }
  }
  await loader.flush();
  progress(`generated ${n.toLocaleString()} events (${spikes.length} surges) in ${round((performance.now() - started) / 1000, 1)} s`);
}

/** The parameters of each question, inside the simulated month. */
const PARAMS: Record<string, Record<string, string | number>> = {
  Q1: { hour: '2025-05-29 20:00:00' },
  Q2: { from: '2025-05-01 00:00:00', to: '2025-06-01 00:00:00', factor: 3, min_events: 5 },
  Q3: { region: 'apac', month: '2025-05-01 00:00:00', min_events: 10 },
  Q4: { from: '2025-05-01 00:00:00', to: '2025-06-01 00:00:00' },
  Q5: { from: '2025-05-01 00:00:00', to: '2025-06-01 00:00:00' },
  Q6: { from: '2025-05-24 00:00:00', to: '2025-05-31 00:00:00', min_views: 20 },
  Q7: { day: '2025-05-29 00:00:00' },
  Q8: { week: '2025-05-26 00:00:00' },
  Q9: { from: '2025-05-01 00:00:00', to: '2025-06-01 00:00:00' },
  Q10: { day: '2025-05-29 00:00:00' },
  Q11: { from: '2025-05-29 00:00:00', to: '2025-05-30 00:00:00' },
};

async function counts(store: ClickHouse): Promise<Record<string, number>> {
  const result = await store.client.query({
    query: `SELECT table, sum(rows) AS rows FROM system.parts WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
    query_params: { db: DATABASE },
    format: 'JSONEachRow',
  });
  return Object.fromEntries((await result.json<{ table: string; rows: number }>()).map((r) => [r.table, Number(r.rows)]));
}

async function main(): Promise<void> {
  const dir = values.dir ?? tempDir('analytics');
  const store = await openClickHouse({ dataDir: dir });
  try {
    await migrate(store.client, { database: DATABASE });
    const before = await counts(store);
    if ((before.events_view ?? 0) > 0) progress(`reusing the data in ${dir}`);
    else {
      progress(`generating ${DAYS} days at ~${RATE} events/s, ${ITEMS} items, into ${dir}`);
      await generate(store);
    }
    const tables = await counts(store);
    const raw = (tables.events_search ?? 0) + (tables.events_view ?? 0) + (tables.events_sale ?? 0);
    const rollups = Object.entries(tables).filter(([t]) => t.startsWith('rollup_')).reduce((sum, [, rows]) => sum + rows, 0);

    const questions = loadQuestions();
    const results: { id: string; title: string; rows: number; median: number; worst: number }[] = [];
    for (const question of questions) {
      const params = PARAMS[question.id];
      if (!params) throw new Error(`bench/analytics.ts has no parameters for ${question.id}`);
      const times: number[] = [];
      let rows = 0;
      for (let run = 0; run <= RUNS; run++) {
        const started = performance.now();
        const result = await store.reader.query({ query: question.sql, query_params: params, format: 'JSONEachRow' });
        rows = (await result.json()).length;
        if (run > 0) times.push(performance.now() - started); // run 0 warms the caches
      }
      results.push({ id: question.id, title: question.title, rows, median: percentile(times, 50), worst: Math.max(...times) });
      progress(`${question.id}: median ${round(percentile(times, 50))} ms`);
    }

    const machine = describeMachine('chDB');
    console.log(`\n${DAYS} days from ${new Date(START).toISOString().slice(0, 10)}, ~${RATE} events/s baseline, ${ITEMS} items; ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, chdb ${machine.chdb}.`);
    console.log(`Raw events: ${raw.toLocaleString('en-US')} rows (search ${(tables.events_search ?? 0).toLocaleString('en-US')}, view ${(tables.events_view ?? 0).toLocaleString('en-US')}, sale ${(tables.events_sale ?? 0).toLocaleString('en-US')}); rollups: ${rollups.toLocaleString('en-US')} rows; spikes: ${(tables.spikes ?? 0).toLocaleString('en-US')} rows.\n`);
    console.log(`| question | rows out | median ms | worst ms |\n|---|---:|---:|---:|`);
    for (const r of results) console.log(`| ${r.id}. ${r.title} | ${r.rows} | ${round(r.median)} | ${round(r.worst)} |`);
  } finally {
    await store.close();
    if (!values.dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();

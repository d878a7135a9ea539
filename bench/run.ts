/**
 * trendmon's benchmark suite: how fast one instance ingests, how close that
 * is to a bare consumer on the same stream, how quickly a surge reaches the
 * wall, how much memory it needs and how cost grows with the work. Every
 * component runs for real (nats-server, trendmon in a child process, the
 * configured ClickHouse: embedded chDB unless CLICKHOUSE_URL is set).
 *
 *   npm run bench                 # full run, ~7 minutes
 *   npm run bench -- --quick      # ~1 minute, smaller samples
 *   npm run bench -- --profile    # also writes the app's CPU profile of the ingest run
 *
 * Prints a table on stdout (progress on stderr), writes
 * bench/results/<timestamp>.json and bench/results/latest.json, and updates
 * docs/performance.md and its charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runIngest, type IngestResult } from './ingest.js';
import { compile } from './lib/child.js';
import { runLive } from './latency.js';
import { describeMachine, progress, round } from './lib/util.js';
import { runMemory } from './memory.js';
import { printTable, writeDocs, type Results } from './report.js';
import { runSteady } from './steady.js';
import { runStore } from './store.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Leave docs/performance.md and the charts alone (e.g. for a comparison run). */
    'no-docs': { type: 'boolean', default: false },
  },
});
const quick = values.quick;
/**
 * --quick (about a minute): the same measurements on smaller samples. A
 * backlog of 120k events (70k timed), the 1x and 4x cardinalities, three
 * surges at each latency rate after the shortest warm-up the detector
 * allows (WINDOW / SLIDE = 10 windows of history, plus one), no separate
 * 100k stage, the memory run at 100k distinct queries only (the 1M run
 * takes half a minute by itself) and two batch sizes for the store.
 * Good for seeing a change's direction; the full run is the one to quote.
 */
const plan = quick
  ? { events: 120_000, scales: [1, 4], surges: 3, lowSurges: 3, warmupSeconds: 11, stageSeconds: 2, tailSeconds: 3.5, sweepRates: [], memory: [100_000], store: { rows: 20_000, seconds: 0.3, sizes: '1000,10000' }, steady: { warmupSeconds: 20, seconds: 30 } }
  : { events: 1_000_000, scales: [1, 2, 4], surges: 30, lowSurges: 20, warmupSeconds: 15, stageSeconds: 10, tailSeconds: 6, sweepRates: [100_000], memory: [100_000, 1_000_000], store: { rows: 200_000, seconds: 4, sizes: '1000,5000,10000,20000,50000' }, steady: { warmupSeconds: 60, seconds: 60 } };

// Ctrl-C: exit through 'exit' handlers, which stop the nats-servers; children exit on disconnect.
process.once('SIGINT', () => process.exit(130));
const started = performance.now();
const loadBefore = loadavg();
const resultsDir = join(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const profileDir = values.profile ? join(resultsDir, 'profiles') : undefined;

progress('compiling src and bench (tsc -p tsconfig.build.json): children run the compiled JavaScript');
const compiled = compile();
const first = await runIngest({ events: plan.events, scale: 1, ceiling: true, cpuProfDir: profileDir });
const cardinality: IngestResult[] = [first.ingest];
for (const scale of plan.scales.slice(1)) cardinality.push((await runIngest({ events: plan.events, scale, ceiling: false })).ingest);
const live = await runLive({ quick, latencyRate: 50_000, surges: plan.surges, lowLatencyRate: 10_000, lowSurges: plan.lowSurges, sweepRates: plan.sweepRates, stageSeconds: plan.stageSeconds, warmupSeconds: plan.warmupSeconds, tailSeconds: plan.tailSeconds });
const memory = [];
for (const distinct of plan.memory) memory.push(await runMemory(distinct));
const store = await runStore(plan.store);
const steady = await runSteady(plan.steady);

const date = new Date().toISOString();
const results: Results = {
  date,
  command: `npm run bench${quick ? ' -- --quick' : ''}`,
  quick,
  runtime: compiled ? 'compiled (tsc, node dist/...)' : 'tsx (the tsc build failed)',
  machine: describeMachine(store.clickhouse),
  events: plan.events,
  ceiling: first.ceiling!,
  ingest: first.ingest,
  ratioToCeiling: round(first.ingest.eventsPerSec / first.ceiling!.eventsPerSec, 3),
  cardinality,
  latency: live.latency,
  lowLatency: live.lowLatency,
  sweep: live.sweep,
  memory,
  store: store.results,
  steady,
  seconds: round((performance.now() - started) / 1000, 1),
  loadAverage: { before: loadBefore.map((l) => round(l, 1)), after: loadavg().map((l) => round(l, 1)) },
};
const json = JSON.stringify(results, null, 2) + '\n';
writeFileSync(join(resultsDir, `${date.replace(/[:.]/g, '-')}.json`), json);
writeFileSync(join(resultsDir, 'latest.json'), json);
if (!values['no-docs']) writeDocs(results, join(import.meta.dirname, '..', 'docs'));
progress(`done in ${Math.round(results.seconds)} s; results in bench/results/latest.json${values['no-docs'] ? '' : ', docs/performance.md updated'}`);
console.log(printTable(results));

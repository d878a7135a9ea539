/**
 * `npm run bench:scale-out [-- --quick]`: what one instance takes when it is
 * one of N (docs/scaling.md), measured side by side in one run on the same
 * pre-published backlog:
 * - alone: one instance, every key counted in process (PARTITIONS unset);
 * - scaled out x1, x2, x3: that many instances (PARTITIONS=8), each its own
 *   process and embedded ClickHouse, sharing the ingest consumer and sending
 *   observations through TRENDMON_OBS to the partitions' owners.
 * Each run: a fresh nats-server, the backlog pre-published, then timed from
 * the first delivery until all but LEFT_UNTIMED events are acked (stored and,
 * scaled out, their observations durable in JetStream).
 * Prints a table, writes bench/results/scale-out-latest.json, and rewrites
 * the generated block of docs/scaling.md and docs/scaling-instances.svg.
 * `--only NAME` runs one of them (docs untouched); `--profile` writes each
 * instance's V8 CPU profile to bench/results/profiles/.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appEnv, LEFT_UNTIMED, type AppStats } from './ingest.js';
import { compile, spawnChild, type Child } from './lib/child.js';
import { ingestConsumerInfo, prepublish, startBenchNats, streamLastSeq } from './lib/nats.js';
import { describeMachine, progress, round, tempDir, until } from './lib/util.js';
import { Workload, writeCatalog } from './lib/workload.js';
import { lineChart } from './report.js';

const quick = process.argv.includes('--quick');
/** `--profile`: each instance writes a V8 CPU profile to bench/results/profiles/. */
const profileDir = process.argv.includes('--profile') ? join(import.meta.dirname, 'results', 'profiles') : undefined;
/** `--only "scaled out x1"`: just that run (the docs are left as they are). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const EVENTS = quick ? 150_000 : 400_000;
const PARTITIONS = 8;

interface Run {
  readonly name: string;
  readonly instances: number;
  readonly scaledOut: boolean;
}

interface RunResult extends Run {
  readonly eventsPerSec: number;
  readonly perInstance: number;
  /** CPU time of all the instances per 1,000 events, ms. */
  readonly cpuMsPer1k: number;
  readonly rssMb: number;
}

const RUNS: readonly Run[] = [
  { name: 'alone', instances: 1, scaledOut: false },
  { name: 'scaled out x1', instances: 1, scaledOut: true },
  { name: 'scaled out x2', instances: 2, scaledOut: true },
  { name: 'scaled out x3', instances: 3, scaledOut: true },
];

async function measure(run: Run): Promise<RunResult> {
  const nats = await startBenchNats();
  const dir = tempDir('scale');
  const apps: Child[] = [];
  try {
    const workload = new Workload({ scale: 1 });
    const catalogPath = writeCatalog(join(dir, 'catalog.ndjson'), workload.cardinality.skus);
    const now = Date.now();
    progress(`${run.name}: pre-publishing ${EVENTS.toLocaleString()} events`);
    await prepublish(nats.nc, workload, EVENTS, now - Math.round(EVENTS / 100), now);
    const last = await streamLastSeq(nats.nc);
    for (let i = 0; i < run.instances; i++) {
      const env = appEnv(nats.url, join(dir, `data-${i}`), {
        CATALOG_PATH: catalogPath,
        ...(run.scaledOut ? { PARTITIONS: String(PARTITIONS), INSTANCE_ID: `bench-${i}`, LEASE_TTL: '3s' } : {}),
      });
      apps.push(spawnChild('child-app.ts', { env, execArgv: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [] }));
    }
    let firstAt: number | undefined;
    let steadyAt: number | undefined;
    let lastReport = Date.now();
    await until(
      async () => {
        const info = await ingestConsumerInfo(nats.nc);
        const at = performance.now();
        if (firstAt === undefined && info.delivered.stream_seq > 0) firstAt = at;
        if (steadyAt === undefined && info.ack_floor.stream_seq >= last - LEFT_UNTIMED) steadyAt = at;
        if (Date.now() - lastReport > 2_000) {
          lastReport = Date.now();
          progress(`  ${run.name}: acked ${info.ack_floor.stream_seq.toLocaleString()} / ${last.toLocaleString()}`);
        }
        return steadyAt;
      },
      600_000,
      `${run.name} to ack the timed events`,
    );
    const seconds = (steadyAt! - firstAt!) / 1000;
    const stats = await Promise.all(
      apps.map(async (app) => {
        await app.next('ready');
        app.send({ type: 'stats' });
        return app.next<AppStats>('stats');
      }),
    );
    const eventsPerSec = Math.round((EVENTS - LEFT_UNTIMED) / seconds);
    const result: RunResult = {
      ...run,
      eventsPerSec,
      perInstance: Math.round(eventsPerSec / run.instances),
      cpuMsPer1k: round((stats.reduce((sum, s) => sum + s.cpuMs, 0) / EVENTS) * 1000, 1),
      rssMb: Math.max(...stats.map((s) => s.rssMb)),
    };
    progress(`${run.name}: ${eventsPerSec.toLocaleString()} events/s`);
    return result;
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const BEGIN = '<!-- bench:scale-out:begin (generated by `npm run bench:scale-out`; edit outside these markers) -->';
const END = '<!-- bench:scale-out:end -->';

function markdown(results: readonly RunResult[], seconds: number, load: readonly [number, number]): string {
  const machine = describeMachine('embedded chDB per instance');
  const alone = results[0]!.eventsPerSec;
  const rows = results.map((r) => [
    r.name,
    String(r.instances),
    r.eventsPerSec.toLocaleString('en-US'),
    r.perInstance.toLocaleString('en-US'),
    (r.eventsPerSec / alone).toFixed(2),
    String(r.cpuMsPer1k),
    String(r.rssMb),
  ]);
  return [
    `Latest run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench:scale-out${quick ? ' -- --quick' : ''}\`, ${Math.round(seconds)} s; load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end.`,
    '',
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB RAM; Node ${machine.node}; nats-server ${machine.natsServer}; chDB ${machine.chdb}. Every instance, nats-server and the embedded ClickHouse of each share these ${machine.cpus} cores.`,
    '',
    `${EVENTS.toLocaleString('en-US')} pre-published events (the workload of docs/performance.md, cardinality 1x), PARTITIONS=${PARTITIONS} when scaled out; rates timed until ${LEFT_UNTIMED.toLocaleString('en-US')} are left.`,
    '',
    '| run | instances | events/s | per instance | vs alone | CPU ms / 1k events (all instances) | max RSS MB |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '![Events/s by instances](scaling-instances.svg)',
  ].join('\n');
}

const started = performance.now();
const loadStart = (await import('node:os')).loadavg()[0]!;
compile();
const results: RunResult[] = [];
for (const run of RUNS.filter((r) => only === undefined || r.name === only)) results.push(await measure(run));
const seconds = (performance.now() - started) / 1000;
const loadEnd = (await import('node:os')).loadavg()[0]!;

console.log(['run', 'instances', 'events/s', 'per instance', 'CPU ms/1k', 'RSS MB'].join('\t'));
for (const r of results) console.log([r.name, r.instances, r.eventsPerSec, r.perInstance, r.cpuMsPer1k, r.rssMb].join('\t'));

if (only !== undefined) process.exit(0);
const resultsDir = join(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'scale-out-latest.json'), JSON.stringify({ at: new Date().toISOString(), quick, events: EVENTS, partitions: PARTITIONS, results }, null, 2));

const docs = join(import.meta.dirname, '..', 'docs');
const page = readFileSync(join(docs, 'scaling.md'), 'utf8');
const [head, rest] = page.split(BEGIN);
if (rest === undefined) throw new Error(`docs/scaling.md has no ${BEGIN} marker`);
const tail = rest.split(END)[1] ?? '';
writeFileSync(join(docs, 'scaling.md'), `${head}${BEGIN}\n${markdown(results, seconds, [loadStart, loadEnd])}\n${END}${tail}`);
const scaled = results.filter((r) => r.scaledOut);
writeFileSync(
  join(docs, 'scaling-instances.svg'),
  lineChart('Events/s by instances on one 2-core machine', 'instances', 'events/s', [
    { name: 'scaled out: total', points: scaled.map((r) => [r.instances, r.eventsPerSec]) },
    { name: 'scaled out: per instance', points: scaled.map((r) => [r.instances, r.perInstance]) },
    { name: 'alone', points: scaled.map((r) => [r.instances, results[0]!.eventsPerSec]) },
  ]),
);
progress(`wrote docs/scaling.md and docs/scaling-instances.svg (${Math.round(seconds)} s)`);

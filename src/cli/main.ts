#!/usr/bin/env node
/** The `trendmon` command line (contract section 6). */
// Each command imports what it needs when it runs, so a short command does not
// load the whole app (NATS, ClickHouse, express): `trendmon config` starts in ~0.3 s.
import { parseArgs } from 'node:util';
import { loadConfig, maskSecrets, type Config } from '../config/index.js';
import { parseDuration } from '../config/duration.js';
import { formatCount } from './progress.js';
import { TrendmonError } from '../errors.js';
import { OUTPUT_FORMAT_NAMES, outputFormat } from '../store/output-formats.js';
import { exitWhenWritten, failure } from './exit.js';

const USAGE = `usage: trendmon <command> [options]

commands:
  start [--simulate]                 run the whole app (embedded NATS and ClickHouse unless NATS_URL / CLICKHOUSE_URL)
  simulate [--rate N] [--duration D] [--seed N] [--spike SKU[:factor]]... [--backfill] [--variants]
                                     publish synthetic traffic with labelled surges to NATS
  score FILE.csv                     score a timestamp,value series offline; prints timestamp,value,anomaly_score
  score FILE... | DIR --out DIR      score many series in one go, one output file per input
  sql "SELECT ..." [--format table|csv|tsv|json|FORMAT] [--param NAME=VALUE]...
                                     read-only query against the configured ClickHouse, answered in one of its
                                     output formats (FORMAT e.g. CSVWithNames, TSV, JSONEachRow, PrettyCompact)
  backtest --from TIME --to TIME [--rules FILE] [--warmup 6h] [--format table|json]
                                     replay stored events through the detector and alert rules: what would have
                                     fired, when, and how early against the sales peak (stored in backtest_alerts)
  config                             print the effective configuration (secrets masked)

configuration comes from the environment: see README.md, "Configuration".`;

class UsageError extends TrendmonError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Writes to stdout; resolves once the chunk is handed over, so a slow pipe holds the writer back. */
const toStdout = (chunk: string | Uint8Array) => new Promise<void>((resolve, reject) => process.stdout.write(chunk, (err) => (err ? reject(err) : resolve())));

function simulateArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      rate: { type: 'string', default: '200' },
      duration: { type: 'string' },
      seed: { type: 'string', default: '1' },
      spike: { type: 'string', multiple: true, default: [] },
      backfill: { type: 'boolean', default: false },
      variants: { type: 'boolean', default: false },
    },
  });
  const ratePerSec = Number(values.rate);
  if (!Number.isFinite(ratePerSec) || ratePerSec <= 0) throw new UsageError(`--rate ${values.rate}: must be a positive number of events per second`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed ${values.seed}: must be a whole number`);
  let durationMs = Infinity;
  if (values.duration !== undefined) {
    const parsed = parseDuration(values.duration);
    if (parsed === undefined) throw new UsageError(`--duration ${values.duration}: not a duration (use e.g. 10m, 30s)`);
    durationMs = parsed;
  }
  if (values.backfill && !Number.isFinite(durationMs)) throw new UsageError('--backfill needs --duration (how much history to generate)');
  return { ratePerSec, seed, durationMs, spikes: values.spike, backfill: values.backfill, variants: values.variants };
}

/** Stops on the first SIGINT/SIGTERM; a second one, or a stuck drain, exits at once. */
function onShutdown(handler: () => Promise<void>, graceMs = 20_000): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`trendmon: ${signal}: draining (up to ${graceMs / 1000}s)\n`);
    setTimeout(() => process.exit(1), graceMs).unref();
    handler().then(
      () => exitWhenWritten(0),
      () => exitWhenWritten(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function start(config: Config, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { simulate: { type: 'boolean', default: false } } });
  const [{ startApp }, { connectNats }, { simulate }] = await Promise.all([import('../app.js'), import('../nats/connect.js'), import('./simulate.js')]);
  const app = await startApp(config);
  const abort = new AbortController();
  let simulation: Promise<unknown> | undefined;
  if (values.simulate || config.simulate) {
    const nc = await connectNats({ servers: app.natsUrl, name: 'trendmon-simulator' });
    const traffic = { nc, ratePerSec: 200, seed: 1, spikes: [], variants: true, signal: abort.signal, quiet: true };
    // Steady history first (two windows, as fast as NATS takes it), so the detector
    // has baselines and the first live surge shows within minutes, not after a warm-up.
    simulation = simulate({ ...traffic, durationMs: 2 * config.windows.sizeMs, backfill: true, steady: true })
      .then(() => simulate({ ...traffic, durationMs: Infinity, backfill: false }))
      .catch((err) => app.log.error({ err }, 'simulator stopped'))
      .finally(() => nc.close());
    app.log.info('simulator publishing two windows of history, then ~200 events/s live with a surge every few minutes');
  }
  process.stdout.write(`trendmon is running: wall at ${app.url}  (Ctrl-C to stop)\n`);
  onShutdown(async () => {
    abort.abort();
    await simulation;
    await app.stop();
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command ? 0 : 2;
  }
  switch (command) {
    case 'start':
      await start(loadConfig(), args);
      return -1; // keeps running until a signal
    case 'simulate': {
      const options = simulateArgs(args);
      const config = loadConfig();
      const [{ connectNats }, { simulate }] = await Promise.all([import('../nats/connect.js'), import('./simulate.js')]);
      const servers = config.nats.url ?? `nats://127.0.0.1:${config.nats.managedPort}`;
      const nc = await connectNats({ servers, name: 'trendmon-simulator', ...config.nats }).catch((err: Error) => {
        throw new TrendmonError('unavailable', `cannot reach NATS at ${servers} (${err.message}): start the app first (\`trendmon start\`) or set NATS_URL`);
      });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      const summary = await simulate({ nc, ...options, signal: abort.signal });
      await nc.close();
      process.stdout.write(
        `published ${formatCount(summary.published)} events (search ${formatCount(summary.byKind.search)}, view ${formatCount(summary.byKind.view)}, ` +
          `sale ${formatCount(summary.byKind.sale)}; ${formatCount(summary.labelled)} from surges)\n`,
      );
      return 0;
    }
    case 'score': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
      if (positionals.length === 0) throw new UsageError('score needs CSV files or a directory: trendmon score FILE.csv, or trendmon score DIR --out SCORES');
      const [{ scoreFiles, scoreInputs }, { endProgress, progressLine }] = await Promise.all([import('./score.js'), import('./progress.js')]);
      const inputs = await scoreInputs(positionals);
      const started = performance.now();
      const report = await scoreFiles(inputs, {
        outDir: values.out,
        write: toStdout,
        progress: values.out ? (done, total, file) => progressLine(`score ${done}/${total} files (${file})`) : undefined,
      });
      if (values.out) {
        endProgress();
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        process.stderr.write(`scored ${formatCount(report.rows)} rows in ${report.scored} files into ${values.out} (${seconds} s)\n`);
        for (const problem of report.failed) process.stderr.write(`trendmon: skipped ${problem}\n`);
      }
      return report.failed.length ? 2 : 0;
    }
    case 'sql': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { format: { type: 'string', default: 'table' }, param: { type: 'string', multiple: true, default: [] } },
      });
      const query = positionals.join(' ').trim();
      if (!query) throw new UsageError('sql needs a query: trendmon sql "SELECT count() FROM trendmon.events_sale FINAL"');
      const format = outputFormat(values.format);
      if (!format) throw new UsageError(`--format ${values.format}: use one of ${OUTPUT_FORMAT_NAMES.join(', ')}`);
      const params = Object.fromEntries(
        values.param.map((pair) => {
          const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
          if (!match) throw new UsageError(`--param ${pair}: use --param name=value for a {name:Type} placeholder`);
          return [match[1]!, match[2]!];
        }),
      );
      const { runSql } = await import('./sql.js');
      await runSql(loadConfig(), query, format, params, toStdout);
      return 0;
    }
    case 'backtest': {
      const { backtest, backtestArgs } = await import('./backtest.js');
      const options = backtestArgs(args);
      process.stdout.write(await backtest(loadConfig(), options));
      return 0;
    }
    case 'config': {
      process.stdout.write(JSON.stringify(maskSecrets(loadConfig()), null, 2) + '\n');
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) void exitWhenWritten(code);
  },
  (err: unknown) => {
    const { message, status } = failure(err);
    process.stderr.write(`trendmon: ${message}\n`);
    void exitWhenWritten(status);
  },
);

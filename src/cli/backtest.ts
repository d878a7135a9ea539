/**
 * `trendmon backtest --from ... --to ... [--rules FILE] [--warmup 6h] [--format table|json]`:
 * what the alert rules would have fired on stored history, when, and how
 * early against each key's sales peak. Progress on stderr, results on
 * stdout, and stored in ClickHouse (`backtest_runs`, `backtest_alerts`).
 *
 * Where it runs: with CLICKHOUSE_URL, here; with embedded ClickHouse,
 * inside the running app (which holds the data directory), or here when no
 * app runs.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.js';
import { formatDuration, parseDuration } from '../config/duration.js';
import { backtestRules, configuredRules } from '../backtest/rules.js';
import { BacktestError, runBacktest, type BacktestProgress, type BacktestRequest, type BacktestResult } from '../backtest/run.js';
import { openClickHouse } from '../store/client.js';
import { migrate } from '../store/schema.js';
import { errorFromAnswer, TrendmonError } from '../errors.js';
import { endProgress, formatCount, progressLine } from './progress.js';

export class BacktestArgumentError extends TrendmonError {
  constructor(message: string) {
    super('usage', message);
  }
}

export interface BacktestArgs {
  readonly fromMs: number;
  readonly toMs: number;
  readonly warmupMs: number;
  readonly rulesFile?: string;
  readonly format: 'table' | 'json';
}

/** `2025-06-10` (midnight UTC), ISO-8601 with a zone, epoch ms, or `now`. */
export function parseInstant(text: string, flag: string): number {
  if (text === 'now') return Date.now();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return Date.parse(text);
  throw new BacktestArgumentError(`${flag} ${text}: not a time (use 2025-06-10, 2025-06-10T14:00:00Z, epoch ms or now)`);
}

export function backtestArgs(args: string[]): BacktestArgs {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      rules: { type: 'string' },
      warmup: { type: 'string', default: '6h' },
      format: { type: 'string', default: 'table' },
    },
  });
  if (!values.from || !values.to) throw new BacktestArgumentError('backtest needs --from and --to, e.g. trendmon backtest --from 2025-06-10 --to 2025-06-11');
  const fromMs = parseInstant(values.from, '--from');
  const toMs = parseInstant(values.to, '--to');
  if (!(toMs > fromMs)) throw new BacktestArgumentError(`--to ${values.to} must be after --from ${values.from}`);
  const warmupMs = values.warmup === '0' ? 0 : parseDuration(values.warmup);
  if (warmupMs === undefined) throw new BacktestArgumentError(`--warmup ${values.warmup}: not a duration (use e.g. 6h, 1d, or 0)`);
  if (values.format !== 'table' && values.format !== 'json') throw new BacktestArgumentError(`--format ${values.format}: use table or json`);
  return { fromMs, toMs, warmupMs, format: values.format, ...(values.rules ? { rulesFile: values.rules } : {}) };
}

const showProgress = (p: BacktestProgress) =>
  progressLine(
    `backtest: ${Math.round(p.done * 100)}% (event time ${new Date(p.eventTime).toISOString().slice(0, 16).replace('T', ' ')}), ` +
      `${formatCount(p.events)} events, ${formatCount(p.eventsPerSec)} events/s, ${p.alerts} alert(s) so far`,
  );

/** Runs here, against the configured ClickHouse (a server, or embedded chDB that no app holds). */
async function runHere(config: Config, args: BacktestArgs, rules: BacktestRequest['rules']): Promise<BacktestResult> {
  const store = await openClickHouse({ ...config.clickhouse, dataDir: config.dataDir });
  try {
    await migrate(store.client, config.clickhouse);
    return await runBacktest(store.client, config.clickhouse.database, request(config, args, rules), showProgress);
  } finally {
    await store.close();
  }
}

const request = (config: Config, args: BacktestArgs, rules: BacktestRequest['rules']): BacktestRequest => ({
  fromMs: args.fromMs,
  toMs: args.toMs,
  warmupMs: args.warmupMs,
  rules,
  windows: { ...config.windows, capacity: { query: config.sketchCapacity, term: config.sketchCapacity } },
});

/** Runs inside the app that holds embedded ClickHouse; undefined when no app answers. */
async function runInApp(config: Config, args: BacktestArgs, rulesText?: string): Promise<BacktestResult | undefined> {
  const url = `http://127.0.0.1:${config.http.port}/api/backtests`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) },
      body: JSON.stringify({
        from: args.fromMs,
        to: args.toMs,
        warmup: args.warmupMs === 0 ? '1ms' : formatDuration(args.warmupMs),
        ...(rulesText !== undefined ? { rules: { text: rulesText, source: args.rulesFile } } : {}),
      }),
    });
  } catch {
    return undefined; // no app: embedded ClickHouse is free to open here
  }
  if (!response.ok || !response.body) throw errorFromAnswer(response.status, await response.text(), `the app at ${url} refused the backtest (${response.status}): `);
  let buffer = '';
  let result: BacktestResult | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const message = JSON.parse(buffer.slice(0, newline)) as { type: string; error?: string } & BacktestProgress & BacktestResult;
      buffer = buffer.slice(newline + 1);
      if (message.type === 'progress') showProgress(message);
      else if (message.type === 'error') throw new BacktestError(message.error ?? 'backtest failed');
      else if (message.type === 'result') result = message;
    }
  }
  if (!result) throw new BacktestError(`the app at ${url} ended the backtest without a result`);
  return result;
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const hours = (ms: number) => `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 3_600_000).toFixed(1)} h`;

/** The result as people read it: one line per alert, then the totals. */
export function renderBacktest(result: BacktestResult): string {
  const lines = [
    `backtest ${result.runId}: ${iso(result.fromMs)} to ${iso(result.toMs)} UTC (warm-up ${formatDuration(Math.max(1, result.warmupMs))}), rules ${result.rulesSource}`,
    '',
  ];
  if (result.alerts.length === 0) lines.push('no alert would have fired');
  else {
    const header = ['fired (UTC)', 'rule', 'dimension', 'key', 'peak score', 'extra units/7 d (80%)', 'sales peak (UTC)', 'lead'];
    const rows = result.alerts.map((a) => [
      iso(a.firedAt),
      a.alertname,
      a.dimension,
      a.key,
      a.peakScore.toFixed(1),
      `${a.demand.next7d.extra} (${a.demand.next7d.low}..${a.demand.next7d.high})`,
      a.salesPeakAt === undefined ? '-' : iso(a.salesPeakAt),
      a.leadMs === undefined ? '-' : hours(a.leadMs),
    ]);
    const widths = header.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
    const line = (cells: string[]) => cells.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i]!)).join('  ');
    lines.push(line(header), ...rows.map(line));
  }
  lines.push(
    '',
    `${result.alerts.length} alert(s); ${formatCount(result.events)} events replayed in ${result.seconds} s (${formatCount(result.eventsPerSec)} events/s)` +
      (result.medianLeadMs !== undefined ? `; median lead over the sales peak ${hours(result.medianLeadMs)}` : ''),
    `stored: SELECT * FROM backtest_alerts WHERE run_id = '${result.runId}'`,
  );
  return lines.join('\n') + '\n';
}

export async function backtest(config: Config, args: BacktestArgs): Promise<string> {
  const rulesText = args.rulesFile === undefined ? undefined : await readFile(args.rulesFile, 'utf8').catch((err: Error) => {
    throw new BacktestArgumentError(`--rules ${args.rulesFile}: cannot read it (${err.message})`);
  });
  // Checked here first, so a bad file is reported the same way wherever the backtest runs.
  const fileRules = rulesText === undefined ? undefined : backtestRules(rulesText, args.rulesFile!);
  let result: BacktestResult | undefined;
  if (!config.clickhouse.url) result = await runInApp(config, args, rulesText);
  result ??= await runHere(config, args, fileRules ?? (await configuredRules(config.alerts.configPath)));
  endProgress();
  return args.format === 'json' ? JSON.stringify(result, null, 2) + '\n' : renderBacktest(result);
}

/**
 * `trendmon backtest`: replays a time range of stored events through the
 * live pipeline's pure operators and alert rules (src/backtest/replay.ts),
 * and stores what would have fired in `backtest_runs` and
 * `backtest_alerts`. Run by the CLI against a ClickHouse server (or an
 * embedded one no app holds), or inside the app (POST /api/backtests) when
 * the app holds embedded ClickHouse.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { ruleToJson } from '../alerts/rules.js';
import { TrendmonError } from '../errors.js';
import { ident } from '../store/client.js';
import { loadPlanningHistory } from '../store/planning-history.js';
import { Replay, type BacktestAlert, type ReplayOptions } from './replay.js';
import type { BacktestRules } from './rules.js';
import { storedCatalog, storedEvents } from './source.js';

export interface BacktestRequest {
  readonly fromMs: number;
  readonly toMs: number;
  /** Event time replayed before `fromMs` to build baselines (nothing alerts in it). */
  readonly warmupMs: number;
  readonly rules: BacktestRules;
  readonly windows: ReplayOptions['windows'];
}

export interface BacktestProgress {
  readonly events: number;
  /** Event time reached. */
  readonly eventTime: number;
  /** Share of the range (warm-up included) replayed. */
  readonly done: number;
  readonly alerts: number;
  readonly eventsPerSec: number;
}

export interface BacktestResult {
  readonly runId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly warmupMs: number;
  readonly rulesSource: string;
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly alerts: readonly BacktestAlert[];
  /** Median of the alerts' lead times over their sales peaks, when any had sales. */
  readonly medianLeadMs?: number;
}

export class BacktestError extends TrendmonError {
  constructor(message: string) {
    super('backtest_failed', message);
  }
}

/** The middle of sorted values (the mean of the two middle ones for an even count). */
const median = (sorted: readonly number[]) => (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;

/** Gives the event loop a turn between slices: a backtest inside the app must not starve the live pipeline. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runBacktest(
  client: ClickHouseClient,
  database: string,
  request: BacktestRequest,
  onProgress?: (progress: BacktestProgress) => void,
  signal?: AbortSignal,
): Promise<BacktestResult> {
  const { fromMs, toMs, warmupMs } = request;
  if (!(toMs > fromMs)) throw new BacktestError(`--to must be after --from (got ${new Date(fromMs).toISOString()} .. ${new Date(toMs).toISOString()})`);
  const started = performance.now();
  const catalog = await storedCatalog(client, database);
  const items = new Map(catalog.map((item) => [item.sku, item]));
  const history = await loadPlanningHistory({ client, database, catalog: (sku) => items.get(sku), now: fromMs });
  const replay = new Replay({ windows: request.windows, fromMs, toMs, rules: request.rules, catalog, history });
  const begin = fromMs - warmupMs;
  for await (const slice of storedEvents(client, database, begin, toMs)) {
    if (signal?.aborted) throw new BacktestError('the backtest was stopped (the app is shutting down)');
    replay.push(slice);
    const { events, eventTime, alerts } = replay.progress;
    const seconds = (performance.now() - started) / 1000;
    onProgress?.({ events, eventTime, alerts, done: Math.min(1, Math.max(0, (eventTime - begin) / (toMs - begin))), eventsPerSec: events / seconds });
    await yieldToLoop();
  }
  const alerts = replay.finish();
  const seconds = (performance.now() - started) / 1000;
  const events = replay.progress.events;
  const leads = alerts.flatMap((a) => (a.leadMs === undefined ? [] : [a.leadMs])).sort((a, b) => a - b);
  const result: BacktestResult = {
    runId: randomUUID(),
    fromMs,
    toMs,
    warmupMs,
    rulesSource: request.rules.source,
    events,
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSec: Math.round(events / Math.max(seconds, 0.001)),
    alerts,
    ...(leads.length ? { medianLeadMs: median(leads) } : {}),
  };
  await storeResult(client, database, request, result);
  return result;
}

async function storeResult(client: ClickHouseClient, database: string, request: BacktestRequest, result: BacktestResult): Promise<void> {
  const db = ident(database);
  await client.insert({
    table: `${db}.backtest_runs`,
    format: 'JSONEachRow',
    values: [
      {
        run_id: result.runId,
        started_at: Date.now(),
        from_ts: result.fromMs,
        to_ts: result.toMs,
        warmup_ms: result.warmupMs,
        rules_source: result.rulesSource,
        rules: JSON.stringify(request.rules.rules.map(ruleToJson)),
        window_ms: request.windows.sizeMs,
        slide_ms: request.windows.slideMs,
        events: result.events,
        alerts: result.alerts.length,
        seconds: result.seconds,
      },
    ],
  });
  if (result.alerts.length === 0) return;
  await client.insert({
    table: `${db}.backtest_alerts`,
    format: 'JSONEachRow',
    values: result.alerts.map((a) => ({
      run_id: result.runId,
      alertname: a.alertname,
      fingerprint: a.fingerprint,
      dimension: a.dimension,
      key: a.key,
      labels: a.labels,
      summary: a.summary,
      starts_at: a.startsAt,
      fired_at: a.firedAt,
      resolved_at: a.resolvedAt ?? null,
      peak_score: a.peakScore,
      extra_units_24h: a.demand.next24h.extra,
      extra_units_7d: a.demand.next7d.extra,
      extra_units_7d_low: a.demand.next7d.low,
      extra_units_7d_high: a.demand.next7d.high,
      sales_peak_at: a.salesPeakAt ?? null,
      lead_ms: a.leadMs ?? null,
    })),
  });
}

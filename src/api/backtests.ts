/**
 * `POST /api/backtests`: runs a backtest inside the app (src/backtest/run.ts),
 * for `trendmon backtest` when the app holds embedded ClickHouse (one
 * process per data directory). Admin only, one at a time. The answer is
 * NDJSON: `{"type":"progress",...}` lines while it runs, then one
 * `{"type":"result",...}` (or `{"type":"error","error":...}`).
 *
 *   {"from": <epoch ms or ISO>, "to": ..., "warmup": "6h", "rules": {"text": "<rule file>", "source": "rules.json"}}
 *
 * Without `rules`, the rules in force (file and API) are replayed.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Router } from 'express';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { backtestRules, type BacktestRules } from '../backtest/rules.js';
import { runBacktest, type BacktestRequest } from '../backtest/run.js';
import { TrendmonError } from '../errors.js';
import { instant, parse } from './params.js';

export interface BacktestsRouterOptions {
  readonly client: ClickHouseClient;
  readonly database: string;
  readonly windows: BacktestRequest['windows'];
  /** The rules in force. */
  readonly rules: () => BacktestRules;
}

const body = z.object({
  from: z.union([z.number().int(), instant]),
  to: z.union([z.number().int(), instant]),
  warmup: z
    .string()
    .refine((text) => parseDuration(text) !== undefined, 'is not a duration (e.g. 6h, 1d)')
    .default('6h'),
  rules: z.object({ text: z.string().min(1).max(200_000), source: z.string().max(512).default('(request)') }).optional(),
});

export interface BacktestsRouter {
  readonly router: Router;
  /** Stops a running backtest and waits for it to let go of the store. */
  stop(): Promise<void>;
}

export function createBacktestsRouter(options: BacktestsRouterOptions): BacktestsRouter {
  const router = Router();
  let running: { readonly abort: AbortController; readonly done: Promise<unknown> } | undefined;
  router.post('/backtests', async (req, res) => {
    const request = parse(body, req.body);
    const rules: BacktestRequest['rules'] = request.rules ? backtestRules(request.rules.text, request.rules.source) : options.rules();
    if (running) throw new TrendmonError('busy', 'a backtest is already running in this app; wait for it to finish');
    const abort = new AbortController();
    res.status(200).type('application/x-ndjson');
    const send = (message: object) => res.write(`${JSON.stringify(message)}\n`);
    const done = runBacktest(
      options.client,
      options.database,
      { fromMs: Number(request.from), toMs: Number(request.to), warmupMs: parseDuration(request.warmup)!, rules, windows: options.windows },
      (progress) => send({ type: 'progress', ...progress }),
      abort.signal,
    ).then(
      (result) => send({ type: 'result', ...result }),
      (err: Error) => send({ type: 'error', error: err instanceof TrendmonError ? err.message : `backtest failed: ${err.message}` }),
    );
    running = { abort, done };
    try {
      await done;
    } finally {
      running = undefined;
      res.end();
    }
  });
  return {
    router,
    async stop() {
      running?.abort.abort();
      await running?.done;
    },
  };
}

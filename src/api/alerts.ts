/**
 * The alerting API (docs/alerts.md, "API"), in one router mounted at
 * `/api`, so that access control can wrap all of it in one place:
 *
 * - `GET /api/alerts`: alerts firing now (from memory) and recent ones
 *   (from the ClickHouse history, `?since=<epoch ms or ISO>&limit=<n>`);
 * - `GET /api/alerts/rules`: the configuration in force (secrets redacted);
 *   `PUT /api/alerts/rules` replaces the API-managed rules;
 *   `POST /api/alerts/reload` re-reads the rule file;
 * - `GET|POST /api/silences`, `DELETE /api/silences/:id`.
 *
 * Configuration problems answer 400 (a bad request) or 422 (a bad rule
 * file) with `{ error, code, problems: [{ where, field, reason }] }`
 * (src/api/errors.ts).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Router } from 'express';
import { z } from 'zod';
import type { AlertManager } from '../alerts/manager.js';
import { TrendmonError } from '../errors.js';
import { ident } from '../store/client.js';
import { instant, parse } from './params.js';

export interface AlertsRouterOptions {
  readonly alerts: Pick<
    AlertManager,
    'active' | 'describe' | 'reload' | 'replaceApiRules' | 'listSilences' | 'createSilence' | 'expireSilence'
  >;
  /** The read-only client the API queries through. */
  readonly reader: ClickHouseClient;
  readonly database: string;
}

const recentQuery = z.object({
  since: instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const DAY_MS = 86_400_000;

export function createAlertsRouter(options: AlertsRouterOptions): Router {
  const router = Router();
  const { alerts } = options;

  router.get('/alerts', async (req, res) => {
    const { since = Date.now() - DAY_MS, limit } = parse(recentQuery, req.query);
    const result = await options.reader.query({
      query: `SELECT fingerprint, starts_at, any(alertname) AS alertname, any(dimension) AS dimension, any(key) AS key,
                argMax(status, sent_at) AS status, max(ends_at) AS ends_at, argMax(labels, sent_at) AS labels,
                argMax(annotations['summary'], sent_at) AS summary, argMax(annotations['demand_peak'], sent_at) AS demand_peak,
                max(extra_units_7d) AS peak_extra_units_7d,
                argMax(extra_units_7d_low, extra_units_7d) AS peak_extra_units_7d_low,
                argMax(extra_units_7d_high, extra_units_7d) AS peak_extra_units_7d_high,
                uniqExactIf(alert_id, outcome = 'queued') AS notifications,
                countIf(outcome = 'delivered') AS deliveries,
                countIf(outcome = 'failed') AS failed_attempts,
                countIf(outcome = 'suppressed') AS suppressions,
                max(sent_at) AS last_activity
              FROM ${ident(options.database)}.alerts
              WHERE sent_at >= fromUnixTimestamp64Milli({since:Int64})
              GROUP BY fingerprint, starts_at
              ORDER BY last_activity DESC
              LIMIT {limit:UInt32}`,
      query_params: { since, limit },
      format: 'JSONEachRow',
    });
    res.json({ active: alerts.active(), recent: await result.json() });
  });

  router.get('/alerts/rules', (_req, res) => {
    res.json(alerts.describe());
  });

  router.put('/alerts/rules', async (req, res) => {
    await alerts.replaceApiRules(req.body);
    res.json(alerts.describe());
  });

  router.post('/alerts/reload', async (_req, res) => {
    await alerts.reload();
    res.json(alerts.describe());
  });

  router.get('/silences', (_req, res) => {
    res.json({ silences: alerts.listSilences() });
  });

  router.post('/silences', async (req, res) => {
    res.status(201).json(await alerts.createSilence(req.body));
  });

  router.delete('/silences/:id', async (req, res) => {
    if (!(await alerts.expireSilence(req.params.id))) throw new TrendmonError('not_found', `no active or pending silence with id ${req.params.id}`);
    res.json({ id: req.params.id, state: 'expired' });
  });

  return router;
}

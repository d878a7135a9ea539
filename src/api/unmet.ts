/**
 * `GET /api/unmet`: what shoppers search for that the catalog lacks
 * (src/detect/unmet.ts). `active` is the live ranking (rising now, then
 * recently ended); `recent` comes from ClickHouse's `unmet_periods`, one
 * row per unmet search since `since` (default 7 days), biggest first.
 *
 *   GET /api/unmet?since=<epoch ms or ISO>&limit=100
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Router } from 'express';
import { z } from 'zod';
import type { SpikeView } from '../feed/protocol.js';
import { ident } from '../store/client.js';
import { instant, parse } from './params.js';

export interface UnmetRouterOptions {
  /** The live ranking, each entry with `unmet` set. */
  readonly live: () => readonly SpikeView[];
  /** The read-only client the API queries through. */
  readonly reader: ClickHouseClient;
  readonly database: string;
}

const DAY_MS = 86_400_000;

const unmetQuery = z.object({
  since: instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function createUnmetRouter(options: UnmetRouterOptions): Router {
  const router = Router();
  router.get('/unmet', async (req, res) => {
    const { since = Date.now() - 7 * DAY_MS, limit } = parse(unmetQuery, req.query);
    const result = await options.reader.query({
      query: `SELECT spike_id, dimension, key, started_at, ended_at, last_update, status, peak_volume, peak_trend_score,
                     missing, nearest, co_searched
              FROM ${ident(options.database)}.unmet_periods
              WHERE started_at >= fromUnixTimestamp64Milli({since:Int64})
              ORDER BY peak_trend_score DESC, started_at
              LIMIT {limit:UInt32}`,
      query_params: { since, limit },
      format: 'JSONEachRow',
    });
    res.json({ active: options.live(), recent: await result.json() });
  });
  return router;
}

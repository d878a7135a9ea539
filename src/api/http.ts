/**
 * The HTTP side: health, readiness, Prometheus metrics, the JSON API and
 * the wall's static files, on one express app.
 */
import { existsSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { DIMENSIONS, type Dimension, type Spike } from '../domain.js';
import type { KeyWindow } from '../windows/hopping.js';
import { ident } from '../store/client.js';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface HttpAppOptions {
  readonly registry: Registry;
  readonly readiness: () => Promise<Readiness>;
  readonly ranking: () => readonly Spike[];
  /** One key's counts in the latest closed window (undefined before the first window). */
  readonly windowCounts: (dimension: Dimension, key: string) => { start: number; end: number; counts?: KeyWindow } | undefined;
  readonly clickhouse: ClickHouseClient;
  /** Read-only and bounded: for SQL from users. */
  readonly reader: ClickHouseClient;
  readonly database: string;
  /** Built wall (dist/web); served at `/` when present. */
  readonly webDir: string;
}

export class BadRequestError extends Error {
  readonly status = 400;
}

const trendingQuery = z.object({
  dimension: z.enum(DIMENSIONS as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const windowQuery = z.object({
  dimension: z.enum(DIMENSIONS as [string, ...string[]]),
  key: z.string().min(1).max(256),
});

const spikesQuery = z.object({
  dimension: z.enum(DIMENSIONS as [string, ...string[]]).optional(),
  status: z.enum(['rising', 'ongoing', 'ended']).optional(),
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const sqlBody = z.object({
  query: z.string().min(1).max(100_000),
  format: z.enum(['JSONEachRow', 'CSVWithNames', 'TabSeparatedWithNames']).default('JSONEachRow'),
});

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BadRequestError(`${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  return result.data;
}

export function createHttpApp(options: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '256kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });

  app.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });

  app.get('/api/trending', (req, res) => {
    const q = parse(trendingQuery, req.query);
    const entries = options.ranking().filter((s) => !q.dimension || s.dimension === q.dimension);
    res.json({ entries: entries.slice(0, q.limit) });
  });

  app.get('/api/window', (req, res) => {
    const q = parse(windowQuery, req.query);
    const window = options.windowCounts(q.dimension as Dimension, q.key);
    if (!window) {
      res.status(404).json({ error: 'no window has closed yet' });
      return;
    }
    const counts = window.counts ?? { dimension: q.dimension, key: q.key, events: 0, units: 0, revenue: 0, bySignal: { search: 0, view: 0, sale: 0 } };
    res.json({ start: window.start, end: window.end, ...counts });
  });

  app.get('/api/spikes', async (req, res) => {
    const q = parse(spikesQuery, req.query);
    const result = await options.clickhouse.query({
      query: `SELECT spike_id, dimension, key, argMax(status, updated_at) AS status,
                min(started_at) AS started_at, max(updated_at) AS updated_at,
                max(peak_score) AS peak_score, max(peak_volume) AS peak_volume
              FROM ${ident(options.database)}.spikes
              WHERE ({dimension:String} = '' OR dimension = {dimension:String})
                AND updated_at >= fromUnixTimestamp64Milli({since:Int64})
              GROUP BY spike_id, dimension, key
              HAVING {status:String} = '' OR status = {status:String}
              ORDER BY updated_at DESC
              LIMIT {limit:UInt32}`,
      query_params: { dimension: q.dimension ?? '', status: q.status ?? '', since: q.since ?? 0, limit: q.limit },
      format: 'JSONEachRow',
    });
    res.json({ spikes: await result.json() });
  });

  app.post('/api/sql', async (req, res) => {
    const body = parse(sqlBody, req.body);
    const result = await options.reader.query({ query: body.query, format: body.format });
    res.type(body.format === 'JSONEachRow' ? 'application/x-ndjson' : 'text/plain');
    for await (const rows of result.stream()) {
      for (const row of rows as { text: string }[]) res.write(row.text + '\n');
    }
    res.end();
  });

  if (existsSync(options.webDir)) app.use(express.static(options.webDir, { index: 'index.html', maxAge: '1h' }));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof BadRequestError) {
      res.status(400).json({ error: err.message });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    res.status(502).json({ error: `query failed: ${message.split('\n')[0]}` });
  });
  return app;
}

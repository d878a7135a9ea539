/**
 * The HTTP side: health, readiness, Prometheus metrics, the JSON API and
 * the wall's static files, on one express app.
 */
import { existsSync } from 'node:fs';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { DIMENSIONS, type Dimension, type Direction, type Spike } from '../domain.js';
import { TrendmonError } from '../errors.js';
import type { WindowCounts } from '../pipeline/counter.js';
import { createAnalyticsRouter } from './analytics.js';
import type { Auth } from './auth.js';
import { errorResponse } from './errors.js';
import { parse } from './params.js';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface HttpAppOptions {
  readonly registry: Registry;
  readonly readiness: () => Promise<Readiness>;
  /** The live board, one direction. */
  readonly ranking: (direction: Direction) => readonly Spike[];
  /** One key's counts in the latest closed window (undefined before the first window). */
  readonly windowCounts: (dimension: Dimension, key: string) => Promise<WindowCounts | undefined>;
  /** Read-only and bounded: every /api query goes through it. */
  readonly reader: ClickHouseClient;
  readonly database: string;
  /** Built wall (dist/web); served at `/` when present. */
  readonly webDir: string;
  /** The alerting API (src/api/alerts.ts), mounted at `/api`. */
  readonly alerts: express.Router;
  /** Unmet demand (src/api/unmet.ts), mounted at `/api`. */
  readonly unmet: express.Router;
  /** Backtests run in the app (src/api/backtests.ts), mounted at `/api`. */
  readonly backtests: express.Router;
  /** Tokens for /api, /metrics (and /ws, in the feed). */
  readonly auth: Auth;
  /** Origins allowed to call the API from a browser; none: CORS stays off. */
  readonly corsOrigins: readonly string[];
  /** API requests per minute per client address. */
  readonly apiRateLimitPerMinute: number;
}

/**
 * The wall's policy: its own scripts, styles and socket only; no inline code,
 * no framing. uPlot draws on canvas and styles through the DOM, which CSP allows.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/** Mutating requests need the admin token; POST /api/sql only reads. */
function needsAdmin(req: Request): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(req.method) && req.path !== '/sql';
}

const windowQuery = z.object({
  dimension: z.enum(DIMENSIONS as [string, ...string[]]),
  key: z.string().min(1).max(256),
});

export function createHttpApp(options: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: CONTENT_SECURITY_POLICY,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginEmbedderPolicy: false,
    }),
  );
  if (options.corsOrigins.length > 0) app.use('/api', cors({ origin: [...options.corsOrigins], allowedHeaders: ['authorization', 'content-type'] }));
  app.use(express.json({ limit: '256kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });

  const apiLimit = rateLimit({
    windowMs: 60_000,
    limit: options.apiRateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    message: { error: `more than ${options.apiRateLimitPerMinute} requests a minute from this address; slow down` },
  });
  app.use('/api', apiLimit, options.auth.require('view'), (req, res, next) =>
    needsAdmin(req) ? options.auth.require('admin')(req, res, next) : next(),
  );
  app.use('/metrics', options.auth.require('view'));

  app.get('/metrics', async (_req, res) => {
    res.type(options.registry.contentType).send(await options.registry.metrics());
  });

  app.get('/api/window', async (req, res) => {
    const q = parse(windowQuery, req.query);
    const window = await options.windowCounts(q.dimension as Dimension, q.key);
    if (!window) throw new TrendmonError('not_found', 'no window has closed yet');
    const counts = window.counts ?? { dimension: q.dimension, key: q.key, events: 0, units: 0, revenue: 0, bySignal: { search: 0, view: 0, sale: 0 } };
    res.json({ start: window.start, end: window.end, ...counts });
  });

  app.use('/api', createAnalyticsRouter({ reader: options.reader, database: options.database, ranking: options.ranking }));
  app.use('/api', options.alerts);
  app.use('/api', options.unmet);
  app.use('/api', options.backtests);

  if (existsSync(options.webDir)) app.use(express.static(options.webDir, { index: 'index.html', maxAge: '1h' }));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // express's own refusals (body too large, malformed JSON) carry their status.
    const { status: given, expose, message } = err as { status?: number; expose?: boolean; message?: string };
    if (expose && given !== undefined && given >= 400 && given < 500) {
      res.status(given).json({ error: given === 413 ? 'request body too large (limit 256 KiB)' : (message ?? 'bad request'), code: 'bad_request' });
      return;
    }
    const { status, body } = errorResponse(err);
    res.status(status).json(body);
  });
  return app;
}

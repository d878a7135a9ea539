/**
 * The JSON API for analysts' tools (README, "API"): what is trending, one
 * key's series, spikes, and read-only SQL. An express Router, mounted under
 * `/api` by http.ts, so middleware such as auth can sit in front of it.
 *
 * Everything reads through the reader: read-only and bounded in rows, bytes
 * and time, so no request can write or run away.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Router } from 'express';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { DIMENSIONS, EVENT_KINDS, type Direction, type EventKind, type Spike } from '../domain.js';
import { queryError } from '../store/errors.js';
import { contentType, OUTPUT_FORMAT_NAMES, outputFormat, queryText } from '../store/output-formats.js';
import { assertReadOnly } from '../store/statements.js';
import { ROLLUP_DIMENSIONS, ROLLUPS, type Rollup, type RollupDimension } from '../store/rollups.js';
import { apiErrorHandler, BadRequestError } from './errors.js';
import { floorTo, instant, minutes, parse } from './params.js';
import { seriesQuery, spikesQuery, trendingQuery, type BuiltQuery } from './rollup-queries.js';

export interface AnalyticsOptions {
  /** Read-only and bounded (see openClickHouse). */
  readonly reader: ClickHouseClient;
  readonly database: string;
  /** The live detector's current ranking, for /api/trending without a window. */
  /** The live board, one direction. */
  readonly ranking: (direction: Direction) => readonly Spike[];
  readonly now?: () => number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Most points one /api/series answer may have. */
export const MAX_SERIES_POINTS = 10_000;

const dimension = z.enum(DIMENSIONS as [string, ...string[]]);
const rollupDimension = z.enum(ROLLUP_DIMENSIONS as [RollupDimension, ...RollupDimension[]]);
const kind = z.enum(EVENT_KINDS as [EventKind, ...EventKind[]]);
const region = z.string().max(64).default('');

const direction = z.enum(['rising', 'falling']);

const trendingParams = z.object({
  dimension: dimension.optional(),
  /** The live board only: rising (the trending board, the default) or falling. */
  direction: direction.default('rising'),
  window: minutes(MINUTE, 31 * DAY).optional(),
  at: instant.optional(),
  region,
  kind: kind.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const seriesParams = z.object({
  dimension: rollupDimension,
  key: z.string().min(1).max(512),
  from: instant,
  to: instant.optional(),
  step: minutes(MINUTE, 31 * DAY).default(60 * MINUTE),
  region,
  kind: kind.optional(),
});

const spikesParams = z.object({
  from: instant.optional(),
  to: instant.optional(),
  dimension: dimension.optional(),
  key: z.string().max(512).default(''),
  status: z.enum(['rising', 'falling', 'ongoing', 'ended']).optional(),
  direction: direction.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const sqlBody = z.object({
  query: z.string().trim().min(1).max(100_000),
  /** A ClickHouse output format, or a short name (src/store/output-formats.ts). */
  format: z
    .string()
    .default('json')
    .transform((name, ctx) => {
      const format = outputFormat(name);
      if (!format) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not one of ${OUTPUT_FORMAT_NAMES.join(', ')}` });
      return format ?? z.NEVER;
    }),
  /** Values for `{name:Type}` placeholders in the query. */
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'parameter names are identifiers'), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** The rollup for `dimension`, or a 400 saying which dimensions have one. */
function rollupOf(dimension: string, kindParam: EventKind | undefined): Rollup {
  const rollup = (ROLLUPS as Partial<Record<string, Rollup>>)[dimension];
  if (!rollup) throw new BadRequestError(`dimension: ${dimension} has no rollup; use one of ${ROLLUP_DIMENSIONS.join(', ')}`);
  if (kindParam && !rollup.kinds.includes(kindParam)) {
    throw new BadRequestError(`kind: ${dimension} counts ${rollup.kinds.join(', ')} events only`);
  }
  return rollup;
}

/** Splits a key into the rollup's key columns: `color=red` -> [color, red]. */
function keyParts(rollup: Rollup, key: string): string[] {
  if (rollup.keys.length === 1) return [key];
  const at = key.indexOf('=');
  if (at <= 0) throw new BadRequestError(`key: ${rollup.dimension} keys read name=value, e.g. color=red`);
  return [key.slice(0, at), key.slice(at + 1)];
}

/** ClickHouse quotes 64-bit integers in JSON; the API answers numbers. */
function numeric<T extends Record<string, unknown>>(rows: T[], fields: readonly string[]): T[] {
  for (const row of rows) {
    for (const field of fields) {
      const value = row[field];
      if (typeof value === 'string') (row as Record<string, unknown>)[field] = Number(value);
    }
  }
  return rows;
}

export function createAnalyticsRouter(options: AnalyticsOptions): Router {
  const { reader, database } = options;
  const now = options.now ?? Date.now;
  const rows = async (built: BuiltQuery) => {
    const result = await reader.query({ ...built, format: 'JSONEachRow' });
    return result.json<Record<string, unknown>>();
  };
  const router = express.Router();

  router.get('/trending', async (req, res) => {
    const q = parse(trendingParams, req.query);
    if (q.window === undefined) {
      const entries = options.ranking(q.direction).filter((s) => !q.dimension || s.dimension === q.dimension);
      res.json({ entries: entries.slice(0, q.limit) });
      return;
    }
    const rollup = rollupOf(q.dimension ?? 'sku', q.kind);
    // Whole minutes only: the minute in progress would compare a part with a whole.
    const toMs = floorTo(q.at ?? now(), MINUTE);
    const entries = await rows(trendingQuery(database, rollup, { toMs, windowMs: q.window, region: q.region, kind: q.kind, limit: q.limit }));
    res.json({
      dimension: rollup.dimension,
      window: { from: toMs - q.window, to: toMs, previousFrom: toMs - 2 * q.window },
      entries: numeric(entries, ['current', 'previous', 'users', 'units']),
    });
  });

  router.get('/series', async (req, res) => {
    const q = parse(seriesParams, req.query);
    const rollup = rollupOf(q.dimension, q.kind);
    const to = q.to ?? now();
    if (to <= q.from) throw new BadRequestError('to: must be after from');
    const fromMs = floorTo(q.from, q.step);
    const toMs = floorTo(to, MINUTE);
    const points = Math.ceil((toMs - fromMs) / q.step);
    if (points > MAX_SERIES_POINTS) throw new BadRequestError(`step: ${points} points asked for, at most ${MAX_SERIES_POINTS}: use a longer step or a shorter range`);
    const series = await rows(seriesQuery(database, rollup, { keyParts: keyParts(rollup, q.key), fromMs, toMs, stepMs: q.step, region: q.region, kind: q.kind }));
    res.json({
      dimension: rollup.dimension,
      key: q.key,
      from: fromMs,
      to: toMs,
      step: q.step,
      points: numeric(series, ['t', 'searches', 'views', 'sales', 'units', 'users']).map((p) => ({ ...p, t: (p.t as number) * 1000 })),
    });
  });

  router.get('/spikes', async (req, res) => {
    const q = parse(spikesParams, req.query);
    // Event times may run up to a day ahead of the clock (the contract's bound), and so may spikes.
    const toMs = q.to ?? now() + DAY;
    const spikes = await rows(
      spikesQuery(database, { fromMs: q.from ?? 0, toMs, dimension: q.dimension ?? '', key: q.key, status: q.status ?? '', direction: q.direction ?? '', limit: q.limit }),
    );
    res.json({ spikes: numeric(spikes, ['started_at', 'ended_at', 'updated_at', 'peak_volume']) });
  });

  router.post('/sql', async (req, res) => {
    const body = parse(sqlBody, req.body);
    assertReadOnly(body.query);
    let answer: Readable;
    try {
      answer = await queryText(reader, body.query, body.format, body.params);
    } catch (err) {
      throw queryError(err, 'user');
    }
    res.type(contentType(body.format));
    // A failure past this point cuts the connection (apiErrorHandler): a partial answer cannot pass for a whole one.
    await pipeline(answer, res);
  });

  router.use(apiErrorHandler);
  return router;
}

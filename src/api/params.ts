/**
 * Validating API parameters: zod schemas for the shapes the API accepts
 * (instants, durations, limits) and `parse`, which turns the first problem
 * into a 400 that names the parameter.
 */
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { BadRequestError } from './errors.js';

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BadRequestError(`${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  return result.data;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A point in time: epoch milliseconds, or ISO-8601 with a zone; as epoch ms. */
export const instant = z.string().transform((text, ctx) => {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : ISO_WITH_ZONE.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'is not a time (use epoch milliseconds or ISO-8601 with a zone, e.g. 2025-06-10T14:00:00Z)' });
    return z.NEVER;
  }
  return ms;
});

const MINUTE_MS = 60_000;

/** A duration in whole minutes between `min` and `max` (e.g. `15m`, `1h`, `7d`), in ms. */
export function minutes(min: number, max: number) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms % MINUTE_MS !== 0 || ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `must be whole minutes from ${min / MINUTE_MS}m to ${max / 86_400_000}d (e.g. 15m, 1h, 1d)` });
      return z.NEVER;
    }
    return ms;
  });
}

/** Rounds epoch ms down to a multiple of `stepMs` (a minute, a step of a series). */
export function floorTo(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}

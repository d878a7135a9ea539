/**
 * Validation of incoming events (contract section 1). Every message either
 * becomes a domain event or a rejection with a short reason (a metric label)
 * and a detail a producer can act on.
 */
import { z } from 'zod';
import type { EventKind, TrendEvent } from '../domain.js';

export type RejectReason =
  | 'oversize'
  | 'not_json'
  | 'not_an_object'
  | 'unknown_subject'
  | 'invalid_field'
  | 'ts_in_future'
  | 'ts_too_old'
  | 'forbidden_key'
  | 'too_deep'
  | 'store_rejected';

export type ParseResult =
  | { readonly ok: true; readonly event: TrendEvent }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

export interface ParseLimits {
  /** Largest accepted message, bytes. */
  readonly maxBytes: number;
  /** How far in the future `ts` may be, ms (contract: 1 day). */
  readonly maxFutureMs: number;
  /** Oldest accepted `ts`, epoch ms. */
  readonly minTs: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxBytes: 64 * 1024,
  maxFutureMs: 24 * 3_600_000,
  minTs: Date.UTC(2000, 0, 1),
};

// Control characters make ids and keys unreadable in every downstream tool.
const CONTROL = /[\u0000-\u001f\u007f]/;
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters');

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const TS_FORMAT = 'must be epoch milliseconds or ISO-8601 with a zone (e.g. 2026-11-24T10:00:00Z)';
const timestamp = z.unknown().transform((value, ctx): number => {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'is required' });
    return z.NEVER;
  }
  const ms = typeof value === 'number' ? value : typeof value === 'string' && ISO_WITH_ZONE.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: TS_FORMAT });
    return z.NEVER;
  }
  return ms;
});

const optionalText = text(128).optional();

const schemas = {
  search: z.object({
    id: text(128),
    ts: timestamp,
    query: z
      .string()
      .transform((s) => s.trim())
      .pipe(text(256)),
    region: optionalText,
    user: optionalText,
    session: optionalText,
  }),
  view: z.object({
    id: text(128),
    ts: timestamp,
    sku: text(128),
    region: optionalText,
    user: optionalText,
    session: optionalText,
  }),
  sale: z.object({
    id: text(128),
    ts: timestamp,
    sku: text(128),
    qty: z.number().int().min(1).max(1_000_000),
    price: z.number().min(0).max(1e9).optional(),
    currency: text(8).optional(),
    region: optionalText,
    user: optionalText,
  }),
} satisfies Record<EventKind, z.ZodType>;

/** The event kind a subject carries: `events.<kind>[.anything]`. */
export function kindOfSubject(subject: string): EventKind | undefined {
  const kind = subject.split('.', 2)[1];
  return kind === 'search' || kind === 'view' || kind === 'sale' ? kind : undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Keys that only an attack would send: they aim at prototype pollution further down. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class ForbiddenKeyError extends Error {}

function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(`key "${key}" is not allowed anywhere in an event`);
  return value;
}

/**
 * True when `text` cannot hold a forbidden key nor nest at all: no escapes
 * (which could spell a key), none of the words, one object and no arrays.
 * Such text parses exactly the same without the reviver, which costs
 * several times the parse itself; everything else takes the checked path.
 */
function plainFlatObject(text: string): boolean {
  return (
    text.indexOf('{', 1) === -1 &&
    !text.includes('[') &&
    !text.includes('\\') &&
    !text.includes('__proto__') &&
    !text.includes('constructor') &&
    !text.includes('prototype')
  );
}

/** Parses and validates one message published to `subject`. */
export function parseEvent(subject: string, data: Uint8Array, now: number, limits = DEFAULT_LIMITS): ParseResult {
  if (data.byteLength > limits.maxBytes) {
    return { ok: false, reason: 'oversize', detail: `message is ${data.byteLength} bytes; the limit is ${limits.maxBytes}` };
  }
  const kind = kindOfSubject(subject);
  if (!kind) {
    return { ok: false, reason: 'unknown_subject', detail: `subject ${subject} is not events.search, events.view or events.sale` };
  }
  let json: unknown;
  try {
    const text = decoder.decode(data);
    json = plainFlatObject(text) ? JSON.parse(text) : JSON.parse(text, rejectForbiddenKeys);
  } catch (err) {
    if (err instanceof ForbiddenKeyError) return { ok: false, reason: 'forbidden_key', detail: err.message };
    if (err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: 'JSON nested too deeply to parse' };
    return { ok: false, reason: 'not_json', detail: `not JSON: ${(err as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'not_an_object', detail: `expected one JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}` };
  }
  const parsed = schemas[kind].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return { ok: false, reason: 'invalid_field', detail: `${kind}.${field} ${message}` };
  }
  const ts = parsed.data.ts;
  if (ts > now + limits.maxFutureMs) {
    return { ok: false, reason: 'ts_in_future', detail: `ts ${new Date(ts).toISOString()} is more than ${limits.maxFutureMs / 3_600_000}h in the future` };
  }
  if (ts < limits.minTs) {
    return { ok: false, reason: 'ts_too_old', detail: `ts ${ts} is before ${new Date(limits.minTs).toISOString()}` };
  }
  return { ok: true, event: { kind, ...parsed.data } as TrendEvent };
}

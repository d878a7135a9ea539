/**
 * Validation of incoming events (contract section 1). Every message either
 * becomes a domain event or a rejection with a short reason (a metric label)
 * and a detail a producer can act on.
 */
import { z } from 'zod';
import { EVENT_KINDS, type EventKind, type SaleEvent, type SearchEvent, type TrendEvent, type ViewEvent } from '../domain.js';
import { TrendmonError } from '../errors.js';

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
  /** Deepest nesting of objects and arrays accepted (an event is flat; extra fields may nest a little). */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxBytes: 64 * 1024,
  maxFutureMs: 24 * 3_600_000,
  minTs: Date.UTC(2000, 0, 1),
  maxDepth: 64,
};

// Control characters make ids and keys unreadable in every downstream tool.
// eslint-disable-next-line no-control-regex -- matching them is the point
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
  // subject.split('.', 2)[1], without the array and strings it allocates.
  const start = subject.indexOf('.') + 1;
  if (start === 0) return undefined;
  for (const kind of EVENT_KINDS) {
    const end = start + kind.length;
    if (subject.startsWith(kind, start) && (end === subject.length || subject.charCodeAt(end) === 0x2e)) return kind;
  }
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Keys that only an attack would send: they aim at prototype pollution further down. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class ForbiddenKeyError extends TrendmonError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

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

/**
 * Whether `text` nests objects and arrays deeper than `limit`, by one pass
 * over it (brackets inside strings do not count). Cheap where JSON.parse
 * would recurse to a stack overflow: ms per message for 20,000 levels, a
 * way to slow the whole ingest down.
 */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
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
    if (plainFlatObject(text)) json = JSON.parse(text);
    else if (nestsDeeperThan(text, limits.maxDepth)) return { ok: false, reason: 'too_deep', detail: `JSON nested deeper than ${limits.maxDepth} levels` };
    else json = JSON.parse(text, rejectForbiddenKeys);
  } catch (err) {
    if (err instanceof ForbiddenKeyError) return { ok: false, reason: 'forbidden_key', detail: err.message };
    if (err instanceof RangeError) return { ok: false, reason: 'too_deep', detail: 'JSON nested too deeply to parse' };
    return { ok: false, reason: 'not_json', detail: `not JSON: ${(err as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, reason: 'not_an_object', detail: `expected one JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}` };
  }
  // The common case, a plainly valid event, is checked by hand; anything
  // else goes through the schema, which says what is wrong.
  let event = plainEvent(kind, json as Record<string, unknown>);
  if (!event) {
    const checked = validateFields(kind, json);
    if (!checked.ok) return checked;
    event = checked.event;
  }
  const ts = event.ts;
  if (ts > now + limits.maxFutureMs) {
    return { ok: false, reason: 'ts_in_future', detail: `ts ${new Date(ts).toISOString()} is more than ${limits.maxFutureMs / 3_600_000}h in the future` };
  }
  if (ts < limits.minTs) {
    return { ok: false, reason: 'ts_too_old', detail: `ts ${ts} is before ${new Date(limits.minTs).toISOString()}` };
  }
  return { ok: true, event };
}

/**
 * The schema check of a parsed JSON object (zod): the event, or the first
 * problem as `invalid_field`. The reference for {@link plainEvent}.
 */
export function validateFields(kind: EventKind, json: unknown): ParseResult {
  const parsed = schemas[kind].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return { ok: false, reason: 'invalid_field', detail: `${kind}.${field} ${message}` };
  }
  return { ok: true, event: { kind, ...parsed.data } as TrendEvent };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max && !CONTROL.test(value);
const isOptionalText = (value: unknown, max: number) => value === undefined || isText(value, max);

/** A valid `ts` as epoch ms, or undefined when the schema must look at it. */
function plainTs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !ISO_WITH_ZONE.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The schema's result for an object every field of which is plainly valid,
 * built without zod (several times cheaper, and this runs for every
 * message); undefined for anything else, which then goes through the schema
 * and gets its precise rejection. Same fields, same order, unknown fields
 * dropped; test/unit/schemas.test.ts checks it against `validateFields`.
 */
export function plainEvent(kind: EventKind, o: Record<string, unknown>): TrendEvent | undefined {
  const { id, region, user } = o;
  const ts = plainTs(o.ts);
  if (ts === undefined || !isText(id, 128) || !isOptionalText(region, 128) || !isOptionalText(user, 128)) return undefined;
  if (kind === 'sale') {
    const { sku, qty, price, currency } = o;
    if (!isText(sku, 128) || !isOptionalText(currency, 8)) return undefined;
    if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty < 1 || qty > 1_000_000) return undefined;
    if (price !== undefined && (typeof price !== 'number' || !Number.isFinite(price) || price < 0 || price > 1e9)) return undefined;
    const sale: Mutable<SaleEvent> = { kind, id, ts, sku, qty };
    if (price !== undefined) sale.price = price;
    if (currency !== undefined) sale.currency = currency;
    if (region !== undefined) sale.region = region;
    if (user !== undefined) sale.user = user;
    return sale;
  }
  const session = o.session;
  if (!isOptionalText(session, 128)) return undefined;
  let event: Mutable<SearchEvent> | Mutable<ViewEvent>;
  if (kind === 'search') {
    if (typeof o.query !== 'string') return undefined;
    const query = o.query.trim();
    if (!isText(query, 256)) return undefined;
    event = { kind, id, ts, query };
  } else {
    if (!isText(o.sku, 128)) return undefined;
    event = { kind, id, ts, sku: o.sku };
  }
  if (region !== undefined) event.region = region;
  if (user !== undefined) event.user = user;
  if (session !== undefined) event.session = session;
  return event;
}

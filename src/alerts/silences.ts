/**
 * Silences: "don't tell anyone about alerts matching these labels until
 * then". Created and expired through the API; kept (with their history for
 * a few days) in a JSON file under DATA_DIR, so a restart does not unmute
 * what an operator muted.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { TrendmonError, type ErrorCode } from '../errors.js';
import type { SilenceLookup } from './dispatcher.js';
import { formatMatcher, matchesAll, MatcherError, parseMatcher, type Labels, type Matcher } from './matchers.js';

export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly createdAt: number;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** A silence as the API shows it: matchers written out, times as ISO strings. */
export interface SilenceView {
  readonly id: string;
  readonly state: SilenceState;
  readonly matchers: readonly string[];
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
}

/** A silence asked for through the API that cannot be (`bad_request`), or a stored one that cannot be read (`invalid_input`). */
export class SilenceError extends TrendmonError {
  constructor(message: string, code: Extract<ErrorCode, 'bad_request' | 'invalid_input'> = 'bad_request') {
    super(code, message);
  }
}

/** Expired silences are listed for this long, then forgotten. */
const KEEP_EXPIRED_MS = 5 * 86_400_000;

const time = z.union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

const requestSchema = z.strictObject({
  matchers: z.array(z.string()).min(1, 'a silence needs at least one matcher (it would mute everything)'),
  startsAt: time.optional(),
  endsAt: time.optional(),
  duration: z.string().optional(),
  createdBy: z.string().max(256).default('api'),
  comment: z.string().max(2048).default(''),
});

const storedSchema = z.array(
  z.object({
    id: z.string(),
    matchers: z.array(z.string()),
    startsAt: z.number(),
    endsAt: z.number(),
    createdBy: z.string(),
    comment: z.string(),
    createdAt: z.number(),
  }),
);

export class Silences implements SilenceLookup {
  private readonly silences = new Map<string, Silence>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Restores silences saved by `toJSON` (ids and times kept). */
  load(stored: unknown): void {
    const parsed = storedSchema.safeParse(stored);
    if (!parsed.success) throw new SilenceError(`stored silences are malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'invalid_input');
    for (const s of parsed.data) this.silences.set(s.id, { ...s, matchers: s.matchers.map(parseMatcher) });
  }

  /**
   * Creates a silence from an API request: `matchers` (e.g. `["key=SKU-0010"]`),
   * `endsAt` (epoch ms or ISO-8601) or `duration` (e.g. `2h`), optional
   * `startsAt`, `createdBy`, `comment`.
   */
  create(request: unknown): SilenceView {
    const parsed = requestSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new SilenceError(`${issue.path.join('.') || 'request'}: ${issue.message}`);
    }
    const body = parsed.data;
    let matchers: Matcher[];
    try {
      matchers = body.matchers.map(parseMatcher);
    } catch (err) {
      if (err instanceof MatcherError) throw new SilenceError(err.message);
      throw err;
    }
    const now = this.clock();
    const startsAt = body.startsAt ?? now;
    let endsAt = body.endsAt;
    if (body.duration !== undefined) {
      const ms = parseDuration(body.duration);
      if (ms === undefined) throw new SilenceError(`duration: ${JSON.stringify(body.duration)} is not a duration (use e.g. 30m, 2h, 1d)`);
      if (endsAt !== undefined) throw new SilenceError('give either endsAt or duration, not both');
      endsAt = startsAt + ms;
    }
    if (endsAt === undefined) throw new SilenceError('endsAt or duration is required: a silence must end');
    if (endsAt <= startsAt) throw new SilenceError('endsAt must be after startsAt');
    if (endsAt <= now) throw new SilenceError('endsAt is in the past');
    const silence: Silence = { id: randomUUID(), matchers, startsAt, endsAt, createdBy: body.createdBy, comment: body.comment, createdAt: now };
    this.silences.set(silence.id, silence);
    return view(silence, now);
  }

  /** Ends a silence now; returns false when there is no such silence or it already ended. */
  expire(id: string): boolean {
    const silence = this.silences.get(id);
    const now = this.clock();
    if (!silence || silence.endsAt <= now) return false;
    this.silences.set(id, { ...silence, endsAt: Math.max(now, silence.startsAt) });
    return true;
  }

  silencing(labels: Labels, now: number): string[] {
    const ids: string[] = [];
    for (const s of this.silences.values()) {
      if (s.startsAt <= now && now < s.endsAt && matchesAll(s.matchers, labels)) ids.push(s.id);
    }
    return ids;
  }

  /** Every silence not long expired, newest first. */
  list(): SilenceView[] {
    const now = this.clock();
    for (const [id, s] of this.silences) if (now - s.endsAt > KEEP_EXPIRED_MS) this.silences.delete(id);
    return [...this.silences.values()].sort((a, b) => b.createdAt - a.createdAt).map((s) => view(s, now));
  }

  toJSON(): unknown {
    return [...this.silences.values()].map((s) => ({ ...s, matchers: s.matchers.map(formatMatcher) }));
  }
}

function view(s: Silence, now: number): SilenceView {
  return {
    id: s.id,
    state: now < s.startsAt ? 'pending' : now < s.endsAt ? 'active' : 'expired',
    matchers: s.matchers.map(formatMatcher),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

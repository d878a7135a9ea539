/**
 * The wire shape of an observation batch on `trendmon.obs.<partition>`: the
 * observations one ingest instance counted for the partition's keys during
 * one flush, each tagged with its event's stream sequence, and the ranges
 * of sequences that flush covered (see SeqCoverage).
 */
import { z } from 'zod';
import { DIMENSIONS, EVENT_KINDS } from '../domain.js';
import type { Observation } from '../windows/keys.js';

/** One observation: [seq, dimension, key, signal, ts, units, revenue, actorBit]. */
const observationTuple = z.tuple([
  z.number().int().positive(),
  z.enum(DIMENSIONS as [string, ...string[]]),
  z.string(),
  z.enum(EVENT_KINDS as [string, ...string[]]),
  z.number().finite(),
  z.number().finite(),
  z.number().finite(),
  z.number().int().min(-1).max(31),
]);

/** The full rules, with messages; the hot path checks the same by hand (`isWellFormed`). */
export const batchSchema = z.object({
  v: z.literal(1),
  /** The ingest instance that published it. */
  from: z.string(),
  /** Flat [start, end, ...] inclusive ranges of event stream sequences. */
  cover: z.array(z.number().int().nonnegative()).refine((c) => c.length % 2 === 0, 'must hold start/end pairs'),
  obs: z.array(observationTuple),
});

export type ObservationBatchWire = z.infer<typeof batchSchema>;

export interface SequencedObservation {
  readonly seq: number;
  readonly observation: Observation;
}

export interface ObservationBatch {
  readonly from: string;
  readonly cover: readonly number[];
  readonly observations: readonly SequencedObservation[];
}

export class BatchDecodeError extends Error {
  constructor(detail: string) {
    super(`observation batch rejected: ${detail}`);
    this.name = 'BatchDecodeError';
  }
}

const DIMENSION_SET = new Set<string>(DIMENSIONS);
const SIGNAL_SET = new Set<string>(EVENT_KINDS);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The same rules as `batchSchema`, without allocating. */
function isWellFormed(json: unknown): json is ObservationBatchWire {
  if (typeof json !== 'object' || json === null) return false;
  const { v, from, cover, obs } = json as Record<string, unknown>;
  if (v !== 1 || typeof from !== 'string' || !Array.isArray(cover) || cover.length % 2 !== 0 || !Array.isArray(obs)) return false;
  for (const c of cover) if (!Number.isInteger(c) || (c as number) < 0) return false;
  for (const o of obs) {
    if (!Array.isArray(o) || o.length !== 8) return false;
    const [seq, dimension, key, signal, ts, units, revenue, actorBit] = o as unknown[];
    if (!Number.isInteger(seq) || (seq as number) <= 0) return false;
    if (!DIMENSION_SET.has(dimension as string) || typeof key !== 'string' || !SIGNAL_SET.has(signal as string)) return false;
    if (!isCount(ts) || !isCount(units) || !isCount(revenue)) return false;
    if (!Number.isInteger(actorBit) || (actorBit as number) < -1 || (actorBit as number) > 31) return false;
  }
  return true;
}

export function encodeBatch(from: string, cover: readonly number[], observations: readonly SequencedObservation[]): string {
  const obs = observations.map(({ seq, observation: o }) => [seq, o.dimension, o.key, o.signal, o.ts, o.units, o.revenue, o.actorBit]);
  return JSON.stringify({ v: 1, from, cover, obs });
}

export function decodeBatch(text: string): ObservationBatch {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BatchDecodeError('not JSON');
  }
  // Batches from trendmon instances are well-formed: check them by hand (zod per observation
  // costs as much as counting it), and let zod say what is wrong with one that is not.
  if (!isWellFormed(json)) {
    const parsed = batchSchema.safeParse(json);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    throw new BatchDecodeError(issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'malformed');
  }
  const { from, cover, obs } = json;
  return {
    from,
    cover,
    observations: obs.map(([seq, dimension, key, signal, ts, units, revenue, actorBit]) => ({
      seq,
      observation: { dimension, key, signal, ts, units, revenue, actorBit } as Observation,
    })),
  };
}

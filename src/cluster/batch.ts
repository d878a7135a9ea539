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

const batchSchema = z.object({
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
  const parsed = batchSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BatchDecodeError(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { from, cover, obs } = parsed.data;
  return {
    from,
    cover,
    observations: obs.map(([seq, dimension, key, signal, ts, units, revenue, actorBit]) => ({
      seq,
      observation: { dimension, key, signal, ts, units, revenue, actorBit } as Observation,
    })),
  };
}

/**
 * Streams and durable consumers as code: create them when missing, update
 * them to the definition when present. Safe to run on every start. Shared
 * by the ingest (src/ingest/jetstream.ts) and the alert outbox.
 */
import { JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { Backoff } from '../retry.js';

/**
 * Waits before consuming again from a durable consumer whose messages
 * stopped with an error (NATS cut off, the consumer deleted): capped low, so
 * consuming resumes soon after NATS is back.
 */
export const RESUBSCRIBE: Backoff = { initialMs: 1_000, maxMs: 5_000 };

const isNotFound = (err: unknown) =>
  err instanceof JetStreamApiError &&
  (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound);

export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & Pick<StreamConfig, 'name'>): Promise<void> {
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}

export async function ensureConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  try {
    await jsm.consumers.info(stream, config.durable_name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, config.durable_name, config);
}

/** Creates or updates trendmon's streams and consumer from `streams/`. */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { ensureConsumer, ensureStream } from '../nats/jetstream.js';
import { OBSERVATIONS_STREAM } from '../../streams/cluster.js';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, INGEST_CONSUMER } from '../../streams/events.js';

/**
 * Makes the JetStream side match `streams/`; safe to run on every start.
 * Scaled out, also the stream that carries observations to their key's owner.
 */
export async function ensureJetStream(nc: NatsConnection, options: { scaledOut?: boolean } = {}): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, EVENTS_STREAM);
  await ensureStream(jsm, DEAD_LETTER_STREAM);
  await ensureConsumer(jsm, EVENTS_STREAM.name, INGEST_CONSUMER);
  if (options.scaledOut) await ensureStream(jsm, OBSERVATIONS_STREAM);
}

/** Creates or updates trendmon's streams and consumer from `streams/`. */
import { jetstreamManager, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { ConsumerConfig, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { OBSERVATIONS_STREAM } from '../../streams/cluster.js';
import { DEAD_LETTER_STREAM, EVENTS_STREAM, INGEST_CONSUMER } from '../../streams/events.js';

const isNotFound = (err: unknown) =>
  err instanceof JetStreamApiError &&
  (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound);

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & Pick<StreamConfig, 'name'>) {
  try {
    await jsm.streams.info(config.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
) {
  try {
    await jsm.consumers.info(stream, config.durable_name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(stream, config);
    return;
  }
  await jsm.consumers.update(stream, config.durable_name, config);
}

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

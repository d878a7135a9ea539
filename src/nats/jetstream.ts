/**
 * Streams and durable consumers as code: create them when missing, update
 * them to the definition when present. Safe to run on every start.
 */
import { JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';

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

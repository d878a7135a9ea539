/** NATS for the app: the configured server, or an embedded one under DATA_DIR; trendmon's streams made to match `streams/`. */
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ensureJetStream } from '../ingest/jetstream.js';
import type { Lifecycle } from '../lifecycle.js';
import { connectNats } from './connect.js';
import { ensureNatsServerInstalled } from './server.js';
import { NatsSupervisor } from './supervisor.js';

export async function openNats(config: Pick<Config, 'nats' | 'dataDir' | 'cluster'>, log: Logger, lifecycle: Lifecycle): Promise<{ nc: NatsConnection; url: string }> {
  let url = config.nats.url;
  if (!url) {
    ensureNatsServerInstalled((line) => log.info(line));
    const supervisor = await NatsSupervisor.start({ dir: join(config.dataDir, 'nats'), port: config.nats.managedPort }, log);
    lifecycle.onStop(() => supervisor.stop());
    url = supervisor.url;
  }
  const nc = await connectNats({ servers: url, name: 'trendmon', ...config.nats });
  lifecycle.onStop(() => nc.drain());
  await ensureJetStream(nc, { scaledOut: config.cluster !== undefined });
  return { nc, url };
}

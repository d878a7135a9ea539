/** A real nats-server for one measurement, and pre-publishing events into trendmon's stream. */
import { rmSync } from 'node:fs';
import { jetstreamManager, type ConsumerInfo } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureJetStream } from '../../src/ingest/jetstream.js';
import { startNatsServer, type RunningNatsServer } from '../../src/nats/server.js';
import { EVENTS_STREAM, INGEST_CONSUMER } from '../../streams/events.js';
import { progress, tempDir, until } from './util.js';
import type { Workload } from './workload.js';

export interface BenchNats {
  readonly server: RunningNatsServer;
  readonly url: string;
  readonly nc: NatsConnection;
  stop(): Promise<void>;
}

/** nats-server with JetStream in a fresh temp dir, trendmon's streams and consumer created. */
export async function startBenchNats(): Promise<BenchNats> {
  const dir = tempDir('nats');
  const server = await startNatsServer({ dir, port: -1 });
  // An interrupted run must not leave the server behind.
  const orphan = () => server.kill();
  process.once('exit', orphan);
  const nc = await connect({ servers: server.url, name: 'bench' });
  await ensureJetStream(nc);
  return {
    server,
    url: server.url,
    nc,
    async stop() {
      await nc.close();
      await server.stop();
      process.off('exit', orphan);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Core-publishes `count` events into the stream (JetStream stores messages
 * published on its subjects), flushing every `flushEvery`, then waits until
 * the stream holds them all. Event times run evenly over [fromTs, toTs).
 * Returns the publish rate.
 */
export async function prepublish(nc: NatsConnection, workload: Workload, count: number, fromTs: number, toTs: number, flushEvery = 5_000): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const before = (await jsm.streams.info(EVENTS_STREAM.name)).state.messages;
  const started = performance.now();
  const span = toTs - fromTs;
  for (let i = 0; i < count; i++) {
    const event = workload.next(fromTs + Math.floor((i / count) * span));
    nc.publish(event.subject, event.payload);
    if ((i + 1) % flushEvery === 0) {
      await nc.flush();
      if ((i + 1) % 200_000 === 0) progress(`  pre-published ${(i + 1).toLocaleString()} / ${count.toLocaleString()}`);
    }
  }
  await nc.flush();
  await until(
    async () => ((await jsm.streams.info(EVENTS_STREAM.name)).state.messages >= before + count ? true : undefined),
    60_000,
    'the stream to store every pre-published event',
  );
  return count / ((performance.now() - started) / 1000);
}

export async function ingestConsumerInfo(nc: NatsConnection, durable = INGEST_CONSUMER.durable_name): Promise<ConsumerInfo> {
  const jsm = await jetstreamManager(nc);
  return jsm.consumers.info(EVENTS_STREAM.name, durable);
}

export async function streamLastSeq(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(EVENTS_STREAM.name)).state.last_seq;
}

/**
 * Seconds from the ingest consumer's first delivery until its ack floor
 * reaches `timedSeq` (all of those events stored and acked), polling every
 * 25 ms; reports progress every 2 s.
 */
export async function timeAcks(nc: NatsConnection, timedSeq: number, lastSeq: number, label: string): Promise<number> {
  let firstAt: number | undefined;
  let steadyAt: number | undefined;
  let lastReport = Date.now();
  await until(
    async () => {
      const info = await ingestConsumerInfo(nc);
      const at = performance.now();
      if (firstAt === undefined && info.delivered.stream_seq > 0) firstAt = at;
      if (steadyAt === undefined && info.ack_floor.stream_seq >= timedSeq) steadyAt = at;
      if (Date.now() - lastReport > 2_000) {
        lastReport = Date.now();
        progress(`  ${label}: acked ${info.ack_floor.stream_seq.toLocaleString()} / ${lastSeq.toLocaleString()} (pending ${info.num_pending.toLocaleString()}, unacked ${info.num_ack_pending.toLocaleString()}, redelivered ${info.num_redelivered.toLocaleString()})`);
      }
      return steadyAt;
    },
    600_000,
    `${label} to store and ack the timed events`,
    25,
  );
  return (steadyAt! - firstAt!) / 1000;
}

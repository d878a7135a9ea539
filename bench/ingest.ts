/**
 * Throughput: the ceiling (a bare consumer) and trendmon end to end, reading
 * the same pre-published stream; and trendmon at larger key cardinalities.
 *
 * N events are core-published into a fresh nats-server's stream first, their
 * event times ending now and as dense as a shop's at 100k events/s (so
 * windows close and the detector runs as often per event as live at that
 * rate). Then each consumer reads all of them,
 * in its own process:
 * - ceiling: receive + JSON.parse (and a second run that also acks);
 * - trendmon: `startApp` in a child (default WINDOW/SLIDE, REPLAY=0, a
 *   catalog of the workload's skus); done when its durable consumer has
 *   acked all but the last LEFT_UNTIMED events, i.e. validated, counted,
 *   stored in ClickHouse and acked them. Timed from the first delivery,
 *   polling the consumer every 25 ms.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM } from '../streams/events.js';
import { spawnChild, type Message } from './lib/child.js';
import { prepublish, startBenchNats, streamLastSeq, timeAcks } from './lib/nats.js';
import { progress, round, sleep, tempDir } from './lib/util.js';
import { cardinality, Workload, writeCatalog, type Cardinality } from './lib/workload.js';

/**
 * Rates are timed until this many events of the backlog are left. Once the
 * remaining backlog falls to a few tens of thousands, with no new messages
 * arriving, deliveries slow to a trickle whatever the consumer (nats-server
 * 2.9 with a pull consumer at its max_ack_pending: the app sits idle, the
 * server delivers ~1k/s; a live stream keeps it going), so timing the full
 * drain would measure that, not trendmon.
 */
export const LEFT_UNTIMED = 50_000;

/** Density of the pre-published events' timestamps. */
export const EVENTS_PER_EVENT_SECOND = 100_000;

export interface CeilingResult {
  readonly events: number;
  readonly eventsPerSec: number;
  readonly withAckEventsPerSec: number;
}

export interface IngestResult {
  readonly scale: number;
  readonly cardinality: Cardinality;
  readonly events: number;
  /** From the first delivery until all but LEFT_UNTIMED events were acked. */
  readonly seconds: number;
  /** (events - LEFT_UNTIMED) / seconds. */
  readonly eventsPerSec: number;
  readonly rssMb: number;
  readonly heapMb: number;
  /** CPU time of the app process (all threads, chDB's included), start-up included, per 1,000 events. */
  readonly appCpuMsPer1k: number;
  readonly prepublishPerSec: number;
}

export interface AppStats extends Message {
  readonly rssMb: number;
  readonly heapMb: number;
  readonly cpuMs: number;
  readonly cpuCores: number;
  readonly loopP50Ms: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
}

export const appEnv = (natsUrl: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> => ({
  NATS_URL: natsUrl,
  DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  REPLAY: '0',
  TRENDMON_DB: 'trendmon_bench',
  ...extra,
});

async function runCeiling(natsUrl: string, nc: Parameters<typeof jetstreamManager>[0], count: number, ack: boolean): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const durable = ack ? 'bench-ceiling-ack' : 'bench-ceiling';
  await jsm.consumers.add(EVENTS_STREAM.name, {
    durable_name: durable,
    filter_subject: 'events.>',
    deliver_policy: DeliverPolicy.All,
    ack_policy: ack ? AckPolicy.Explicit : AckPolicy.None,
    ...(ack ? { max_ack_pending: 20_000 } : {}),
  });
  const child = spawnChild('child-ceiling.ts', { env: { NATS_URL: natsUrl, CONSUMER: durable, COUNT: String(count), ACK: ack ? '1' : '0', TIMED: String(count - LEFT_UNTIMED) } });
  const done = await child.next<Message & { steadyEventsPerSec: number }>('done', 300_000);
  await child.stop();
  await jsm.consumers.delete(EVENTS_STREAM.name, durable);
  return done.steadyEventsPerSec;
}

export interface IngestRunOptions {
  readonly events: number;
  readonly scale: number;
  /** Also measure the ceiling on the same stream first. */
  readonly ceiling: boolean;
  /** Write a V8 CPU profile of the app process here. */
  readonly cpuProfDir?: string;
  readonly env?: Record<string, string>;
}

export async function runIngest(options: IngestRunOptions): Promise<{ ingest: IngestResult; ceiling?: CeilingResult }> {
  const nats = await startBenchNats();
  const dir = tempDir('ingest');
  try {
    const workload = new Workload({ scale: options.scale });
    const catalogPath = writeCatalog(join(dir, 'catalog.ndjson'), workload.cardinality.skus);
    // Event times as dense as a 100k events/s shop's: windows close (and the
    // detector runs) as often per event as they would live at that rate.
    const now = Date.now();
    const spanMs = Math.max(1_000, Math.round(options.events / EVENTS_PER_EVENT_SECOND) * 1000);
    progress(`ingest x${options.scale}: pre-publishing ${options.events.toLocaleString()} events`);
    const prepublishPerSec = await prepublish(nats.nc, workload, options.events, now - spanMs, now);
    const last = await streamLastSeq(nats.nc);

    let ceiling: CeilingResult | undefined;
    if (options.ceiling) {
      progress('ceiling: bare consumer, receive + JSON.parse');
      const eventsPerSec = await runCeiling(nats.url, nats.nc, options.events, false);
      progress('ceiling: bare consumer, receive + JSON.parse + ack');
      const withAckEventsPerSec = await runCeiling(nats.url, nats.nc, options.events, true);
      ceiling = { events: options.events, eventsPerSec, withAckEventsPerSec };
    }

    progress(`ingest x${options.scale}: trendmon end to end`);
    const app = spawnChild('child-app.ts', {
      env: appEnv(nats.url, join(dir, 'data'), { CATALOG_PATH: catalogPath, ...options.env }),
      execArgv: [...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []), ...(process.env.APP_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
    });
    try {
      const seconds = await timeAcks(nats.nc, last - LEFT_UNTIMED, last, 'trendmon');
      await app.next('ready');
      app.send({ type: 'stats' });
      const stats = await app.next<AppStats>('stats');
      return {
        ceiling,
        ingest: {
          scale: options.scale,
          cardinality: cardinality(options.scale),
          events: options.events,
          seconds: round(seconds, 2),
          eventsPerSec: Math.round((options.events - LEFT_UNTIMED) / seconds),
          rssMb: stats.rssMb,
          heapMb: stats.heapMb,
          appCpuMsPer1k: round((stats.cpuMs / options.events) * 1000, 1),
          prepublishPerSec: Math.round(prepublishPerSec),
        },
      };
    } finally {
      await app.stop();
      await sleep(100);
    }
  } finally {
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Live load: trendmon (a child process) consuming a steady stream from the
 * load generator (another child process), at several offered rates.
 *
 * - Latency, at 50k events/s (and first at 10k/s): at known times the bench publishes a surge (a
 *   burst of events for a fresh sku, or a fresh search query, from distinct
 *   shoppers, stamped now) on top of the background, and times from the
 *   first surge event's publish to the `spike` message for that key on a
 *   WebSocket client connected to `/ws`. The surge's phase against the
 *   slide boundaries is random, as in real traffic.
 * - Per stage: the rate the generator achieved (its own count, and what the
 *   stream stored), the rate trendmon acked, event-loop delay p99 inside
 *   the app process, RSS and CPU.
 *
 * Windows: WINDOW=10s, SLIDE=1s, ALLOWED_LATENESS=250ms.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { FeedMessage } from '../src/feed/protocol.js';
import { appEnv, type AppStats } from './ingest.js';
import { spawnChild, type Child, type Message } from './lib/child.js';
import { ingestConsumerInfo, startBenchNats, streamLastSeq, type BenchNats } from './lib/nats.js';
import { nowMs, percentile, progress, round, sleep, tempDir } from './lib/util.js';
import { Workload, writeCatalog } from './lib/workload.js';

export const LATENCY_WINDOWS = { WINDOW: '10s', SLIDE: '1s', ALLOWED_LATENESS: '250ms' } as const;
const SLIDE_MS = 1_000;
const LATENESS_MS = 250;
const SURGE_EVENTS = 300;

export interface StageResult {
  readonly offeredPerSec: number;
  /** What the generator published per second (its own count). */
  readonly publishedPerSec: number;
  /** What the stream stored per second during the stage. */
  readonly storedPerSec: number;
  /** What trendmon acked (validated, counted, stored) per second. */
  readonly ackedPerSec: number;
  /** Messages not yet acked by trendmon at the end of the stage. */
  readonly backlog: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly cpuCores: number;
  readonly loopP50Ms: number;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly seconds: number;
}

export interface SurgeResult {
  readonly key: string;
  readonly dimension: 'sku' | 'query';
  /** Publish of the first surge event -> `spike` on the WebSocket. */
  readonly latencyMs?: number;
  /**
   * The part spent waiting for event time: from the first surge event to
   * the moment the watermark passed the end of the window that opened the
   * spike (its end + ALLOWED_LATENESS, on the wall clock).
   */
  readonly windowWaitMs?: number;
  /** The rest: ingest lag, window close, detection, feed. */
  readonly processingMs?: number;
}

export interface LatencyResult {
  readonly windows: typeof LATENCY_WINDOWS;
  readonly surgeEvents: number;
  readonly surges: readonly SurgeResult[];
  readonly missed: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly windowWaitP50Ms: number;
  readonly processingP50Ms: number;
  readonly processingP99Ms: number;
  /** The 50k stage the latency was measured in. */
  readonly stage: StageResult;
}

export interface LiveOptions {
  readonly quick: boolean;
  readonly latencyRate: number;
  readonly surges: number;
  /** Also measure latency at this lower rate first (one the instance keeps up with). */
  readonly lowLatencyRate?: number;
  readonly lowSurges?: number;
  /** Offered rates of the scaling curve besides the latency stage. */
  readonly sweepRates: readonly number[];
  readonly stageSeconds: number;
  readonly warmupSeconds: number;
  /** Wait after the last surge for its windows to close (>= 2 x SLIDE + ALLOWED_LATENESS, plus processing). */
  readonly tailSeconds?: number;
}

class Stage {
  private constructor(
    private readonly nats: BenchNats,
    private readonly app: Child,
    private readonly load: Child,
    private readonly offered: number,
    private readonly startedAt: number,
    private readonly startSeq: number,
    private readonly startAck: number,
  ) {}

  static async begin(nats: BenchNats, app: Child, load: Child, offered: number): Promise<Stage> {
    app.send({ type: 'stats' });
    load.send({ type: 'report' });
    await Promise.all([app.next('stats'), load.next('report')]);
    const [seq, info] = await Promise.all([streamLastSeq(nats.nc), ingestConsumerInfo(nats.nc)]);
    return new Stage(nats, app, load, offered, performance.now(), seq, info.ack_floor.stream_seq);
  }

  async end(): Promise<StageResult> {
    this.app.send({ type: 'stats' });
    this.load.send({ type: 'report' });
    const [stats, report] = await Promise.all([this.app.next<AppStats>('stats'), this.load.next<Message & { perSec: number }>('report')]);
    const [seq, info] = await Promise.all([streamLastSeq(this.nats.nc), ingestConsumerInfo(this.nats.nc)]);
    const seconds = (performance.now() - this.startedAt) / 1000;
    return {
      offeredPerSec: this.offered,
      publishedPerSec: report.perSec,
      storedPerSec: Math.round((seq - this.startSeq) / seconds),
      ackedPerSec: Math.round((info.ack_floor.stream_seq - this.startAck) / seconds),
      backlog: info.num_pending + info.num_ack_pending,
      rssMb: stats.rssMb,
      heapMb: stats.heapMb,
      cpuCores: stats.cpuCores,
      loopP50Ms: stats.loopP50Ms,
      loopP99Ms: stats.loopP99Ms,
      loopMaxMs: stats.loopMaxMs,
      seconds: round(seconds, 1),
    };
  }
}

export async function runLive(options: LiveOptions): Promise<{ latency: LatencyResult; lowLatency?: LatencyResult; sweep: StageResult[] }> {
  const nats = await startBenchNats();
  const dir = tempDir('live');
  const workload = new Workload({ scale: 1 });
  const catalogPath = writeCatalog(join(dir, 'catalog.ndjson'), workload.cardinality.skus);
  const app = spawnChild('child-app.ts', { env: appEnv(nats.url, join(dir, 'data'), { CATALOG_PATH: catalogPath, ...LATENCY_WINDOWS }) });
  const load = spawnChild('child-load.ts', { env: { NATS_URL: nats.url, SCALE: '1' } });
  let ws: WebSocket | undefined;
  try {
    const { url } = await app.next<Message & { url: string }>('ready', 120_000);
    await load.next('ready');
    const spikes = new Map<string, { at: number; updatedAt: number }>();
    ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false });
    ws.on('message', (data: Buffer) => {
      const at = nowMs();
      const message = JSON.parse(data.toString('utf8')) as FeedMessage;
      if (message.type !== 'spike') return;
      const id = `${message.dimension}:${message.key}`;
      if (!spikes.has(id)) spikes.set(id, { at, updatedAt: message.updatedAt });
    });
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });

    const run = Date.now().toString(36);
    let surgeNumber = 0;
    /** Surges on top of `rate`; one stage of the sweep. */
    const measureLatency = async (rate: number, count: number): Promise<LatencyResult> => {
      progress(`live: ${count} surges of ${SURGE_EVENTS} events on top of ${rate.toLocaleString()} events/s`);
      load.send({ type: 'rate', perSec: rate });
      await sleep(2_000); // settle
      const stage = await Stage.begin(nats, app, load, rate);
      const surges: { key: string; dimension: 'sku' | 'query'; publishedAt: number }[] = [];
      for (let i = 0; i < count; i++) {
        // A random phase against the slide boundaries.
        await sleep(2_000 + Math.random() * SLIDE_MS);
        const n = surgeNumber++;
        const dimension = n % 2 === 0 ? 'sku' : 'query';
        const key = dimension === 'sku' ? `SURGE-${run}-${n}` : `surge ${run} ${n}`;
        const publishedAt = nowMs();
        const ts = Date.now();
        for (let j = 0; j < SURGE_EVENTS; j++) {
          const id = `surge-${run}-${n}-${j}`;
          const user = `su-${n}-${j}`;
          nats.nc.publish(
            dimension === 'sku' ? 'events.view' : 'events.search',
            dimension === 'sku'
              ? `{"id":"${id}","ts":${ts},"sku":"${key}","user":"${user}","region":"eu-west"}`
              : `{"id":"${id}","ts":${ts},"query":"${key}","user":"${user}","region":"eu-west"}`,
          );
        }
        await nats.nc.flush();
        surges.push({ key, dimension, publishedAt });
        if ((i + 1) % 10 === 0) progress(`  ${i + 1} / ${count} surges`);
      }
      await sleep((options.tailSeconds ?? 6) * 1000); // the last surge's windows close
      const latencyStage = await stage.end();
      const results: SurgeResult[] = surges.map(({ key, dimension, publishedAt }) => {
        const spike = spikes.get(`${dimension}:${key}`);
        if (!spike) return { key, dimension };
        const watermarkPassed = spike.updatedAt + LATENESS_MS;
        return {
          key,
          dimension,
          latencyMs: round(spike.at - publishedAt, 1),
          windowWaitMs: round(watermarkPassed - publishedAt, 1),
          processingMs: round(spike.at - watermarkPassed, 1),
        };
      });
      const seen = results.filter((r) => r.latencyMs !== undefined);
      const latencies = seen.map((r) => r.latencyMs!);
      const processing = seen.map((r) => r.processingMs!);
      return {
        windows: LATENCY_WINDOWS,
        surgeEvents: SURGE_EVENTS,
        surges: results,
        missed: results.length - seen.length,
        p50Ms: percentile(latencies, 50),
        p95Ms: percentile(latencies, 95),
        p99Ms: percentile(latencies, 99),
        windowWaitP50Ms: percentile(seen.map((r) => r.windowWaitMs!), 50),
        processingP50Ms: percentile(processing, 50),
        processingP99Ms: percentile(processing, 99),
        stage: latencyStage,
      };
    };

    const firstRate = options.lowLatencyRate ?? options.latencyRate;
    progress(`live: warming up at ${firstRate.toLocaleString()} events/s for ${options.warmupSeconds} s (windows and baselines fill)`);
    load.send({ type: 'rate', perSec: firstRate });
    await sleep(options.warmupSeconds * 1000);
    const lowLatency = options.lowLatencyRate ? await measureLatency(options.lowLatencyRate, options.lowSurges ?? options.surges) : undefined;
    const latency = await measureLatency(options.latencyRate, options.surges);

    const sweep: StageResult[] = [latency.stage, ...(lowLatency ? [lowLatency.stage] : [])];
    for (const rate of options.sweepRates) {
      progress(`live: ${rate.toLocaleString()} events/s offered for ${options.stageSeconds} s`);
      load.send({ type: 'rate', perSec: rate });
      await sleep(2_000); // settle
      const s = await Stage.begin(nats, app, load, rate);
      await sleep(options.stageSeconds * 1000);
      sweep.push(await s.end());
    }
    load.send({ type: 'rate', perSec: 0 });
    sweep.sort((a, b) => a.offeredPerSec - b.offeredPerSec);
    return { latency, lowLatency, sweep };
  } finally {
    ws?.close();
    await load.stop();
    await app.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * N instances (docs/scaling.md): each ingests its share of the events and
 * sends their observations to the key partition that owns them (stage A);
 * each counts the partitions whose leases it holds (stage B), from their
 * observation feeds. Detections, alert changes and the big numbers travel
 * over NATS, so every instance's wall shows the whole board.
 */
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Config } from '../config/index.js';
import type { Counters, Dimension, TrendEvent } from '../domain.js';
import type { AlertView } from '../alerts/view.js';
import type { Delivery } from '../ingest/ingest.js';
import type { Metrics } from '../metrics.js';
import type { PartitionCounter, WindowCounts } from '../pipeline/counter.js';
import { Board } from '../pipeline/board.js';
import { CountedPartitions } from '../pipeline/partitions.js';
import type { CountingOptions, IngestSource, Topology } from '../pipeline/topology.js';
import { observationSubject, windowSubject } from '../../streams/cluster.js';
import { BoardRelay } from './board-relay.js';
import { ClusterCounters } from './counters.js';
import { ObservationExchange } from './exchange.js';
import { PartitionLeases } from './leases.js';
import { partitionOf } from './partition.js';
import { PartitionFeed } from './partition-feed.js';

type SalesTotals = { units: number; revenue: number };

export interface ClusterOptions extends CountingOptions {
  readonly nc: NatsConnection;
  readonly cluster: NonNullable<Config['cluster']>;
  readonly metrics: CountingOptions['metrics'] & Pick<Metrics, 'partitionsOwned' | 'partitionsAcquired' | 'duplicatesDropped'>;
  /** Units and revenue sold today, read at start, and re-read from the store: no one instance saw them all. */
  readonly salesToday: SalesTotals;
  readonly readSalesToday: () => Promise<SalesTotals>;
}

export class ClusterTopology implements Topology {
  readonly board = new Board();
  private readonly js: JetStreamClient;
  private readonly relay: BoardRelay;
  private readonly partitions: CountedPartitions;
  private readonly exchange: ObservationExchange;
  private readonly clusterCounters: ClusterCounters;
  private readonly feeds = new Map<number, PartitionFeed>();
  private readonly windowReplies = new Map<number, Subscription>();
  private leases?: PartitionLeases;
  private alertsLeader = false;
  private salesToday: SalesTotals;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: ClusterOptions) {
    const { nc, cluster, log } = options;
    this.js = jetstream(nc);
    this.relay = new BoardRelay(nc, this.board, log);
    this.partitions = new CountedPartitions(options, (update) => this.relay.publish(update));
    this.exchange = new ObservationExchange({
      instance: cluster.instanceId,
      partitions: cluster.partitions,
      publish: (partition, data) => this.js.publish(observationSubject(partition), data),
      flushMs: 100,
      maxBatch: 2_000,
    });
    this.salesToday = options.salesToday;
    this.clusterCounters = new ClusterCounters(nc, cluster.instanceId, options.ownCounters, () => this.salesToday);
  }

  get leadsAlerts(): boolean {
    return this.alertsLeader;
  }

  /** Stage A: the event's observations go to their key partitions' owners through JetStream. */
  count(event: TrendEvent, delivery: Delivery): Promise<void> {
    return this.exchange.add(delivery.seq, this.options.observe(event));
  }

  async windowCounts(dimension: Dimension, key: string): Promise<WindowCounts | undefined> {
    const partition = partitionOf(dimension, key, this.options.cluster.partitions);
    const local = this.partitions.get(partition);
    if (local) return local.window(dimension, key);
    try {
      const reply = await this.options.nc.request(windowSubject(partition), JSON.stringify({ dimension, key }), { timeout: 2_000 });
      return reply.data.length ? reply.json<WindowCounts>() : undefined;
    } catch {
      return undefined; // no owner right now (a takeover is under way)
    }
  }

  counters(): Counters {
    return this.clusterCounters.read();
  }

  publishAlert(alert: AlertView): void {
    this.relay.publishAlert(alert);
  }

  /** Takes this instance's share of the partition leases; no replay of the events here: a new owner rebuilds from the partition's feed. */
  async start(ingest: IngestSource): Promise<void> {
    const { nc, cluster, readSalesToday, log } = this.options;
    this.leases = await PartitionLeases.start({
      nc,
      instance: cluster.instanceId,
      partitions: cluster.partitions,
      ttlMs: cluster.leaseTtlMs,
      log,
      handlers: {
        acquired: (partition) => this.acquired(partition, ingest.behind),
        released: (partition) => this.released(partition),
        alertsLeader: (leading) => {
          this.alertsLeader = leading;
          log.info({ leading }, leading ? 'running the alerts for the cluster' : 'no longer running the alerts');
        },
      },
    });
    this.timers = [
      setInterval(() => {
        readSalesToday().then(
          (totals) => (this.salesToday = totals),
          () => undefined, // the store is down: keep the last figures
        );
      }, 10_000),
      setInterval(() => this.clusterCounters.publish(), 1000),
    ];
  }

  /** Hands every lease back (stopping those partitions' counting), so others take over at once. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.clusterCounters.close();
    await this.exchange.close();
    await this.leases?.stop();
    this.relay.close();
  }

  /**
   * Stage B: a new owner counts the partition from its feed, going back far
   * enough to rebuild at least one whole window (and baselines as far back
   * as REPLAY), silently until it has caught up.
   */
  private async acquired(partition: number, ingestBehind: Observable<boolean>): Promise<void> {
    const { windows, replayMs, metrics, log } = this.options;
    const rebuildMs = Math.max(replayMs, windows.sizeMs + windows.allowedLatenessMs + windows.slideMs);
    const feedBehind = new BehaviorSubject(true);
    const counter = this.partitions.start(partition, true, [ingestBehind, feedBehind]);
    this.feeds.set(
      partition,
      await PartitionFeed.start({
        js: this.js,
        partition,
        sinceMs: Date.now() - rebuildMs,
        onObservation: counter.observe,
        onCaughtUp: () => {
          counter.replaying = false;
          log.info({ partition }, 'partition caught up; counting live');
        },
        onBehind: (behind) => behind !== feedBehind.value && feedBehind.next(behind),
        onDuplicates: (n) => metrics.duplicatesDropped.inc(n),
        log,
      }),
    );
    this.windowReplies.set(partition, this.answerWindows(partition, counter));
    metrics.partitionsOwned.set(this.partitions.size);
    metrics.partitionsAcquired.inc();
  }

  private async released(partition: number): Promise<void> {
    this.windowReplies.get(partition)?.unsubscribe();
    this.windowReplies.delete(partition);
    await this.feeds.get(partition)?.stop();
    this.feeds.delete(partition);
    this.partitions.stop(partition);
    this.options.metrics.partitionsOwned.set(this.partitions.size);
  }

  /** /api/window on any instance: the owner answers for its partition's keys. */
  private answerWindows(partition: number, counter: PartitionCounter): Subscription {
    return this.options.nc.subscribe(windowSubject(partition), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const { dimension, key } = msg.json<{ dimension: Dimension; key: string }>();
          const window = counter.window(dimension, key);
          msg.respond(window ? JSON.stringify(window) : '');
        } catch {
          msg.respond('');
        }
      },
    });
  }
}

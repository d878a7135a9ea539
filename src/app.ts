/**
 * Wires trendmon together: NATS in, the pure windows and detector in the
 * middle, ClickHouse and the WebSocket feed out. The one place that knows
 * every adapter.
 */
import { createServer } from 'node:http';
import type { Subscription as NatsSubscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { jetstream } from '@nats-io/jetstream';
import { asyncScheduler, BehaviorSubject, type Observable } from 'rxjs';
import { AlertManager } from './alerts/manager.js';
import { DemandPlanner } from './alerts/planning.js';
import { refreshPlanningHistory } from './alerts/planning-refresh.js';
import { createAlertsRouter } from './api/alerts.js';
import { createUnmetRouter } from './api/unmet.js';
import { createBacktestsRouter } from './api/backtests.js';
import { Auth } from './api/auth.js';
import { createHttpApp } from './api/http.js';
import { readiness } from './api/readiness.js';
import { closeServer, listen, WEB_DIR } from './api/server.js';
import { Catalog } from './catalog/catalog.js';
import type { Config } from './config/index.js';
import { SearchLinker } from './detect/linking.js';
import { UnmetTracker } from './detect/unmet.js';
import { DEFAULT_DETECTOR_OPTIONS } from './detect/detector.js';
import type { Dimension, Spike, TrendEvent } from './domain.js';
import { LiveCounters } from './feed/counters.js';
import type { SnapshotMessage, SpikeView, UnmetView } from './feed/protocol.js';
import { FeedServer } from './feed/server.js';
import { Ingest } from './ingest/ingest.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, maskUrl } from './log.js';
import { createMetrics } from './metrics.js';
import { openNats } from './nats/open.js';
import type { ClickHouse } from './store/client.js';
import { openStore } from './store/open.js';
import { salesSince } from './store/sales.js';
import { catalogRow, spikeRow, unmetRow } from './store/rows.js';
import { loadPlanningHistory } from './store/planning-history.js';
import type { InsertRows } from './store/writer.js';
import { observe } from './windows/keys.js';
import { anyHolds, PartitionCounter, type WindowCounts } from './pipeline/counter.js';
import { Board, ClusterCounters, localTransport, natsTransport } from './cluster/board.js';
import { ObservationExchange } from './cluster/exchange.js';
import { PartitionLeases } from './cluster/leases.js';
import { partitionOf } from './cluster/partition.js';
import { PartitionFeed } from './cluster/partition-feed.js';
import { observationSubject, windowSubject } from '../streams/cluster.js';

export interface RunningApp {
  readonly url: string;
  readonly natsUrl: string;
  readonly log: Logger;
  /** Drains and closes everything; resolves when done. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly log?: Logger;
  /**
   * Wraps the ClickHouse insert: the seam where fault tests make the store
   * fail or stall on demand.
   */
  readonly interceptInsert?: (insert: InsertRows) => InsertRows;
  /**
   * An open store to use instead of the configured one (left open on stop):
   * several instances in one process share one embedded ClickHouse, which
   * allows one holder per data directory.
   */
  readonly store?: ClickHouse;
}

export async function startApp(config: Config, options: StartOptions = {}): Promise<RunningApp> {
  const log = options.log ?? createLogger(config.logLevel);
  const started = performance.now();
  const metrics = createMetrics();
  const lifecycle = new Lifecycle(log);

  try {
    const { nc, url: natsUrl } = await openNats(config, log, lifecycle);
    const { store, writer, failing: storeFailing } = await openStore(config, { existing: options.store, interceptInsert: options.interceptInsert, metrics, log, lifecycle });
    const clickhouse = store.client;
    /** True until the ingest shows it has read everything the stream holds (Ingest.behind). */
    const ingestBehind = new BehaviorSubject(true);
    const held = anyHolds([storeFailing, ingestBehind]);

    // The catalog table follows the in-memory catalog: the rollups join it for category and attributes.
    // Searches lead sales: each search also counts on the catalog keys it names.
    const linker = new SearchLinker();
    // Demand projections (docs/alerts.md): the funnel, past surges and records, recent sales per item.
    // It reads the catalog below through closures, and the catalog tells it of every item.
    const demand = new DemandPlanner({
      catalog: (sku) => catalog.lookup(sku),
      variantsOf: (product) => catalog.variantsOf(product),
      categoryOfQuery: (query) => linker.link(query).find((link) => link.dimension === 'category')?.key,
    });
    const catalog = new Catalog({
      onUpsert: (item) => {
        linker.upsert(item);
        demand.upsertItem(item);
        writer.add('catalog', catalogRow(item, Date.now()));
      },
    });
    // What shoppers search for that the catalog lacks.
    const unmet = new UnmetTracker(linker);
    const links = (query: string) => linker.link(query);
    if (config.catalogPath) log.info({ items: await catalog.loadFile(config.catalogPath) }, 'catalog loaded');
    catalog.follow(nc, (problem) => log.warn({ problem }, 'catalog item rejected'));
    lifecycle.onStop(() => catalog.stop());

    const loadHistory = () => loadPlanningHistory({ client: clickhouse, database: config.clickhouse.database, catalog: catalog.lookup, now: Date.now() });
    lifecycle.onStop(await refreshPlanningHistory(demand, loadHistory, log));

    // Alerts for planners (docs/alerts.md): rules on every detection -> grouped notifications -> webhook / NATS.
    const alerts = await AlertManager.start({
      nc,
      writer,
      catalog: catalog.lookup,
      log,
      settings: config.alerts,
      dataDir: config.dataDir,
      windowMs: config.windows.sizeMs,
      metrics,
      planner: demand,
      unmet: (spike) => unmet.describe(spike),
    });
    lifecycle.onStop(() => alerts.stop());
    const reloadAlerts = () => alerts.reload().catch((err: Error) => log.error({ err: err.message }, 'alert rules not reloaded; the running ones stay'));
    lifecycle.onSignal('SIGHUP', reloadAlerts);

    // The board the walls show: every key partition's detections, merged (src/cluster/board.ts).
    const cluster = config.cluster;
    const board = new Board(DEFAULT_DETECTOR_OPTIONS.rankingSize);
    const boardTransport = cluster ? natsTransport(nc, board, log) : localTransport(board);
    lifecycle.onStop(() => boardTransport.close());
    let alertsLeader = !cluster;
    alerts.onChange((alert) => boardTransport.publishAlert(alert));

    const counters = new LiveCounters();
    let today = await salesSince(clickhouse, config.clickhouse.database, new Date().setHours(0, 0, 0, 0));
    counters.restoreToday(today.units, today.revenue);
    const clusterCounters = cluster && new ClusterCounters(nc, cluster.instanceId, () => counters.read(), () => today);
    const readCounters = () => (clusterCounters ? clusterCounters.read() : counters.read());
    const unmetView = (details: NonNullable<ReturnType<UnmetTracker['describe']>>): UnmetView => ({
      ...details,
      nearest: details.nearest.map((sku) => ({ sku, ...(catalog.lookup(sku) ? { title: catalog.lookup(sku)!.title } : {}) })),
    });
    const view = (spike: Spike): SpikeView => {
      const item = spike.dimension === 'sku' ? catalog.lookup(spike.key) : undefined;
      const lacking = unmet.describe(spike);
      return {
        ...spike,
        ...(item ? { title: item.title, category: item.category } : {}),
        ...(lacking ? { unmet: unmetView(lacking) } : {}),
      };
    };
    const unmetBoard = (): SpikeView[] => unmet.ranking().map(({ spike, unmet: details }) => ({ ...spike, unmet: unmetView(details) }));
    const snapshot = (): SnapshotMessage => ({
      type: 'snapshot',
      serverTime: Date.now(),
      window: { sizeMs: config.windows.sizeMs, slideMs: config.windows.slideMs },
      spikes: board.ranking('rising').map(view),
      falling: board.ranking('falling').map(view),
      counters: readCounters(),
      alerts: board.alerts(),
      unmet: unmetBoard(),
    });

    /** The key partitions this instance counts: partition 0 of 1 when alone. */
    const counting = new Map<number, PartitionCounter>();
    const windowCounts = async (dimension: Dimension, key: string): Promise<WindowCounts | undefined> => {
      if (!cluster) return counting.get(0)?.window(dimension, key);
      const partition = partitionOf(dimension, key, cluster.partitions);
      const local = counting.get(partition);
      if (local) return local.window(dimension, key);
      try {
        const reply = await nc.request(windowSubject(partition), JSON.stringify({ dimension, key }), { timeout: 2_000 });
        return reply.data.length ? reply.json<WindowCounts>() : undefined;
      } catch {
        return undefined; // no owner right now (a takeover is under way)
      }
    };

    const backtests = createBacktestsRouter({
      client: clickhouse,
      database: config.clickhouse.database,
      windows: { ...config.windows, capacity: { query: config.sketchCapacity, term: config.sketchCapacity } },
      rules: () => alerts.ruleSettings(),
    });
    // A backtest running in the app stops with it, before the store closes.
    lifecycle.onStop(() => backtests.stop());

    const auth = new Auth({ adminToken: config.token, viewToken: config.viewToken });
    const httpApp = createHttpApp({
      auth,
      corsOrigins: config.http.corsOrigins,
      apiRateLimitPerMinute: config.http.apiRateLimitPerMinute,
      registry: metrics.registry,
      readiness: () => readiness(nc, clickhouse, writer),
      ranking: (direction) => board.ranking(direction).map(view),
      windowCounts,
      reader: store.reader,
      database: config.clickhouse.database,
      webDir: WEB_DIR,
      alerts: createAlertsRouter({ alerts, reader: store.reader, database: config.clickhouse.database }),
      unmet: createUnmetRouter({ live: unmetBoard, reader: store.reader, database: config.clickhouse.database }),
      backtests: backtests.router,
    });
    const server = createServer(httpApp);
    const feed = new FeedServer({
      server,
      snapshot,
      authorize: (req) => auth.check(req, 'view'),
      onClientCountChange: (n) => metrics.feedClients.set(n),
    });
    lifecycle.onStop(() => closeServer(server));
    lifecycle.onStop(() => feed.close());
    // Alerts reach the wall as they fire, change and resolve; snapshots carry the full list.
    board.onAlert((alert) => feed.broadcast({ type: 'alert', ...alert }));
    board.onDetection(({ detection }) => {
      const ranking = board.ranking('rising');
      const falling = board.ranking('falling');
      metrics.spikesOpen.set([...ranking, ...falling].filter((s) => s.status !== 'ended').length);
      const lacking = unmet.step(detection);
      // One instance stores unmet demand (alone: this one; scaled out: the one running the alerts).
      if (alertsLeader) {
        alerts.onDetection(detection);
        for (const entry of lacking) writer.add('unmet_demand', unmetRow(entry));
      }
      for (const spike of detection.updates) feed.broadcast({ type: 'spike', ...view(spike) });
      feed.broadcast({ type: 'ranking', windowEnd: detection.windowEnd, entries: ranking.map(view), falling: falling.map(view) });
      feed.broadcast({ type: 'unmet', windowEnd: detection.windowEnd, entries: unmetBoard() });
    });

    /** `behind`: the partition's own source lags (scaled out, its observation feed). */
    const startCounter = (partition: number, replaying: boolean, behind?: Observable<boolean>) => {
      const counter = new PartitionCounter(
        {
          partition,
          windows: { ...config.windows, capacity: { query: config.sketchCapacity, term: config.sketchCapacity } },
          linker,
          minVolume: config.detectMinVolume,
          hold: behind ? anyHolds([held, behind]) : held,
          scheduler: asyncScheduler,
          onWindow: (result) => {
            metrics.windowKeys.set([...counting.values()].reduce((sum, c) => sum + c.windowKeys, 0));
            metrics.lateEvents.inc(result.lateEvents);
          },
          // The owner stores its partition's spikes once and tells every board.
          onDetection: (detection) => {
            for (const spike of detection.updates) writer.add('spikes', spikeRow(spike));
            boardTransport.publish({ partition, detection });
          },
          onError: (err) => log.fatal({ err, partition }, 'detection pipeline failed'),
        },
        replaying,
      );
      counting.set(partition, counter);
      return counter;
    };
    const observations = (event: TrendEvent) => observe(event, catalog.lookup, links);
    const recordCounters = (event: TrendEvent) => {
      const units = event.kind === 'sale' ? event.qty : 0;
      const revenue = event.kind === 'sale' ? units * (event.price ?? catalog.lookup(event.sku)?.price ?? 0) : 0;
      counters.record(event.kind, units, revenue);
      alerts.observeEvent(event);
      if (event.kind === 'search') unmet.observeSearch(event.query, event.ts);
    };

    let ingest: Ingest;
    if (!cluster) {
      // Alone: every key is counted in this process.
      const counter = startCounter(0, false);
      lifecycle.onStop(() => counter.stop());
      const count = (event: TrendEvent) => {
        for (const observation of observations(event)) counter.observe(observation);
      };
      ingest = new Ingest({
        nc,
        writer,
        metrics,
        log,
        onEvent: (event) => {
          recordCounters(event);
          count(event);
        },
      });
      if (config.replayMs > 0) {
        const replayStarted = performance.now();
        counter.replaying = true;
        const replayed = await ingest.replay(Date.now() - config.replayMs, count);
        counter.replaying = false;
        log.info({ replayed, ms: Math.round(performance.now() - replayStarted) }, 'windows and baselines rebuilt from the stream');
      }
    } else {
      // Scaled out (docs/scaling.md): observations go to their key partition's owner through JetStream.
      const js = jetstream(nc);
      const exchange = new ObservationExchange({
        instance: cluster.instanceId,
        partitions: cluster.partitions,
        publish: (partition, data) => js.publish(observationSubject(partition), data),
        flushMs: 100,
        maxBatch: 2_000,
      });
      // A new owner rebuilds at least one whole window (and baselines as far back as REPLAY) from the stream.
      const rebuildMs = Math.max(config.replayMs, config.windows.sizeMs + config.windows.allowedLatenessMs + config.windows.slideMs);
      const feeds = new Map<number, PartitionFeed>();
      const windowReplies = new Map<number, NatsSubscription>();
      const leases = await PartitionLeases.start({
        nc,
        instance: cluster.instanceId,
        partitions: cluster.partitions,
        ttlMs: cluster.leaseTtlMs,
        log,
        handlers: {
          acquired: async (partition) => {
            const feedBehind = new BehaviorSubject(true);
            const counter = startCounter(partition, true, feedBehind);
            feeds.set(
              partition,
              await PartitionFeed.start({
                js,
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
            windowReplies.set(
              partition,
              nc.subscribe(windowSubject(partition), {
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
              }),
            );
            metrics.partitionsOwned.set(counting.size);
          },
          released: async (partition) => {
            windowReplies.get(partition)?.unsubscribe();
            windowReplies.delete(partition);
            await feeds.get(partition)?.stop();
            feeds.delete(partition);
            counting.get(partition)?.stop();
            counting.delete(partition);
            metrics.partitionsOwned.set(counting.size);
          },
          alertsLeader: (leading) => {
            alertsLeader = leading;
            log.info({ leading }, leading ? 'running the alerts for the cluster' : 'no longer running the alerts');
          },
        },
      });
      lifecycle.onStop(() => leases.stop());
      ingest = new Ingest({
        nc,
        writer,
        metrics,
        log,
        onEvent: (event, delivery) => {
          recordCounters(event);
          return exchange.add(delivery.seq, observations(event));
        },
      });
      lifecycle.onStop(() => exchange.close());
      const todayTimer = setInterval(() => {
        salesSince(clickhouse, config.clickhouse.database, new Date().setHours(0, 0, 0, 0)).then(
          (totals) => (today = totals),
          () => undefined, // the store is down: keep the last figures
        );
      }, 10_000);
      lifecycle.onStop(() => clearInterval(todayTimer));
      const countersOut = setInterval(() => clusterCounters && clusterCounters.publish(), 1000);
      lifecycle.onStop(() => {
        clearInterval(countersOut);
        if (clusterCounters) clusterCounters.close();
      });
    }
    ingest.behind.subscribe((behind) => ingestBehind.next(behind));
    await ingest.start();
    lifecycle.onStop(() => ingest.stop());

    const countersTimer = setInterval(() => feed.broadcast({ type: 'counters', serverTime: Date.now(), ...readCounters() }), 1000);
    lifecycle.onStop(() => clearInterval(countersTimer));

    const url = await listen(server, config.http.port, config.http.host);
    log.info({ url, nats: maskUrl(natsUrl), startupMs: Math.round(performance.now() - started) }, 'trendmon started');
    return { url, natsUrl, log, stop: () => lifecycle.stop() };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

/**
 * Wires trendmon together, top-down in the order data flows: NATS, the
 * store, the catalog, counting (alone or scaled out: src/pipeline/topology.ts),
 * what reads the detections (the wall, the alerts, the store), HTTP; the
 * ingest starts last, once everything it feeds is in place. The one place
 * that knows every adapter.
 */
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import { asyncScheduler } from 'rxjs';
import { AlertManager } from './alerts/manager.js';
import { DemandPlanner } from './alerts/planning.js';
import { refreshPlanningHistory } from './alerts/planning-refresh.js';
import { createAlertsRouter } from './api/alerts.js';
import { Auth } from './api/auth.js';
import { createBacktestsRouter } from './api/backtests.js';
import { createHttpApp } from './api/http.js';
import { readiness } from './api/readiness.js';
import { closeServer, listen, WEB_DIR } from './api/server.js';
import { createUnmetRouter } from './api/unmet.js';
import { Catalog } from './catalog/catalog.js';
import { ClusterTopology } from './cluster/topology.js';
import type { Config } from './config/index.js';
import { SearchLinker } from './detect/linking.js';
import { UnmetTracker } from './detect/unmet.js';
import { LiveCounters } from './feed/counters.js';
import { Wall } from './feed/wall.js';
import { Ingest } from './ingest/ingest.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, maskUrl } from './log.js';
import { createMetrics } from './metrics.js';
import { openNats } from './nats/open.js';
import { LocalTopology } from './pipeline/local.js';
import type { CountingOptions, Topology } from './pipeline/topology.js';
import type { ClickHouse } from './store/client.js';
import { openStore } from './store/open.js';
import { loadPlanningHistory } from './store/planning-history.js';
import { catalogRow, spikeRow, unmetRow } from './store/rows.js';
import { salesSince } from './store/sales.js';
import type { InsertRows } from './store/writer.js';
import { observe } from './windows/keys.js';

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
    const { database } = config.clickhouse;

    // Searches lead sales: each search also counts on the catalog keys it names.
    const linker = new SearchLinker();
    // Demand projections (docs/alerts.md): the funnel, past surges and records, recent sales per item.
    // It reads the catalog below through closures, and the catalog tells it of every item.
    const demand = new DemandPlanner({
      catalog: (sku) => catalog.lookup(sku),
      variantsOf: (product) => catalog.variantsOf(product),
      categoryOfQuery: (query) => linker.link(query).find((link) => link.dimension === 'category')?.key,
    });
    // The catalog table follows the in-memory catalog: the rollups join it for category and attributes.
    const catalog = new Catalog({
      onUpsert: (item) => {
        linker.upsert(item);
        demand.upsertItem(item);
        writer.add('catalog', catalogRow(item, Date.now()));
      },
    });
    // What shoppers search for that the catalog lacks.
    const unmet = new UnmetTracker(linker);
    if (config.catalogPath) log.info({ items: await catalog.loadFile(config.catalogPath) }, 'catalog loaded');
    catalog.follow(nc, (problem) => log.warn({ problem }, 'catalog item rejected'));
    lifecycle.onStop(() => catalog.stop());
    const loadHistory = () => loadPlanningHistory({ client: store.client, database, catalog: catalog.lookup, now: Date.now() });
    lifecycle.onStop(await refreshPlanningHistory(demand, loadHistory, log));

    // Counting: the windows and the detector, over every key here or over the key partitions this instance owns.
    const live = new LiveCounters();
    const readSalesToday = () => salesSince(store.client, database, new Date().setHours(0, 0, 0, 0));
    const salesToday = await readSalesToday();
    live.restoreToday(salesToday.units, salesToday.revenue);
    const counting: CountingOptions = {
      windows: { ...config.windows, capacity: { query: config.sketchCapacity, term: config.sketchCapacity } },
      linker,
      minVolume: config.detectMinVolume,
      hold: storeFailing,
      scheduler: asyncScheduler,
      observe: (event) => observe(event, catalog.lookup, (query) => linker.link(query)),
      // The partition's owner stores its spikes, once.
      onDetection: (detection) => detection.updates.forEach((spike) => writer.add('spikes', spikeRow(spike))),
      ownCounters: () => live.read(),
      replayMs: config.replayMs,
      metrics,
      log,
    };
    const topology: Topology = config.cluster
      ? new ClusterTopology({ ...counting, nc, cluster: config.cluster, metrics, salesToday, readSalesToday })
      : new LocalTopology(counting);

    // Alerts for planners (docs/alerts.md): rules on every detection -> grouped notifications -> webhook / NATS.
    const alerts = await AlertManager.start({
      nc, writer, log, metrics, settings: config.alerts, dataDir: config.dataDir, windowMs: config.windows.sizeMs,
      catalog: catalog.lookup, planner: demand, unmet: (spike) => unmet.describe(spike),
    });
    lifecycle.onStop(() => alerts.stop());
    lifecycle.onSignal('SIGHUP', () => void alerts.reload().catch((err: Error) => log.error({ err: err.message }, 'alert rules not reloaded; the running ones stay')));
    alerts.onChange((alert) => topology.publishAlert(alert));

    // Every partition's detections, merged on the board, reach the wall; alerts and unmet demand run on one instance.
    const auth = new Auth({ adminToken: config.token, viewToken: config.viewToken });
    const server = createServer();
    const wall = new Wall({
      server, authorize: (req) => auth.check(req, 'view'), metrics, window: config.windows,
      board: topology.board, catalog: catalog.lookup, unmet, counters: () => topology.counters(),
    });
    topology.board.onDetection(({ detection }) => {
      const lacking = unmet.step(detection);
      if (topology.leadsAlerts) {
        alerts.onDetection(detection);
        for (const entry of lacking) writer.add('unmet_demand', unmetRow(entry));
      }
      wall.show(detection);
    });

    // HTTP: health, metrics, the API and the wall's files, on the port /ws shares.
    const backtests = createBacktestsRouter({ client: store.client, database, windows: counting.windows, rules: () => alerts.ruleSettings() });
    // A backtest running in the app stops with it, before the store closes.
    lifecycle.onStop(() => backtests.stop());
    server.on('request', createHttpApp({
      auth,
      corsOrigins: config.http.corsOrigins,
      apiRateLimitPerMinute: config.http.apiRateLimitPerMinute,
      registry: metrics.registry,
      readiness: () => readiness(nc, store.client, writer),
      ranking: (direction) => wall.ranking(direction),
      windowCounts: (dimension, key) => topology.windowCounts(dimension, key),
      reader: store.reader,
      database,
      webDir: WEB_DIR,
      alerts: createAlertsRouter({ alerts, reader: store.reader, database }),
      unmet: createUnmetRouter({ live: () => wall.unmetBoard(), reader: store.reader, database }),
      backtests: backtests.router,
    }));
    lifecycle.onStop(() => closeServer(server));
    lifecycle.onStop(() => wall.close());

    // In: each valid event counts on the wall's numbers, in the alerts' funnel and unmet searches, and in the windows.
    const ingest = new Ingest({
      nc, writer, metrics, log,
      onEvent: (event, delivery) => {
        const units = event.kind === 'sale' ? event.qty : 0;
        live.record(event.kind, units, event.kind === 'sale' ? units * (event.price ?? catalog.lookup(event.sku)?.price ?? 0) : 0);
        alerts.observeEvent(event);
        if (event.kind === 'search') unmet.observeSearch(event.query, event.ts);
        return topology.count(event, delivery);
      },
    });
    lifecycle.onStop(() => topology.stop());
    await topology.start(ingest);
    await ingest.start();
    lifecycle.onStop(() => ingest.stop());

    const url = await listen(server, config.http.port, config.http.host);
    log.info({ url, nats: maskUrl(natsUrl), startupMs: Math.round(performance.now() - started) }, 'trendmon started');
    return { url, natsUrl, log, stop: () => lifecycle.stop() };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

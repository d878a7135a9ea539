/** trendmon's Prometheus series, in one registry the app owns. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trendmon_process_' });
  // prom-client also reports the sums of its per-type handle, request and resource gauges as gauges
  // named *_total, a suffix Prometheus reserves for counters (`promtool check metrics`): sum() those instead.
  for (const name of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`trendmon_process_nodejs_active_${name}_total`);
  const registers = [registry];
  return {
    registry,
    eventsIngested: new Counter({
      name: 'trendmon_events_ingested_total',
      help: 'Events durably stored in ClickHouse, by kind (redeliveries included)',
      labelNames: ['kind'] as const,
      registers,
    }),
    eventsRejected: new Counter({
      name: 'trendmon_events_rejected_total',
      help: 'Messages rejected as dead letters, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    duplicatesDropped: new Counter({
      name: 'trendmon_duplicates_dropped_total',
      help: 'Events whose id was seen recently: stored idempotently, not counted again in windows',
      registers,
    }),
    lateEvents: new Counter({
      name: 'trendmon_late_events_total',
      help: 'Events that arrived after their window closed (stored, not counted in live windows)',
      registers,
    }),
    endToEndLag: new Histogram({
      name: 'trendmon_end_to_end_lag_seconds',
      help: 'From event time to durably stored',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    insertDuration: new Histogram({
      name: 'trendmon_store_insert_seconds',
      help: 'ClickHouse insert latency per batch, by table',
      labelNames: ['table'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    insertRows: new Histogram({
      name: 'trendmon_store_batch_rows',
      help: 'Rows per ClickHouse insert, by table',
      labelNames: ['table'] as const,
      buckets: [1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000],
      registers,
    }),
    insertRetries: new Counter({
      name: 'trendmon_store_insert_retries_total',
      help: 'Failed ClickHouse inserts that were retried, by table',
      labelNames: ['table'] as const,
      registers,
    }),
    alreadyStored: new Counter({
      name: 'trendmon_store_already_stored_rows_total',
      help: 'Rows left out of ClickHouse inserts because they were stored already (redelivered or repeated events), by table',
      labelNames: ['table'] as const,
      registers,
    }),
    writerBufferedRows: new Gauge({
      name: 'trendmon_store_buffered_rows',
      help: 'Rows accepted from NATS and not yet stored',
      registers,
    }),
    consumerPending: new Gauge({
      name: 'trendmon_consumer_pending_messages',
      help: 'Lag behind the stream: messages in JetStream not yet delivered to the ingest',
      registers,
    }),
    consumerAckPending: new Gauge({
      name: 'trendmon_consumer_ack_pending_messages',
      help: 'Messages delivered to the ingest and not yet acked (stored)',
      registers,
    }),
    storeUp: new Gauge({ name: 'trendmon_store_up', help: '1 when the latest ClickHouse insert succeeded', registers }),
    windowKeys: new Gauge({ name: 'trendmon_window_keys', help: 'Keys counted in the latest window', registers }),
    spikesOpen: new Gauge({ name: 'trendmon_spikes_open', help: 'Spikes open now', registers }),
    partitionsOwned: new Gauge({ name: 'trendmon_partitions_owned', help: 'Key partitions this instance counts (scaled out; see docs/scaling.md)', registers }),
    partitionsAcquired: new Counter({
      name: 'trendmon_partitions_acquired_total',
      help: 'Key partitions this instance took on (scaled out): beyond its share at start, each is a move that rebuilt windows and baselines',
      registers,
    }),
    feedClients: new Gauge({ name: 'trendmon_feed_clients', help: 'Connected WebSocket clients', registers }),
    alertmanagerAlertsSent: new Counter({
      name: 'trendmon_alertmanager_alerts_sent_total',
      help: 'Alerts posted to an Alertmanager that it took (re-posts included), by Alertmanager (ALERTMANAGER_URL)',
      labelNames: ['alertmanager'] as const,
      registers,
    }),
    alertmanagerErrors: new Counter({
      name: 'trendmon_alertmanager_errors_total',
      help: 'Posts to an Alertmanager that failed (refused, unreachable or timed out), by Alertmanager',
      labelNames: ['alertmanager'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

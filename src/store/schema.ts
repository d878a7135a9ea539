/**
 * The ClickHouse schema as versioned migrations. Applying is idempotent:
 * every statement is `IF NOT EXISTS`, and `schema_migrations` records which
 * versions ran, so a crash half-way through simply runs the rest next time.
 *
 * Raw event tables are ReplacingMergeTree ordered by (key, ts, id): a
 * redelivered event is the same row and merges away; exact counts read
 * them with FINAL (see README, "Exact counts").
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ident } from './client.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** Statements for database `db` (already quoted). */
  readonly statements: (db: string) => readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'raw events, spikes, alerts, dead letters',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.events_search (
        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        query String COMMENT 'the query as typed',
        query_norm String COMMENT 'normalised query: NFKC, lower case, single spaces',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        session String COMMENT 'session id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(ts)
      ORDER BY (query_norm, ts, id)
      COMMENT 'searches, one row per distinct event id (read with FINAL for exact counts)'`,
      `CREATE TABLE IF NOT EXISTS ${db}.events_view (
        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        sku String COMMENT 'product viewed',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        session String COMMENT 'session id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(ts)
      ORDER BY (sku, ts, id)
      COMMENT 'product page views, one row per distinct event id (read with FINAL for exact counts)'`,
      `CREATE TABLE IF NOT EXISTS ${db}.events_sale (
        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        sku String COMMENT 'product sold',
        qty UInt32 COMMENT 'units in this order line',
        price Nullable(Float64) COMMENT 'unit price, NULL when the producer sent none',
        currency LowCardinality(String) COMMENT 'ISO currency of price, empty when unknown',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMMDD(ts)
      ORDER BY (sku, ts, id)
      COMMENT 'paid order lines, one row per distinct event id (read with FINAL for exact counts)'`,
      `CREATE TABLE IF NOT EXISTS ${db}.spikes (
        spike_id String COMMENT 'dimension:key:started_at, stable over the spike''s life',
        dimension LowCardinality(String) COMMENT 'sku, query, term, category, attribute or region',
        key String COMMENT 'what spiked, e.g. a sku or a normalised query',
        status LowCardinality(String) COMMENT 'rising, ongoing or ended',
        score Float64 COMMENT 'standard deviations above expected in this window',
        volume UInt64 COMMENT 'events in this window',
        expected Float64 COMMENT 'events the baseline expected in this window',
        pct_above Float64 COMMENT '(volume - expected) / expected in percent',
        started_at DateTime64(3, 'UTC') COMMENT 'window end at which the spike opened',
        updated_at DateTime64(3, 'UTC') COMMENT 'window end of this update',
        ended_at Nullable(DateTime64(3, 'UTC')) COMMENT 'window end at which it ended',
        peak_score Float64 COMMENT 'highest score so far',
        peak_volume UInt64 COMMENT 'highest window volume so far',
        trend_score Float64 COMMENT 'ranking weight: log2(1 + lift) * log10(1 + volume)',
        searches UInt64 COMMENT 'searches in this window',
        views UInt64 COMMENT 'views in this window',
        sales UInt64 COMMENT 'sales in this window'
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(updated_at)
      ORDER BY (dimension, key, started_at, updated_at)
      COMMENT 'every spike update the detector made: one row per spike per window while open, and its end'`,
      `CREATE TABLE IF NOT EXISTS ${db}.alerts (
        alert_id String COMMENT 'one notification',
        fingerprint String COMMENT 'stable id of the alerting spike group',
        status LowCardinality(String) COMMENT 'firing or resolved',
        receiver LowCardinality(String) COMMENT 'receiver name',
        attempt UInt16 COMMENT 'delivery attempt number',
        outcome LowCardinality(String) COMMENT 'delivered, failed or suppressed',
        detail String COMMENT 'error or response summary',
        payload String COMMENT 'the JSON body sent',
        sent_at DateTime64(3, 'UTC') COMMENT 'when the attempt was made'
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(sent_at)
      ORDER BY (fingerprint, sent_at)
      COMMENT 'every alert notification and delivery attempt'`,
      `CREATE TABLE IF NOT EXISTS ${db}.dead_letters (
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it',
        subject String COMMENT 'the NATS subject it was published to',
        reason LowCardinality(String) COMMENT 'why it was rejected (short code)',
        detail String COMMENT 'what exactly was wrong',
        payload String COMMENT 'the message as received (first 64 KiB)',
        payload_bytes UInt32 COMMENT 'size of the whole message',
        stream_seq UInt64 COMMENT 'JetStream stream sequence, for replay'
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (stream_seq, subject)
      COMMENT 'every rejected message with its reason; one row per stream sequence (FINAL)'`,
    ],
  },
];

/** Creates the database and applies migrations not yet applied; returns the versions applied now. */
export async function migrate(client: ClickHouseClient, database: string): Promise<number[]> {
  const db = ident(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (
      version UInt32, description String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version COMMENT 'schema versions applied by trendmon'`,
  });
  const result = await client.query({
    query: `SELECT max(version) AS version FROM ${db}.schema_migrations`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ version: number }>();
  const current = Number(row?.version ?? 0);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const statement of migration.statements(db)) await client.command({ query: statement });
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, description: migration.description }],
      format: 'JSONEachRow',
    });
    applied.push(migration.version);
  }
  return applied;
}

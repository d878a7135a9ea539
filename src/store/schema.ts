/**
 * The ClickHouse schema as versioned migrations. Applying is idempotent:
 * every statement is `IF NOT EXISTS` (the rollup backfill empties what it
 * refills), and `schema_migrations` records which versions ran, so a crash
 * half-way through simply runs the rest next time. A released version keeps
 * its meaning: change the schema by adding a version.
 *
 * Raw event tables are ReplacingMergeTree ordered by (key, ts, id): a
 * redelivered event is the same row and merges away; exact counts read
 * them with FINAL (see README, "Exact counts"). The writer stores such a
 * row only once anyway (src/store/stored-events.ts), so that the rollups'
 * views count it once. docs/analytics.md describes every table for analysts.
 *
 * Statements come from src/store/ddl.ts: the single-server form or, with a
 * cluster, the ON CLUSTER / Replicated / Distributed form.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { Ddl, literal, type SchemaTarget, type TableSpec, type ViewSpec } from './ddl.js';
import { backfillStatements, deduplicationStatements, eventsCommentStatements, rollupStatements } from './rollups.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly statements: (ddl: Ddl) => readonly string[];
}

const MIGRATION_COLUMNS = {
  version: 'schema version (MIGRATIONS in src/store/schema.ts)',
  description: 'what the version added',
  applied_at: 'when this database got it',
} as const;

const SCHEMA_MIGRATIONS: TableSpec = {
  name: 'schema_migrations',
  columns: `        version UInt32 COMMENT ${literal(MIGRATION_COLUMNS.version)},
        description String COMMENT ${literal(MIGRATION_COLUMNS.description)},
        applied_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT ${literal(MIGRATION_COLUMNS.applied_at)}`,
  engine: 'ReplacingMergeTree',
  orderBy: 'version',
  comment: 'schema versions applied by trendmon',
};

const CATALOG: TableSpec = {
  name: 'catalog',
  columns: `        sku String COMMENT 'product id, as in events_view.sku and events_sale.sku',
        title String COMMENT 'product title',
        category LowCardinality(String) COMMENT 'category, e.g. dresses',
        brand LowCardinality(String) COMMENT 'brand, empty when unknown',
        price Nullable(Float64) COMMENT 'list price; revenue uses it for sales that carry no price',
        attributes Map(LowCardinality(String), String) COMMENT 'attributes by name: attributes[''color''] = ''red''',
        updated_at DateTime64(3, 'UTC') COMMENT 'when trendmon applied this version (file load or catalog.upsert); the newest wins'`,
  engine: 'ReplacingMergeTree',
  engineArgs: 'updated_at',
  orderBy: 'sku',
  comment: 'the item catalog as trendmon follows it; one row per sku with FINAL',
};

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'raw events, spikes, alerts, dead letters',
    statements: (ddl) => [
      ...ddl.createTable({
        name: 'events_search',
        columns: `        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        query String COMMENT 'the query as typed',
        query_norm String COMMENT 'normalised query: NFKC, lower case, single spaces',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        session String COMMENT 'session id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'`,
        engine: 'ReplacingMergeTree',
        partitionBy: 'toYYYYMMDD(ts)',
        orderBy: '(query_norm, ts, id)',
        comment: 'searches, one row per distinct event id (read with FINAL for exact counts)',
        shardBy: 'cityHash64(id)',
      }),
      ...ddl.createTable({
        name: 'events_view',
        columns: `        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        sku String COMMENT 'product viewed',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        session String COMMENT 'session id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'`,
        engine: 'ReplacingMergeTree',
        partitionBy: 'toYYYYMMDD(ts)',
        orderBy: '(sku, ts, id)',
        comment: 'product page views, one row per distinct event id (read with FINAL for exact counts)',
        shardBy: 'cityHash64(id)',
      }),
      ...ddl.createTable({
        name: 'events_sale',
        columns: `        id String COMMENT 'producer event id; one event per id',
        ts DateTime64(3, 'UTC') COMMENT 'event time',
        sku String COMMENT 'product sold',
        qty UInt32 COMMENT 'units in this order line',
        price Nullable(Float64) COMMENT 'unit price, NULL when the producer sent none',
        currency LowCardinality(String) COMMENT 'ISO currency of price, empty when unknown',
        region LowCardinality(String) COMMENT 'shopper region, empty when unknown',
        user String COMMENT 'shopper id, empty when unknown',
        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it from NATS'`,
        engine: 'ReplacingMergeTree',
        partitionBy: 'toYYYYMMDD(ts)',
        orderBy: '(sku, ts, id)',
        comment: 'paid order lines, one row per distinct event id (read with FINAL for exact counts)',
        shardBy: 'cityHash64(id)',
      }),
      ...ddl.createTable({
        name: 'spikes',
        columns: `        spike_id String COMMENT 'dimension:key:started_at, stable over the spike''s life',
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
        sales UInt64 COMMENT 'sales in this window'`,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(updated_at)',
        orderBy: '(dimension, key, started_at, updated_at)',
        comment: 'every spike update the detector made: one row per spike per window while open, and its end',
        shardBy: 'cityHash64(spike_id)',
      }),
      ...ddl.createTable({
        name: 'alerts',
        columns: `        alert_id String COMMENT 'one notification',
        fingerprint String COMMENT 'stable id of the alerting spike group',
        status LowCardinality(String) COMMENT 'firing or resolved',
        receiver LowCardinality(String) COMMENT 'receiver name',
        attempt UInt16 COMMENT 'delivery attempt number',
        outcome LowCardinality(String) COMMENT 'delivered, failed or suppressed',
        detail String COMMENT 'error or response summary',
        payload String COMMENT 'the JSON body sent',
        sent_at DateTime64(3, 'UTC') COMMENT 'when the attempt was made'`,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(sent_at)',
        orderBy: '(fingerprint, sent_at)',
        comment: 'every alert notification and delivery attempt',
        shardBy: 'cityHash64(fingerprint)',
      }),
      ...ddl.createTable({
        name: 'dead_letters',
        columns: `        received_at DateTime64(3, 'UTC') COMMENT 'when trendmon read it',
        subject String COMMENT 'the NATS subject it was published to',
        reason LowCardinality(String) COMMENT 'why it was rejected (short code)',
        detail String COMMENT 'what exactly was wrong',
        payload String COMMENT 'the message as received (first 64 KiB)',
        payload_bytes UInt32 COMMENT 'size of the whole message',
        stream_seq UInt64 COMMENT 'JetStream stream sequence, for replay'`,
        engine: 'ReplacingMergeTree',
        partitionBy: 'toYYYYMM(received_at)',
        orderBy: '(stream_seq, subject)',
        comment: 'every rejected message with its reason; one row per stream sequence (FINAL)',
        shardBy: 'stream_seq',
      }),
    ],
  },
  {
    version: 2,
    description: 'catalog table; comments on schema_migrations',
    statements: (ddl) => [
      ...ddl.createTable(CATALOG),
      // Databases made by the first release have schema_migrations without comments.
      ddl.alter('schema_migrations', `MODIFY COMMENT ${literal(SCHEMA_MIGRATIONS.comment)}`, false),
      ...Object.entries(MIGRATION_COLUMNS).map(([column, comment]) =>
        ddl.alter('schema_migrations', `COMMENT COLUMN ${column} ${literal(comment)}`, false),
      ),
    ],
  },
  {
    version: 3,
    description: 'per-minute rollups by sku, query, category, attribute and region, backfilled',
    statements: (ddl) => [...rollupStatements(ddl), ...backfillStatements(ddl)],
  },
  {
    version: 4,
    description: 'spike_periods view: one row per spike',
    statements: (ddl) => [ddl.createView(spikePeriods(ddl, false))],
  },
  {
    version: 5,
    description: 'alerts: what each alert was (labels, annotations, projected demand) next to each delivery step',
    statements: (ddl) => {
      // The Distributed table of a cluster mirrors its local table's columns.
      const onAlerts = (clause: string) => [ddl.alter('alerts', clause), ...(ddl.clustered ? [ddl.alter('alerts', clause, false)] : [])];
      return [
        ...onAlerts(`ADD COLUMN IF NOT EXISTS group_key String COMMENT 'the notification group: route and group labels, as Alertmanager writes it',
        ADD COLUMN IF NOT EXISTS integration LowCardinality(String) COMMENT 'webhook-<n> or nats; empty on suppressed rows',
        ADD COLUMN IF NOT EXISTS alertname LowCardinality(String) COMMENT 'the rule that raised the alert',
        ADD COLUMN IF NOT EXISTS dimension LowCardinality(String) COMMENT 'sku, query, term, category, attribute or region',
        ADD COLUMN IF NOT EXISTS key String COMMENT 'what is spiking, e.g. a sku',
        ADD COLUMN IF NOT EXISTS labels Map(LowCardinality(String), String) COMMENT 'every label: alertname, dimension, key, category, rule labels (team, factory)',
        ADD COLUMN IF NOT EXISTS annotations Map(LowCardinality(String), String) COMMENT 'summary, description, demand, demand_24h, title, spike_id',
        ADD COLUMN IF NOT EXISTS starts_at DateTime64(3, 'UTC') COMMENT 'event time the spike opened',
        ADD COLUMN IF NOT EXISTS ends_at Nullable(DateTime64(3, 'UTC')) COMMENT 'event time the alert resolved; NULL while firing',
        ADD COLUMN IF NOT EXISTS extra_units_24h Float64 COMMENT 'projected extra units over the next 24 h (median)',
        ADD COLUMN IF NOT EXISTS extra_units_7d Float64 COMMENT 'projected extra units over the next 7 days (median)',
        ADD COLUMN IF NOT EXISTS extra_units_7d_low Float64 COMMENT 'low end of the 7-day interval (docs/alerts.md)',
        ADD COLUMN IF NOT EXISTS extra_units_7d_high Float64 COMMENT 'high end of the 7-day interval'`),
        ...onAlerts(`COMMENT COLUMN alert_id 'the notification; its retries share it; empty on suppressed rows',
        COMMENT COLUMN fingerprint 'stable id of the alert: a hash of its labels',
        COMMENT COLUMN attempt 'delivery attempt number; 0 on queued and suppressed rows',
        COMMENT COLUMN outcome 'queued, delivered, failed or suppressed',
        COMMENT COLUMN detail 'HTTP status and response start, error, or why it was suppressed',
        COMMENT COLUMN payload 'this alert''s entry in the body sent (queued and suppressed rows)'`),
      ];
    },
  },
  {
    version: 6,
    description: 'rollups rebuilt from the raw tables (FINAL) so events stored twice count once; deduplication windows for batch tokens',
    // From this version the writer stores each event once (src/store/stored-events.ts, batch-inserts.ts):
    // rolling the history up again removes the redeliveries that earlier versions counted twice.
    statements: (ddl) => [...eventsCommentStatements(ddl), ...backfillStatements(ddl), ...deduplicationStatements(ddl)],
  },
  {
    version: 7,
    description: 'spikes fall as well as rise: a direction column, and spike_periods shows it',
    statements: (ddl) => {
      const onSpikes = (clause: string) => [ddl.alter('spikes', clause), ...(ddl.clustered ? [ddl.alter('spikes', clause, false)] : [])];
      return [
        ...onSpikes(`ADD COLUMN IF NOT EXISTS direction LowCardinality(String) DEFAULT 'rising' COMMENT 'rising (above expected) or falling (below: a stock-out, a broken listing)' AFTER key,
        COMMENT COLUMN status 'rising or falling (new or still growing), ongoing, or ended',
        COMMENT COLUMN score 'standard deviations from expected in this window (negative below)',
        COMMENT COLUMN pct_above '(volume - expected) / expected in percent (negative below)',
        COMMENT COLUMN trend_score 'ranking weight: log2(1 + lift) * log10(1 + volume); for a fall log2((expected + 1) / (volume + 1)) * log10(1 + expected)'`),
        ddl.dropView('spike_periods'),
        ddl.createView(spikePeriods(ddl, true)),
      ];
    },
  },
  {
    version: 8,
    description: 'unmet demand (rising searches the catalog lacks), backtests of alert rules, catalog variants (parent)',
    statements: (ddl) => [
      ...ddl.createTable({
        name: 'unmet_demand',
        columns: `        spike_id String COMMENT 'the query or term spike, as in spikes.spike_id',
        dimension LowCardinality(String) COMMENT 'query or term',
        key String COMMENT 'the normalised query or term shoppers search for',
        status LowCardinality(String) COMMENT 'rising, ongoing or ended',
        score Float64 COMMENT 'standard deviations above expected in this window',
        volume UInt64 COMMENT 'searches in this window',
        expected Float64 COMMENT 'searches the baseline expected in this window',
        trend_score Float64 COMMENT 'ranking weight: log2(1 + lift) * log10(1 + volume)',
        started_at DateTime64(3, 'UTC') COMMENT 'window end at which the spike opened',
        updated_at DateTime64(3, 'UTC') COMMENT 'window end of this update',
        ended_at Nullable(DateTime64(3, 'UTC')) COMMENT 'window end at which it ended',
        missing Array(String) COMMENT 'the words no catalog item has, or has together with the rest of the search',
        strength Float64 COMMENT 'share of the search''s words the closest catalog item has (0: nothing like it)',
        nearest Array(String) COMMENT 'the closest catalog items (skus), best first',
        co_searched Array(String) COMMENT 'attributes (name=value) most searched together with what is missing, most first'`,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMM(updated_at)',
        orderBy: '(key, started_at, updated_at)',
        comment: 'rising searches the catalog does not cover: one row per update of each such spike (unmet_periods: one per spike)',
        shardBy: 'cityHash64(spike_id)',
      }),
      ddl.createView(unmetPeriods(ddl, false)),
      ...ddl.createTable({
        name: 'backtest_runs',
        columns: `        run_id String COMMENT 'one backtest',
        started_at DateTime64(3, 'UTC') COMMENT 'when it ran (wall clock)',
        from_ts DateTime64(3, 'UTC') COMMENT 'first event time replayed for alerts (after the warm-up)',
        to_ts DateTime64(3, 'UTC') COMMENT 'end of the replayed event time',
        warmup_ms UInt64 COMMENT 'event time replayed before from_ts to build baselines, without alerting',
        rules_source String COMMENT 'the rule file (or (defaults), or the running configuration)',
        rules String COMMENT 'the rules as JSON',
        window_ms UInt64 COMMENT 'detector window',
        slide_ms UInt64 COMMENT 'detector slide',
        events UInt64 COMMENT 'events replayed (warm-up included)',
        alerts UInt32 COMMENT 'alerts that would have fired',
        seconds Float64 COMMENT 'how long the replay took'`,
        engine: 'MergeTree',
        orderBy: '(started_at, run_id)',
        comment: 'one row per trendmon backtest run',
        shardBy: 'cityHash64(run_id)',
      }),
      ...ddl.createTable({
        name: 'backtest_alerts',
        columns: `        run_id String COMMENT 'the run, as in backtest_runs',
        alertname LowCardinality(String) COMMENT 'the rule',
        fingerprint String COMMENT 'as the live alert would have had it',
        dimension LowCardinality(String) COMMENT 'sku, query, term, category, attribute or region',
        key String COMMENT 'what spiked',
        labels Map(LowCardinality(String), String) COMMENT 'every label the alert would have carried',
        summary String COMMENT 'its summary line',
        starts_at DateTime64(3, 'UTC') COMMENT 'event time its spike opened',
        fired_at DateTime64(3, 'UTC') COMMENT 'event time the rule first held (when it would have fired)',
        resolved_at Nullable(DateTime64(3, 'UTC')) COMMENT 'event time it would have resolved; NULL if still firing at the end',
        peak_score Float64 COMMENT 'highest score while it fired',
        extra_units_24h Float64 COMMENT 'projected extra units over 24 h when it fired (median)',
        extra_units_7d Float64 COMMENT 'projected extra units over 7 days when it fired (median)',
        extra_units_7d_low Float64 COMMENT 'low end of the 7-day interval when it fired',
        extra_units_7d_high Float64 COMMENT 'high end of the 7-day interval when it fired',
        sales_peak_at Nullable(DateTime64(3, 'UTC')) COMMENT 'when the key''s sales peaked within the day (an hour before it fired to 24 h after); NULL without sales',
        lead_ms Nullable(Int64) COMMENT 'sales_peak_at - fired_at: how early the alert came (negative: after the peak)'`,
        engine: 'MergeTree',
        orderBy: '(run_id, fired_at, fingerprint)',
        comment: 'what a trendmon backtest says would have fired, when, and how early against the sales peak',
        shardBy: 'cityHash64(run_id)',
      }),
      ddl.alter('catalog', `ADD COLUMN IF NOT EXISTS parent String DEFAULT '' COMMENT 'the product this item is a variant of (variants share it); empty for items without variants'`, false),
    ],
  },
  {
    version: 9,
    description: 'a spike that ends and comes back the same way within the hour goes on under its id: the period views end it at its latest end, NULL while open again',
    statements: (ddl) => [
      ddl.dropView('spike_periods'),
      ddl.createView(spikePeriods(ddl, true, true)),
      ddl.dropView('unmet_periods'),
      ddl.createView(unmetPeriods(ddl, true)),
    ],
  },
];

/**
 * The unmet_periods view, one row per unmet-demand spike. From migration 9
 * on a spike that ended and came back (the detector takes it back under its
 * id) is open again: ended_at is its latest end, NULL while open.
 */
function unmetPeriods(ddl: Ddl, resumable: boolean): ViewSpec {
  // (Qualified by the table, u.: an alias shadows the column of its name in ClickHouse.)
  const endedAt = resumable ? latestEnd('u.') : 'max(ended_at)';
  return {
    name: 'unmet_periods',
    columns: `        spike_id String COMMENT 'the query or term spike',
        dimension LowCardinality(String) COMMENT 'query or term',
        key String COMMENT 'what shoppers search for',
        started_at DateTime64(3, 'UTC') COMMENT 'window end at which it opened',
        ended_at Nullable(DateTime64(3, 'UTC')) COMMENT 'window end at which it ended; NULL while open',
        last_update DateTime64(3, 'UTC') COMMENT 'window end of its latest update',
        status LowCardinality(String) COMMENT 'latest status',
        peak_volume UInt64 COMMENT 'most searches in one window',
        peak_trend_score Float64 COMMENT 'highest ranking weight',
        missing Array(String) COMMENT 'what the catalog lacks, at its latest update',
        nearest Array(String) COMMENT 'the closest catalog items, at its latest update',
        co_searched Array(String) COMMENT 'attributes searched with it, at its latest update'`,
    select: `SELECT spike_id, any(dimension) AS dimension, any(key) AS key, min(started_at) AS started_at, ${endedAt} AS ended_at,
          max(updated_at) AS last_update, argMax(status, updated_at) AS status, max(volume) AS peak_volume,
          max(trend_score) AS peak_trend_score, argMax(missing, updated_at) AS missing, argMax(nearest, updated_at) AS nearest,
          argMax(co_searched, updated_at) AS co_searched
        FROM ${ddl.table('unmet_demand')}${resumable ? ' AS u' : ''}
        GROUP BY spike_id`,
    comment: 'one row per unmet-demand spike, summarising its updates in unmet_demand',
  };
}

/** A spike's latest end, NULL while its latest update is not an end (a spike taken back is open again); `t`: a table qualifier. */
const latestEnd = (t: string) => `if(argMax(${t}status, ${t}updated_at) = 'ended', max(${t}ended_at), NULL)`;

/** The spike_periods view, one row per spike; with its direction from migration 7 on (and resumable spikes from 9). */
function spikePeriods(ddl: Ddl, withDirection: boolean, resumable = false): ViewSpec {
  const endedAt = resumable ? latestEnd('s.') : 'max(s.ended_at)';
  return {
    name: 'spike_periods',
    columns: `        spike_id String COMMENT 'dimension:key:started_at',
        dimension LowCardinality(String) COMMENT 'sku, query, term, category, attribute or region',
        key String COMMENT 'what spiked',${withDirection ? `
        direction LowCardinality(String) COMMENT 'rising or falling',` : ''}
        started_at DateTime64(3, 'UTC') COMMENT 'window end at which it opened',
        ended_at Nullable(DateTime64(3, 'UTC')) COMMENT 'window end at which it ended; NULL while open',
        last_update DateTime64(3, 'UTC') COMMENT 'window end of its latest update',
        status LowCardinality(String) COMMENT 'latest status: rising, falling, ongoing or ended',
        peak_score Float64 COMMENT 'highest score (the most negative for a fall)',
        peak_volume UInt64 COMMENT 'highest window volume (the lowest for a fall)',
        updates UInt64 COMMENT 'rows in spikes for it'`,
    // Columns qualified by the table (s.): an alias shadows the column of its name in ClickHouse.
    select: `SELECT s.spike_id AS spike_id, s.dimension AS dimension, s.key AS key,${withDirection ? ' any(s.direction) AS direction,' : ''}
          min(s.started_at) AS started_at, ${endedAt} AS ended_at,
          max(s.updated_at) AS last_update, argMax(s.status, s.updated_at) AS status,
          ${withDirection ? "if(any(s.direction) = 'falling', min(s.peak_score), max(s.peak_score))" : 'max(s.peak_score)'} AS peak_score,
          ${withDirection ? "if(any(s.direction) = 'falling', min(s.peak_volume), max(s.peak_volume))" : 'max(s.peak_volume)'} AS peak_volume, count() AS updates
        FROM ${ddl.table('spikes')} AS s
        GROUP BY s.spike_id, s.dimension, s.key`,
    comment: 'one row per spike, summarising its updates in spikes',
  };
}

/** Creates the database and applies migrations not yet applied; returns the versions applied now. */
export async function migrate(client: ClickHouseClient, target: SchemaTarget): Promise<number[]> {
  const ddl = new Ddl(target);
  await client.command({ query: ddl.createDatabase() });
  for (const statement of ddl.createTable(SCHEMA_MIGRATIONS)) await client.command({ query: statement });
  const result = await client.query({
    query: `SELECT max(version) AS version FROM ${ddl.table('schema_migrations')}`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ version: number }>();
  const current = Number(row?.version ?? 0);
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const statement of migration.statements(ddl)) await client.command({ query: statement });
    await client.insert({
      table: ddl.table('schema_migrations'),
      values: [{ version: migration.version, description: migration.description }],
      format: 'JSONEachRow',
    });
    applied.push(migration.version);
  }
  return applied;
}

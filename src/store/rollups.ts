/**
 * Per-minute rollups: one AggregatingMergeTree table per dimension, fed by
 * materialized views on the raw event tables, so analysts and the API
 * answer "how much, per minute, per key" over months without scanning raw
 * rows.
 *
 * Counts are sums over stored rows: cheap to keep and to read over a month,
 * and exact because the views see each event once: a redelivered or repeated
 * event is looked up before it is stored (src/store/stored-events.ts), and
 * each insert is applied once however it ends (src/store/batch-inserts.ts).
 * docs/analytics.md, "Exactness", and its Q10 compare them with the raw
 * tables. Distinct shoppers and sessions are uniq states.
 *
 * Category and attribute come from the `catalog` table, joined in the view
 * when the event is stored: a row is attributed to the item's category at
 * that moment, as the live detector attributes it, and later catalog edits
 * do not rewrite history. Sales without a price take the catalog price the
 * same way.
 */
import type { EventKind } from '../domain.js';
import { literal, type Ddl, type MaterializedViewSpec, type TableSpec } from './ddl.js';
import { TABLE_OF_KIND } from './rows.js';

export type RollupDimension = 'sku' | 'query' | 'category' | 'attribute' | 'region';
export const ROLLUP_DIMENSIONS: readonly RollupDimension[] = ['sku', 'query', 'category', 'attribute', 'region'];

interface KeyColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
  /** Its value in the view, over raw row `e` and catalog row `c`. */
  readonly expr: string;
}

/** How a view reaches the catalog: not at all, for price only (LEFT), or for category/attributes (INNER). */
type CatalogJoin = 'none' | 'price' | 'item' | 'attributes';

export interface Rollup {
  readonly dimension: RollupDimension;
  readonly table: string;
  /** Columns that identify a key, e.g. `sku`, or `attribute` and `value`. */
  readonly keys: readonly KeyColumn[];
  /** The key as the live detector spells it (`color=red` for attributes). */
  readonly keyExpr: string;
  /** Which raw tables feed it. */
  readonly kinds: readonly EventKind[];
}

const region: KeyColumn = { name: 'region', type: 'LowCardinality(String)', comment: 'shopper region, empty when unknown', expr: 'e.region' };

export const ROLLUPS: Readonly<Record<RollupDimension, Rollup>> = {
  sku: {
    dimension: 'sku',
    table: 'rollup_sku_minute',
    keys: [{ name: 'sku', type: 'String', comment: 'product viewed or sold', expr: 'e.sku' }],
    keyExpr: 'sku',
    kinds: ['view', 'sale'],
  },
  query: {
    dimension: 'query',
    table: 'rollup_query_minute',
    keys: [{ name: 'query', type: 'String', comment: 'normalised search query (events_search.query_norm)', expr: 'e.query_norm' }],
    keyExpr: 'query',
    kinds: ['search'],
  },
  category: {
    dimension: 'category',
    table: 'rollup_category_minute',
    keys: [{ name: 'category', type: 'LowCardinality(String)', comment: 'catalog category of the sku when the event was stored', expr: 'c.category' }],
    keyExpr: 'category',
    kinds: ['view', 'sale'],
  },
  attribute: {
    dimension: 'attribute',
    table: 'rollup_attribute_minute',
    keys: [
      { name: 'attribute', type: 'LowCardinality(String)', comment: 'catalog attribute name, e.g. color', expr: 'c.attribute' },
      { name: 'value', type: 'String', comment: 'attribute value when the event was stored, e.g. red', expr: 'c.value' },
    ],
    keyExpr: "concat(attribute, '=', value)",
    kinds: ['view', 'sale'],
  },
  region: {
    dimension: 'region',
    table: 'rollup_region_minute',
    keys: [region],
    keyExpr: 'region',
    kinds: ['search', 'view', 'sale'],
  },
};

const EVENTS_COMMENT = 'events, each event id once (docs/analytics.md, Exactness): sum(events)';

const MEASURE_COLUMNS = `
        events SimpleAggregateFunction(sum, UInt64) COMMENT ${literal(EVENTS_COMMENT)},
        units SimpleAggregateFunction(sum, UInt64) COMMENT 'units sold, sales only: sum(units)',
        revenue SimpleAggregateFunction(sum, Float64) COMMENT 'qty x price (else the catalog price at ingest, else 0), sales only: sum(revenue)',
        users AggregateFunction(uniq, String) COMMENT 'distinct known shoppers: uniqMerge(users)',
        sessions AggregateFunction(uniq, String) COMMENT 'distinct sessions, searches and views only: uniqMerge(sessions)'`;

const MEASURES: Readonly<Record<EventKind, Readonly<Record<string, string>>>> = {
  search: {
    events: 'count()',
    users: "uniqStateIf(e.user, e.user != '')",
    sessions: "uniqStateIf(e.session, e.session != '')",
  },
  view: {
    events: 'count()',
    users: "uniqStateIf(e.user, e.user != '')",
    sessions: "uniqStateIf(e.session, e.session != '')",
  },
  sale: {
    events: 'count()',
    units: 'sum(e.qty)',
    revenue: 'sum(e.qty * coalesce(e.price, c.price, 0))',
    users: "uniqStateIf(e.user, e.user != '')",
  },
};

function keyColumns(rollup: Rollup): KeyColumn[] {
  return rollup.dimension === 'region' ? [region] : [...rollup.keys, region];
}

function columns(rollup: Rollup): string {
  const keys = keyColumns(rollup).map((k) => `        ${k.name} ${k.type} COMMENT ${literal(k.comment)}`);
  return [
    `        minute DateTime('UTC') COMMENT 'start of the event-time minute (UTC)'`,
    `        kind LowCardinality(String) COMMENT 'search, view or sale: the raw table the events came from'`,
    ...keys,
  ].join(',\n') + ',' + MEASURE_COLUMNS;
}

export function rollupTable(rollup: Rollup): TableSpec {
  const keys = keyColumns(rollup)
    .map((k) => k.name)
    .filter((name) => name !== 'region');
  return {
    name: rollup.table,
    columns: columns(rollup),
    engine: 'AggregatingMergeTree',
    partitionBy: 'toYYYYMM(minute)',
    // Day first: a time range reads only its days; then region (a handful of values), so a
    // region filter skips the others; then the key, so one key is a few short ranges a day.
    orderBy: `(${['toDate(minute)', 'region', ...keys, 'kind', 'minute'].join(', ')})`,
    comment: `per-minute ${rollup.dimension} rollup of ${rollup.kinds.join('/')} events; aggregate on read (sum, uniqMerge) with GROUP BY`,
    shardBy: 'rand()',
  };
}

function catalogJoin(rollup: Rollup, kind: EventKind): CatalogJoin {
  if (rollup.dimension === 'attribute') return 'attributes';
  if (rollup.dimension === 'category') return 'item';
  return kind === 'sale' ? 'price' : 'none';
}

/** The rollup rows for raw rows `source` (a table, or a table with FINAL), those matching `where` when given. */
function feedSelect(ddl: Ddl, rollup: Rollup, kind: EventKind, source: string, where?: string): { select: string; columns: string[] } {
  const outputs: [string, string][] = [
    ['minute', 'toStartOfMinute(e.ts)'],
    ['kind', literal(kind)],
    ...keyColumns(rollup).map((k): [string, string] => [k.name, k.expr]),
    ...Object.entries(MEASURES[kind]),
  ];
  const catalog = ddl.table('catalog');
  const join = {
    none: '',
    price: `\n        LEFT JOIN (SELECT sku, price FROM ${catalog} FINAL) AS c ON e.sku = c.sku`,
    item: `\n        INNER JOIN (SELECT sku, category, price FROM ${catalog} FINAL) AS c ON e.sku = c.sku`,
    attributes:
      `\n        INNER JOIN (SELECT sku, price, attribute, value FROM ${catalog} FINAL` +
      `\n          ARRAY JOIN mapKeys(attributes) AS attribute, mapValues(attributes) AS value) AS c ON e.sku = c.sku`,
  }[catalogJoin(rollup, kind)];
  const groupBy = ['minute', ...keyColumns(rollup).map((k) => k.name)];
  return {
    columns: outputs.map(([name]) => name),
    select:
      `SELECT ${outputs.map(([name, expr]) => `${expr} AS ${name}`).join(', ')}\n        ` +
      `FROM ${source}${join}${where ? `\n        WHERE ${where}` : ''}\n        GROUP BY ${groupBy.join(', ')}`,
  };
}

function viewName(rollup: Rollup, kind: EventKind): string {
  return `mv_${rollup.table}_from_${kind}`;
}

/**
 * Blocks whose insert_deduplication_token each table remembers: a batch
 * retried with its token is applied once (src/store/batch-inserts.ts). A few
 * minutes of inserts at full rate; only a retry needs to find its token in it.
 */
const DEDUPLICATION_WINDOW = 10_000;

/**
 * Gives the raw event tables and the rollups their deduplication window on
 * one server (Replicated tables on a cluster keep one by default).
 */
export function deduplicationStatements(ddl: Ddl): string[] {
  if (ddl.clustered) return [];
  const tables = [...Object.values(TABLE_OF_KIND), ...Object.values(ROLLUPS).map((rollup) => rollup.table)];
  return tables.map((table) => ddl.alter(table, `MODIFY SETTING non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`));
}

/** Rollup tables, then the views that feed them. */
export function rollupStatements(ddl: Ddl): string[] {
  const statements: string[] = [];
  for (const rollup of Object.values(ROLLUPS)) statements.push(...ddl.createTable(rollupTable(rollup)));
  for (const rollup of Object.values(ROLLUPS)) {
    for (const kind of rollup.kinds) {
      const spec: MaterializedViewSpec = {
        name: viewName(rollup, kind),
        to: rollup.table,
        columns: columns(rollup),
        select: feedSelect(ddl, rollup, kind, `${ddl.local(TABLE_OF_KIND[kind])} AS e`).select,
        comment: `feeds ${rollup.table} from every block inserted into ${TABLE_OF_KIND[kind]}`,
      };
      statements.push(ddl.createMaterializedView(spec));
    }
  }
  return statements;
}

/**
 * The `events` column's comment on databases made before schema version 6,
 * whose comment said a redelivery counted twice: on the rollups (and their
 * Distributed tables on a cluster) and on the views that feed them.
 */
export function eventsCommentStatements(ddl: Ddl): string[] {
  const clause = `COMMENT COLUMN events ${literal(EVENTS_COMMENT)}`;
  const statements: string[] = [];
  for (const rollup of Object.values(ROLLUPS)) {
    statements.push(ddl.alter(rollup.table, clause));
    if (ddl.clustered) statements.push(ddl.alter(rollup.table, clause, false));
    for (const kind of rollup.kinds) statements.push(ddl.alter(viewName(rollup, kind), clause, false));
  }
  return statements;
}

/**
 * Fills the rollups from the raw rows already stored (views only see new
 * inserts), reading the raw tables with FINAL so history holds no
 * duplicates. Emptying each rollup first makes a re-run after a crash give
 * the same result; run it before this instance ingests.
 */
export function backfillStatements(ddl: Ddl): string[] {
  const statements: string[] = [];
  for (const rollup of Object.values(ROLLUPS)) {
    statements.push(ddl.truncate(rollup.table));
    for (const kind of rollup.kinds) {
      const { select, columns: names } = feedSelect(ddl, rollup, kind, `${ddl.table(TABLE_OF_KIND[kind])} AS e FINAL`);
      // Not deduplicated as a retried insert would be: its blocks are new data, even when a re-run repeats them.
      statements.push(`INSERT INTO ${ddl.table(rollup.table)} (${names.join(', ')}) SETTINGS insert_deduplicate = 0\n        ${select}`);
    }
  }
  return statements;
}

/** Minutes rolled up again per statement, so that a statement stays well under ClickHouse's query size limit. */
const MINUTES_PER_STATEMENT = 1_000;

/**
 * Rolls the `kind` events of `minutes` (epoch seconds of minute starts) up
 * again from the raw table with FINAL, in every rollup that counts them:
 * their rows are deleted, then computed afresh. For minutes an interrupted
 * insert may have rolled up in part (src/store/batch-inserts.ts); nothing may
 * insert `kind` events meanwhile.
 */
export function rollUpAgainStatements(ddl: Ddl, kind: EventKind, minutes: readonly number[]): string[] {
  const statements: string[] = [];
  for (let from = 0; from < minutes.length; from += MINUTES_PER_STATEMENT) {
    const chunk = minutes.slice(from, from + MINUTES_PER_STATEMENT);
    const list = chunk.map((minute) => String(Math.trunc(minute))).join(', ');
    for (const rollup of Object.values(ROLLUPS)) {
      if (!rollup.kinds.includes(kind)) continue;
      statements.push(ddl.deleteWhere(rollup.table, `kind = ${literal(kind)} AND toUnixTimestamp(minute) IN (${list})`));
      const where = `e.ts >= toDateTime(${Math.min(...chunk)}, 'UTC') AND e.ts < toDateTime(${Math.max(...chunk) + 60}, 'UTC') AND toUnixTimestamp(toStartOfMinute(e.ts)) IN (${list})`;
      const { select, columns: names } = feedSelect(ddl, rollup, kind, `${ddl.table(TABLE_OF_KIND[kind])} AS e FINAL`, where);
      statements.push(`INSERT INTO ${ddl.table(rollup.table)} (${names.join(', ')}) SETTINGS insert_deduplicate = 0\n        ${select}`);
    }
  }
  return statements;
}

import { describe, expect, it } from 'vitest';
import { Ddl, literal } from '../../src/store/ddl.js';
import { ttlDays, ttlStatement, RETAINED } from '../../src/store/retention.js';
import { ROLLUPS, rollUpAgainStatements } from '../../src/store/rollups.js';
import { MIGRATIONS } from '../../src/store/schema.js';

const statements = (ddl: Ddl) => MIGRATIONS.flatMap((m) => m.statements(ddl));
const creating = (all: string[], name: string) => all.filter((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${name} `));

describe('schema DDL on one server', () => {
  const ddl = new Ddl({ database: 'trendmon' });
  const all = statements(ddl);

  it('is plain MergeTree DDL on the named tables', () => {
    for (const statement of all) {
      expect(statement).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
    }
    expect(creating(all, '`trendmon`.`events_view`')[0]).toMatch(
      /ENGINE = ReplacingMergeTree\n\s+PARTITION BY toYYYYMMDD\(ts\)\n\s+ORDER BY \(sku, ts, id\)\n\s+COMMENT 'product page views/,
    );
    expect(creating(all, '`trendmon`.`catalog`')[0]).toMatch(/ENGINE = ReplacingMergeTree\(updated_at\)/);
  });

  it('feeds every rollup from each raw table it counts, from the table itself', () => {
    for (const rollup of Object.values(ROLLUPS)) {
      for (const kind of rollup.kinds) {
        const view = all.find((s) => s.includes(`mv_${rollup.table}_from_${kind}`));
        expect(view).toContain(`TO \`trendmon\`.\`${rollup.table}\``);
        expect(view).toContain(`FROM \`trendmon\`.\`events_${kind}\` AS e`);
      }
    }
  });
});

describe('schema version 6 and rolling minutes up again (one server)', () => {
  const ddl = new Ddl({ database: 'trendmon' });

  it('rebuilds the rollups, then gives the raw tables and rollups a deduplication window for insert tokens', () => {
    const v6 = MIGRATIONS.find((m) => m.version === 6)!.statements(ddl);
    const windows = v6.filter((s) => s.endsWith('MODIFY SETTING non_replicated_deduplication_window = 10000'));
    expect(windows.map((s) => /`trendmon`\.`(\w+)`/.exec(s)![1]).sort()).toEqual(
      ['events_sale', 'events_search', 'events_view', ...Object.values(ROLLUPS).map((r) => r.table)].sort(),
    );
    // A re-run of the rebuild after a crash is new data, not a retry to deduplicate.
    const lastInsert = v6.findLastIndex((s) => s.startsWith('INSERT INTO'));
    expect(lastInsert).toBeLessThan(v6.indexOf(windows[0]!));
    expect(v6.filter((s) => s.startsWith('INSERT INTO')).every((s) => s.includes(') SETTINGS insert_deduplicate = 0\n'))).toBe(true);
  });

  it('rolls the minutes of one kind up again in every rollup that counts it, 1,000 minutes a statement', () => {
    const minutes = Array.from({ length: 1_500 }, (_, i) => 1_749_556_800 + i * 60);
    const statements = rollUpAgainStatements(ddl, 'search', minutes);
    // query and region count searches: a delete and an insert each, for two chunks.
    expect(statements).toHaveLength(8);
    expect(statements[0]).toMatch(/^DELETE FROM `trendmon`\.`rollup_query_minute` WHERE kind = 'search' AND toUnixTimestamp\(minute\) IN \(1749556800, /);
    expect(statements[1]).toContain('FROM `trendmon`.`events_search` AS e FINAL\n        WHERE e.ts >= toDateTime(1749556800, \'UTC\') AND e.ts < toDateTime(1749616800, \'UTC\')');
    expect(statements[4]).toMatch(/IN \(1749616800, /);
  });
});

describe('schema DDL on a cluster (CLICKHOUSE_CLUSTER)', () => {
  const ddl = new Ddl({ database: 'trendmon', cluster: 'analytics' });
  const all = statements(ddl);

  it('runs every statement ON CLUSTER', () => {
    expect(ddl.createDatabase()).toBe('CREATE DATABASE IF NOT EXISTS `trendmon` ON CLUSTER `analytics`');
    for (const statement of all) {
      if (statement.startsWith('INSERT')) continue; // the backfill goes through the Distributed tables
      expect(statement).toContain(' ON CLUSTER `analytics`');
    }
  });

  it('shards raw events by id: a replicated _local table behind a Distributed one of the same name', () => {
    const [local] = creating(all, '`trendmon`.`events_sale_local` ON CLUSTER `analytics`');
    expect(local).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
    const [distributed] = creating(all, '`trendmon`.`events_sale` ON CLUSTER `analytics`');
    expect(distributed).toContain("AS `trendmon`.`events_sale_local`");
    expect(distributed).toContain("ENGINE = Distributed('analytics', 'trendmon', 'events_sale_local', cityHash64(id))");
  });

  it('keeps the catalog whole on every node, with version argument after the replication ones', () => {
    const [catalog] = creating(all, '`trendmon`.`catalog` ON CLUSTER `analytics`');
    expect(catalog).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{shard}-{replica}', updated_at)");
    expect(all.join('\n')).not.toContain('catalog_local');
  });

  it('rolls up on each shard: views read _local raw tables, join the whole catalog, write _local rollups', () => {
    const view = all.find((s) => s.includes('mv_rollup_category_minute_from_sale'))!;
    expect(view).toContain('TO `trendmon`.`rollup_category_minute_local`');
    expect(view).toContain('FROM `trendmon`.`events_sale_local` AS e');
    expect(view).toContain('FROM `trendmon`.`catalog` FINAL');
    const [rollup] = creating(all, '`trendmon`.`rollup_category_minute_local` ON CLUSTER `analytics`');
    expect(rollup).toContain("ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
  });

  it('backfills through the Distributed tables after emptying the shards', () => {
    expect(all).toContain('TRUNCATE TABLE IF EXISTS `trendmon`.`rollup_sku_minute_local` ON CLUSTER `analytics`');
    const backfill = all.find((s) => s.startsWith('INSERT INTO `trendmon`.`rollup_sku_minute` (') && s.includes('events_view'))!;
    expect(backfill).toContain('FROM `trendmon`.`events_view` AS e FINAL');
  });

  it('rebuilds the rollups at version 6, commenting their events column on shards, Distributed tables and views', () => {
    const v6 = MIGRATIONS.find((m) => m.version === 6)!.statements(ddl);
    const comment = "COMMENT COLUMN events 'events, each event id once (docs/analytics.md, Exactness): sum(events)'";
    expect(v6).toContain(`ALTER TABLE \`trendmon\`.\`rollup_sku_minute_local\` ON CLUSTER \`analytics\` ${comment}`);
    expect(v6).toContain(`ALTER TABLE \`trendmon\`.\`rollup_sku_minute\` ON CLUSTER \`analytics\` ${comment}`);
    expect(v6).toContain(`ALTER TABLE \`trendmon\`.\`mv_rollup_sku_minute_from_sale\` ON CLUSTER \`analytics\` ${comment}`);
    expect(v6).toContain('TRUNCATE TABLE IF EXISTS `trendmon`.`rollup_region_minute_local` ON CLUSTER `analytics`');
    expect(v6.filter((s) => s.startsWith('INSERT INTO `trendmon`.`rollup_region_minute` ('))).toHaveLength(3);
  });

  it('sets TTLs on the shards', () => {
    expect(ttlStatement(ddl, 'events_view', 'ts', 30)).toBe(
      'ALTER TABLE `trendmon`.`events_view_local` ON CLUSTER `analytics` MODIFY TTL toDateTime(ts) + INTERVAL 30 DAY',
    );
    expect(ttlStatement(ddl, 'rollup_sku_minute', 'minute', 0)).toBe('ALTER TABLE `trendmon`.`rollup_sku_minute_local` ON CLUSTER `analytics` REMOVE TTL');
  });
});

describe('retention', () => {
  it('reads the TTL days ClickHouse shows in engine_full', () => {
    expect(ttlDays('ReplacingMergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (sku, ts, id) TTL toDateTime(ts) + toIntervalDay(30) SETTINGS index_granularity = 8192')).toBe(30);
    expect(ttlDays('ReplacingMergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (sku, ts, id) SETTINGS index_granularity = 8192')).toBe(0);
  });

  it('covers raw events, dead letters and every rollup', () => {
    expect(RETAINED.map((r) => r.table).sort()).toEqual(
      ['dead_letters', 'events_sale', 'events_search', 'events_view', ...Object.values(ROLLUPS).map((r) => r.table)].sort(),
    );
    expect(() => ttlStatement(new Ddl({ database: 'trendmon' }), 'events_view', 'ts', -1)).toThrow(RangeError);
  });
});

describe('literal', () => {
  it('escapes quotes and backslashes', () => {
    expect(literal("it's a \\ path")).toBe("'it\\'s a \\\\ path'");
  });
});

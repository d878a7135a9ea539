import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_READER_LIMITS } from '../../src/store/client.js';
import { readerAccessStatements } from '../../src/store/reader-access.js';

const account = { user: 'trendmon_reader', password: "it's-secret" };
const PINNED =
  "readonly = 1 CONST, max_result_rows = 100000 CONST, max_result_bytes = 67108864 CONST, result_overflow_mode = 'throw' CONST, " +
  "max_execution_time = 30 CONST, timeout_overflow_mode = 'throw' CONST";

describe('the read-only ClickHouse user for SQL from users', () => {
  it('pins read-only and every limit in a profile, and grants SELECT on the database only', () => {
    expect(readerAccessStatements({ database: 'trendmon' }, account, DEFAULT_READER_LIMITS)).toEqual([
      `CREATE SETTINGS PROFILE IF NOT EXISTS \`trendmon_reader\` SETTINGS ${PINNED}`,
      `ALTER SETTINGS PROFILE \`trendmon_reader\` SETTINGS ${PINNED}`,
      "CREATE USER IF NOT EXISTS `trendmon_reader` IDENTIFIED WITH sha256_password BY 'it\\'s-secret' SETTINGS PROFILE 'trendmon_reader'",
      "ALTER USER `trendmon_reader` SETTINGS PROFILE 'trendmon_reader'",
      'GRANT SELECT ON `trendmon`.* TO `trendmon_reader`',
    ]);
  });

  it('creates them on every node of a cluster, with the configured limits', () => {
    const statements = readerAccessStatements({ database: 'shop', cluster: 'analytics' }, account, { maxRows: 500, maxResultBytes: 1_048_576, maxExecutionSeconds: 5 });
    expect(statements[0]).toBe(
      "CREATE SETTINGS PROFILE IF NOT EXISTS `trendmon_reader` ON CLUSTER `analytics` SETTINGS readonly = 1 CONST, max_result_rows = 500 CONST, " +
        "max_result_bytes = 1048576 CONST, result_overflow_mode = 'throw' CONST, max_execution_time = 5 CONST, timeout_overflow_mode = 'throw' CONST",
    );
    expect(statements.slice(1).every((s) => s.includes(' ON CLUSTER `analytics`'))).toBe(true);
    expect(statements.at(-1)).toBe('GRANT ON CLUSTER `analytics` SELECT ON `shop`.* TO `trendmon_reader`');
  });

  it('documents the same statements for operators in docs/analytics.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'analytics.md'), 'utf8');
    for (const statement of readerAccessStatements({ database: 'trendmon' }, { user: 'trendmon_reader', password: '<CLICKHOUSE_READER_PASSWORD>' }, DEFAULT_READER_LIMITS)) {
      expect(doc).toContain(statement + ';');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('config: ClickHouse schema, retention and reader limits', () => {
  it('keeps everything and bounds analysts by default', () => {
    const { clickhouse } = loadConfig({});
    expect(clickhouse.cluster).toBeUndefined();
    expect(clickhouse.retention).toEqual({ rawDays: 0, rollupDays: 0 });
    expect(clickhouse.readerLimits).toEqual({ maxRows: 100_000, maxResultBytes: 64 * 1024 * 1024, maxExecutionSeconds: 30 });
    // Embedded: the reader is a read-only session, no user.
    expect(clickhouse.reader).toBeUndefined();
  });

  it('runs user SQL on a server as the read-only user trendmon_reader, or the one named', () => {
    expect(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_READER_PASSWORD: 'r-secret' }).clickhouse.reader).toEqual({ user: 'trendmon_reader', password: 'r-secret' });
    const named = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_USER: 'trendmon', CLICKHOUSE_READER_USER: 'analysts', CLICKHOUSE_READER_PASSWORD: 'r-secret' });
    expect(named.clickhouse.reader).toEqual({ user: 'analysts', password: 'r-secret' });
  });

  it('reads a cluster, TTLs and limits', () => {
    const { clickhouse } = loadConfig({
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_READER_PASSWORD: 'r-secret',
      CLICKHOUSE_CLUSTER: 'analytics',
      RAW_TTL_DAYS: '90',
      ROLLUP_TTL_DAYS: '730',
      SQL_MAX_ROWS: '5000',
      SQL_MAX_RESULT_BYTES: '1048576',
      SQL_MAX_EXECUTION_TIME: '1m',
    });
    expect(clickhouse.cluster).toBe('analytics');
    expect(clickhouse.retention).toEqual({ rawDays: 90, rollupDays: 730 });
    expect(clickhouse.readerLimits).toEqual({ maxRows: 5000, maxResultBytes: 1_048_576, maxExecutionSeconds: 60 });
  });

  it.each([
    [{ CLICKHOUSE_CLUSTER: 'analytics' }, /CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL/],
    [{ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'a b' }, /CLICKHOUSE_CLUSTER="a b" must be a cluster name/],
    [{ RAW_TTL_DAYS: '1.5' }, /RAW_TTL_DAYS="1.5" must be a whole number of days/],
    [{ ROLLUP_TTL_DAYS: '-1' }, /ROLLUP_TTL_DAYS="-1"/],
    [{ SQL_MAX_ROWS: '0' }, /SQL_MAX_ROWS="0"/],
    [{ SQL_MAX_EXECUTION_TIME: '1500ms' }, /SQL_MAX_EXECUTION_TIME must be whole seconds/],
    [{ CLICKHOUSE_URL: 'http://ch:8123' }, /^CLICKHOUSE_READER_PASSWORD must be set with CLICKHOUSE_URL: user SQL runs as the read-only ClickHouse user trendmon_reader/],
    [{ CLICKHOUSE_READER_USER: 'a-b' }, /CLICKHOUSE_READER_USER="a-b" must be a plain user name/],
    [{ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_READER_PASSWORD: 'x', CLICKHOUSE_USER: 'me', CLICKHOUSE_READER_USER: 'me' }, /CLICKHOUSE_READER_USER must differ from CLICKHOUSE_USER \(me\)/],
  ])('refuses %o with one line naming it', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskSecrets } from '../../src/config/index.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('config', () => {
  it('has embedded defaults', () => {
    const config = loadConfig({});
    expect(config.nats.url).toBeUndefined();
    expect(config.clickhouse.url).toBeUndefined();
    expect(config.clickhouse.database).toBe('trendmon');
    expect(config.http.port).toBe(8080);
    expect(config.windows).toEqual({ sizeMs: 300_000, slideMs: 10_000, allowedLatenessMs: 5_000 });
    expect(config.detectMinVolume).toBe(10);
    expect(loadConfig({ DETECT_MIN_VOLUME: '3' }).detectMinVolume).toBe(3);
  });

  it('reads durations and URLs', () => {
    const config = loadConfig({
      WINDOW: '1m',
      SLIDE: '500ms',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_READER_PASSWORD: 'reader-password',
    });
    expect(config.windows.sizeMs).toBe(60_000);
    expect(config.windows.slideMs).toBe(500);
    expect(config.nats.url).toBe('nats://a:4222,nats://b:4222');
  });

  it.each([
    [{ WINDOW: '5x' }, /WINDOW="5x" is not a duration/],
    [{ PORT: 'eighty' }, /PORT="eighty"/],
    [{ PORT: '70000' }, /PORT="70000"/],
    [{ NATS_URL: 'localhost' }, /NATS_URL="localhost" is not a NATS URL/],
    [{ CLICKHOUSE_URL: 'ch:8123' }, /CLICKHOUSE_URL="ch:8123" is not a URL/],
    [{ TRENDMON_DB: 'drop table' }, /TRENDMON_DB="drop table" must be a plain identifier/],
    [{ WINDOW: '25s', SLIDE: '10s' }, /WINDOW must be a whole multiple of SLIDE/],
    [{ NATS_USER: 'u' }, /NATS_USER and NATS_PASS must be set together/],
    [{ TRENDMON_TOKEN: 'short' }, /TRENDMON_TOKEN="\*\*\*\*" must be at least 16/],
    [{ PARTITIONS: '-1' }, /PARTITIONS="-1"/],
    [{ PARTITIONS: '2.5' }, /PARTITIONS="2.5" must be a whole number/],
    [{ INSTANCE_ID: 'a.b' }, /INSTANCE_ID="a.b" must be 1-64 letters, digits, _ or -/],
    [{ LEASE_TTL: '500ms' }, /LEASE_TTL must be at least 1s/],
    [{ DETECT_MIN_VOLUME: '0' }, /DETECT_MIN_VOLUME="0"/],
    [{ DETECT_MIN_VOLUME: 'few' }, /DETECT_MIN_VOLUME="few"/],
  ])('refuses %o with one line naming it', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('runs alone unless PARTITIONS is set; scaled out it names the instance', () => {
    expect(loadConfig({}).cluster).toBeUndefined();
    expect(loadConfig({ PARTITIONS: '0' }).cluster).toBeUndefined();
    expect(loadConfig({ PARTITIONS: '16', INSTANCE_ID: 'trendmon-a', LEASE_TTL: '5s' }).cluster).toEqual({ partitions: 16, instanceId: 'trendmon-a', leaseTtlMs: 5_000 });
    expect(loadConfig({ PARTITIONS: '16' }).cluster?.instanceId).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('masks every secret when shown', () => {
    const shown = JSON.stringify(
      maskSecrets(
        loadConfig({
          TRENDMON_TOKEN: 'admin-secret-token-123456',
          TRENDMON_VIEW_TOKEN: 'view-secret-token-1234567',
          NATS_USER: 'u',
          NATS_PASS: 'nats-secret',
          NATS_TOKEN: 'nats-token-secret',
          CLICKHOUSE_PASSWORD: 'ch-secret',
          CLICKHOUSE_URL: 'https://user:url-secret@ch.example.com:8443',
          CLICKHOUSE_READER_PASSWORD: 'reader-secret',
          ALERT_WEBHOOK_SECRET: 'hook-secret-0123456789',
        }),
      ),
    );
    for (const secret of ['admin-secret', 'view-secret', 'nats-secret', 'nats-token-secret', 'ch-secret', 'url-secret', 'reader-secret', 'hook-secret']) {
      expect(shown).not.toContain(secret);
    }
    expect(shown).toContain('https://****@ch.example.com:8443');
  });

  it('reads an optional settings file, with the environment winning and typos refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trendmon-config-'));
    const file = join(dir, 'trendmon.env');
    writeFileSync(file, '# settings\nWINDOW=10m\nSLIDE = "30s"\nPORT=9000\n');
    const config = loadConfig({ TRENDMON_CONFIG: file, PORT: '9100' });
    expect(config.windows.sizeMs).toBe(600_000);
    expect(config.windows.slideMs).toBe(30_000);
    expect(config.http.port).toBe(9100);
    writeFileSync(file, 'WINDOW=10m\nWIDNOW=5m\nnonsense\n');
    expect(() => loadConfig({ TRENDMON_CONFIG: file })).toThrow(/trendmon\.env:2: unknown setting WIDNOW; .*trendmon\.env:3: expected NAME=value/);
    expect(() => loadConfig({ TRENDMON_CONFIG: join(dir, 'missing.env') })).toThrow(/cannot be read \(ENOENT\)/);
  });

  it('parses and formats durations', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('10')).toBeUndefined();
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

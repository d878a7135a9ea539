/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine),
 * so this checks what can be checked: the files say what operations needs,
 * the app's environment in the compose file is a valid configuration, and
 * the built app works against a nats-server started with the compose
 * file's own command line, passing the same health checks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { eventually, spawnTestApp, type ChildApp } from '../helpers/app.js';
import { ingestedTotal } from '../helpers/faults.js';
import { publishEvents, validEvents } from '../helpers/events.js';
import { freePort } from '../helpers/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { nats, clickhouse, trendmon } = compose.services as Record<'nats' | 'clickhouse' | 'trendmon', Service>;

/** `${NAME:-default}` as compose interpolates it, from `vars` or the default. */
const interpolate = (text: string, vars: Record<string, string> = {}) =>
  text.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback = '') => vars[name] ?? fallback);

const appEnvironment = (vars: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(trendmon.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), vars)]));

describe('docker-compose.yml', () => {
  it('runs NATS with JetStream on a volume, monitored, health-checked', () => {
    expect(nats.command).toEqual(expect.arrayContaining(['--jetstream', '--store_dir', '--http_port']));
    const storeDir = nats.command![nats.command!.indexOf('--store_dir') + 1]!;
    expect(nats.volumes?.some((v) => v.endsWith(`:${storeDir}`) && v.split(':')[0]! in compose.volumes)).toBe(true);
    expect(nats.healthcheck?.test.join(' ')).toMatch(/healthz\?js-enabled-only=true/);
  });

  it('runs ClickHouse with a user and password, on a volume, health-checked', () => {
    expect(clickhouse.environment).toMatchObject({ CLICKHOUSE_USER: expect.any(String), CLICKHOUSE_PASSWORD: expect.any(String) });
    expect(clickhouse.volumes?.some((v) => v.endsWith(':/var/lib/clickhouse'))).toBe(true);
    expect(clickhouse.healthcheck?.test.join(' ')).toMatch(/8123\/ping/);
  });

  it('starts the app once both are healthy, with the same credentials, simulator off unless asked', () => {
    expect(trendmon.build).toBe('.');
    expect(trendmon.depends_on).toEqual({ nats: { condition: 'service_healthy' }, clickhouse: { condition: 'service_healthy' } });
    const env = appEnvironment();
    expect(env.CLICKHOUSE_PASSWORD).toBe(interpolate(clickhouse.environment!.CLICKHOUSE_PASSWORD!));
    expect(env.CLICKHOUSE_USER).toBe(clickhouse.environment!.CLICKHOUSE_USER);
    expect(loadConfig(env).simulate).toBe(false);
    expect(loadConfig(env).clickhouse.reader).toEqual({ user: 'trendmon_reader', password: 'trendmon-reader' });
    expect(loadConfig(appEnvironment({ SIMULATE: '1' })).simulate).toBe(true);
  });

  it('gives the app a valid configuration, alone and scaled out', () => {
    const alone = loadConfig(appEnvironment());
    expect(alone.nats.url).toBe('nats://nats:4222');
    expect(alone.clickhouse.url).toBe('http://clickhouse:8123');
    expect(alone.cluster).toBeUndefined();
    const scaled = loadConfig(appEnvironment({ PARTITIONS: '16' }));
    expect(scaled.cluster?.partitions).toBe(16);
    expect(interpolate(trendmon.ports![0]!, { TRENDMON_PORTS: '8080-8082' })).toBe('8080-8082:8080');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('builds in one stage and runs production dependencies only, as a non-root user, health-checked', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const run = stages.at(-1)!;
    expect(run).toMatch(/^USER (?!root)\w+/m);
    expect(run).toMatch(/HEALTHCHECK[\s\S]*\/readyz/);
    expect(run).not.toMatch(/npm (install|ci)\b/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('copies only what exists', () => {
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/gm)) {
      for (const path of match[1]!.split(' ')) expect(existsSync(join(ROOT, path)), path).toBe(true);
    }
  });
});

describe('the app against a nats-server run with the compose command line', () => {
  let server: ChildProcess | undefined;
  let app: ChildApp | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'trendmon-compose-'));

  afterAll(async () => {
    await app?.stop();
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the health checks and ingests', async () => {
    const [clientPort, monitorPort] = [await freePort(), await freePort()];
    const args = nats.command!.map((arg) => (arg === '/data' ? join(dir, 'nats') : arg === '8222' ? String(monitorPort) : arg));
    server = spawn('nats-server', [...args, '-p', String(clientPort), '-a', '127.0.0.1'], { stdio: 'ignore' });
    // The compose health check, against this server.
    const healthUrl = /(http:\/\/localhost:8222\S*)/.exec(nats.healthcheck!.test.join(' '))![1]!.replace('8222', String(monitorPort));
    await eventually(async () => (await fetch(healthUrl)).ok, 30_000, 200);

    // The compose environment for the app, with this NATS; ClickHouse embedded (no server here).
    const env = appEnvironment();
    for (const name of ['NATS_URL', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'PORT']) delete env[name];
    app = await spawnTestApp(`nats://127.0.0.1:${clientPort}`, env);
    // The Dockerfile's health check.
    await eventually(async () => (await fetch(`${app!.url}/readyz`)).ok, 30_000, 200);

    const nc = await connect({ servers: `nats://127.0.0.1:${clientPort}` });
    try {
      await publishEvents(nc, validEvents(200, 'compose'));
      await eventually(async () => (await ingestedTotal(app!.url)) === 200, 60_000, 250);
    } finally {
      await nc.close();
    }
  }, 120_000);
});

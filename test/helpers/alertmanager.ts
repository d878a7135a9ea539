/**
 * A real Alertmanager (Debian's `prometheus-alertmanager`, installed by
 * scripts/provision-test.sh) on a free port, with a temp configuration and
 * storage and clustering off, plus a recorder in front of its API that
 * shows what a client posted and when.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from './app.js';
import { freePort } from './ports.js';

export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';

/** An alert as Alertmanager's API v2 lists it (`gettableAlert`). */
export interface GettableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly fingerprint: string;
  readonly receivers: { name: string }[];
  readonly status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

/** What Alertmanager's webhook receiver posts (payload version 4). */
export interface AlertmanagerWebhook {
  readonly version: '4';
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Record<string, string>;
  readonly commonLabels: Record<string, string>;
  readonly alerts: {
    readonly status: 'firing' | 'resolved';
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
    readonly startsAt: string;
    readonly endsAt: string;
    readonly fingerprint: string;
  }[];
}

export interface TestAlertmanager {
  readonly url: string;
  /** Alerts it holds (`filter`: label matchers such as `key="SKU-0010"`). */
  alerts(filter?: string[]): Promise<GettableAlert[]>;
  /** Creates a silence through its API; resolves with the silence id. */
  silence(matchers: Record<string, string>, durationMs: number, comment: string): Promise<string>;
  /** Stops the process (its silences and notification log are kept in the storage directory). */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

/** Starts Alertmanager with `config` (its YAML configuration, as an object). */
export async function startAlertmanager(config: Record<string, unknown>): Promise<TestAlertmanager> {
  if (spawnSync(ALERTMANAGER_BINARY, ['--version']).error) {
    throw new Error(`${ALERTMANAGER_BINARY} is not installed: run \`bash scripts/provision-test.sh\` (apt-get install prometheus-alertmanager)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'trendmon-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}/api/v2/${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`Alertmanager ${init?.method ?? 'GET'} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const handle: TestAlertmanager = {
    url,
    alerts: (filter = []) => api<GettableAlert[]>(`alerts?${filter.map((f) => `filter=${encodeURIComponent(f)}`).join('&')}`),
    async silence(matchers, durationMs, comment) {
      const now = Date.now();
      const body = {
        matchers: Object.entries(matchers).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + durationMs).toISOString(),
        createdBy: 'trendmon test',
        comment,
      };
      const { silenceID } = await api<{ silenceID: string }>('silences', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return silenceID;
    },
    async start() {
      output = '';
      child = spawn(
        ALERTMANAGER_BINARY,
        [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`Alertmanager exited with ${code}:\n${output}`))));
      await Promise.race([eventually(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, 100), exited]);
    },
    async stop() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
    async close() {
      await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

/** One request a client made to Alertmanager's API through the recorder. */
export interface RecordedPost<T = unknown> {
  readonly at: number;
  readonly path: string;
  readonly body: T;
  /** What the client was answered: Alertmanager's status, or 502 when it could not be reached. */
  readonly status: number;
}

/** An HTTP pass-through to Alertmanager that records every request (the client points at `url`). */
export interface ApiRecorder<T> {
  readonly url: string;
  readonly posts: RecordedPost<T>[];
  close(): Promise<void>;
}

export async function recordRequests<T>(target: string): Promise<ApiRecorder<T>> {
  const posts: RecordedPost<T>[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', async () => {
      const at = Date.now();
      let status = 502;
      let answer = 'Alertmanager unreachable';
      try {
        const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: text || undefined });
        status = upstream.status;
        answer = await upstream.text();
      } catch {
        // answered 502 below, as a proxy does
      }
      posts.push({ at, path: req.url ?? '', body: (text ? JSON.parse(text) : undefined) as T, status });
      res.statusCode = status;
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

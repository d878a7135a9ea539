/**
 * trendmon under test: in this process (startApp) or as a child process
 * running the built CLI, always against a real nats-server and chDB in a
 * fresh temp directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApp, type RunningApp, type StartOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface TestApp {
  readonly url: string;
  readonly dataDir: string;
  /** Rows of a read-only query through /api/sql. */
  sql<T = Record<string, unknown>>(query: string): Promise<T[]>;
  stop(): Promise<void>;
}

async function sqlOver<T>(url: string, query: string): Promise<T[]> {
  const response = await fetch(`${url}/api/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sql failed (${response.status}): ${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

const baseEnv = (natsUrl: string | undefined, dataDir: string, env: Record<string, string>) => ({
  ...(natsUrl ? { NATS_URL: natsUrl } : {}),
  DATA_DIR: dataDir,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  ...env,
});

/** The app in this process (one per test file: chDB holds one data directory per process). */
export async function startTestApp(
  natsUrl: string,
  env: Record<string, string> = {},
  options: Omit<StartOptions, 'log'> & { dataDir?: string } = {},
): Promise<TestApp & { app: RunningApp }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'trendmon-app-'));
  const config = loadConfig(baseEnv(natsUrl, dataDir, env));
  const app = await startApp(config, { ...options, log: pino({ level: env.LOG_LEVEL ?? 'warn' }) });
  return {
    app,
    url: app.url,
    dataDir,
    sql: (query) => sqlOver(app.url, query),
    async stop() {
      await app.stop();
      // chDB may still be finishing a background merge in this process: retry ENOTEMPTY.
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}

export interface ChildApp extends TestApp {
  readonly process: ChildProcess;
  /** Everything the app wrote to stdout and stderr. */
  output(): string;
  /** Sends a signal to the app's process group, as a terminal's Ctrl-C does, and resolves with the exit code. */
  signal(signal: NodeJS.Signals): Promise<number | null>;
}

/**
 * The built CLI (`trendmon start`) as a child process on a free port, in a
 * process group of its own; `natsUrl` undefined: its own embedded nats-server.
 */
export async function spawnTestApp(natsUrl: string | undefined, env: Record<string, string> = {}, dataDir?: string): Promise<ChildApp> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'trendmon-app-'));
  const inherited = { ...process.env };
  delete inherited.NATS_URL;
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: { ...inherited, ...baseEnv(natsUrl, dir, { LOG_LEVEL: 'info', ...env }) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // (Its own process group outlives this one: leave nothing running behind a failed start.)
      clearInterval(poll);
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`app did not start within 60s:\n${output}`));
    }, 60_000);
    const poll = setInterval(() => {
      const match = /wall at (http:\/\/localhost:\d+)/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]!);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before starting:\n${output}`));
    });
  });
  return {
    process: child,
    url,
    dataDir: dir,
    output: () => output,
    sql: (query) => sqlOver(url, query),
    async signal(signal) {
      process.kill(-child.pid!, signal);
      return exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws the last failure). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  everyMs = 200,
  /** What to add to the error when the time is up: the state that tells why. */
  explain?: () => Promise<string>,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = new Error('condition not met');
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      if (!explain) throw last;
      throw new Error(`${last instanceof Error ? last.message : String(last)} after ${timeoutMs} ms; ${await explain().catch((err: Error) => `(no state: ${err.message})`)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * What an app is doing, for a failed test to print: its counts of events,
 * late events and backlog (from /metrics), the open spikes, and the latest
 * window of each key asked about.
 */
export async function appState(app: Pick<TestApp, 'url'>, keys: readonly { dimension: string; key: string }[] = []): Promise<string> {
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  const wanted = /^trendmon_(events_ingested_total|late_events_total|consumer_(ack_)?pending_messages|store_buffered_rows|store_up|spikes_open)\b.*$/gm;
  const spikes = await (await fetch(`${app.url}/api/trending?limit=10`)).text();
  const windows = await Promise.all(
    keys.map(async ({ dimension, key }) => `${dimension}:${key} ${await (await fetch(`${app.url}/api/window?dimension=${dimension}&key=${encodeURIComponent(key)}`)).text()}`),
  );
  return [`metrics: ${(metrics.match(wanted) ?? []).join(', ')}`, `trending: ${spikes}`, ...windows.map((w) => `window ${w}`)].join('\n');
}

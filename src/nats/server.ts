/**
 * Runs a local `nats-server` with JetStream as a child process: the app's
 * embedded default when no NATS_URL is given, and the tests' real server.
 *
 * Like nats.js's own test harness it writes a config file, lets the server
 * pick its port when asked for port -1, and reads the chosen port back from
 * the ports file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrendmonError } from '../errors.js';
import { sleep } from '../retry.js';

export class NatsServerNotFoundError extends TrendmonError {
  constructor() {
    super('missing_dependency', 'nats-server is not installed: run `apt-get install -y nats-server` (Debian) or set NATS_URL to an existing server');
  }
}

export interface NatsServerOptions {
  /** Where the config, ports file and JetStream store go. */
  readonly dir: string;
  /** -1 lets the server pick a free port. */
  readonly port?: number;
  readonly host?: string;
  /** Extra config lines appended verbatim (auth, mappings, ...). */
  readonly extraConfig?: string;
  /** False starts the server without JetStream (tests: a server whose JetStream is not back yet). */
  readonly jetStream?: boolean;
  readonly binary?: string;
  /**
   * Runs the server in its own process group: a terminal's Ctrl-C reaches
   * the app, which drains and then stops the server itself, rather than
   * both at once (the app's embedded server; tests' servers die with them).
   */
  readonly ownProcessGroup?: boolean;
}

export interface RunningNatsServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Kills the server at once, as a crash would. */
  kill(): void;
}

/** True when a `nats-server` binary can be run. */
export function natsServerAvailable(binary = 'nats-server'): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/**
 * Installs nats-server from Debian's packages when we are root on a Debian
 * machine; otherwise throws the one line that says how to get it.
 */
export function ensureNatsServerInstalled(log: (line: string) => void): void {
  if (natsServerAvailable()) return;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!canApt) throw new NatsServerNotFoundError();
  log('nats-server not found; installing it with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'ignore', env });
  if (!natsServerAvailable()) throw new NatsServerNotFoundError();
}

const CONFIG_FILE = 'nats-server.conf';
const PID_FILE = 'nats-server.pid';

/**
 * Stops a server that an earlier run left running on `dir` (its app was
 * killed before it could stop it): it holds the port and the JetStream
 * store. Returns its pid, or undefined when there was none.
 */
export async function stopStaleNatsServer(dir: string): Promise<number | undefined> {
  const pidPath = join(dir, PID_FILE);
  if (!existsSync(pidPath)) return undefined;
  const pid = Number(readFileSync(pidPath, 'utf8').trim());
  // Only ours: a live process started with this directory's config (a pid may have been reused).
  const ours = (): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dir, CONFIG_FILE));
    } catch {
      return false;
    }
  };
  // (It may exit between the look and the signal.)
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // gone already
    }
  };
  if (!(pid > 0) || !ours()) return undefined;
  signal('SIGTERM');
  for (let waited = 0; ours(); waited += 100) {
    if (waited >= 5000) signal('SIGKILL');
    await sleep(100);
  }
  return pid;
}

export async function startNatsServer(options: NatsServerOptions): Promise<RunningNatsServer> {
  const host = options.host ?? '127.0.0.1';
  const storeDir = join(options.dir, 'jetstream');
  const portsDir = join(options.dir, 'ports');
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(portsDir, { recursive: true });
  for (const stale of readdirSync(portsDir)) writeFileSync(join(portsDir, stale), '');
  const configPath = join(options.dir, CONFIG_FILE);
  writeFileSync(
    configPath,
    [
      `host: "${host}"`,
      `pid_file: "${join(options.dir, PID_FILE)}"`,
      `port: ${options.port ?? -1}`,
      `ports_file_dir: "${portsDir}"`,
      `max_payload: 1MB`,
      options.jetStream === false ? '' : `jetstream {\n  store_dir: "${storeDir}"\n}`,
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const child = spawn(options.binary ?? 'nats-server', ['-c', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: options.ownProcessGroup === true,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new NatsServerNotFoundError() : err),
    );
  });
  const port = await Promise.race([waitForPort(portsDir, child, () => stderr), spawnError]);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `nats://${host}:${port}`,
    port,
    process: child,
    kill: () => {
      child.kill('SIGKILL');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForPort(portsDir: string, child: ChildProcess, stderr: () => string): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const reason = stderr().trim().split('\n').pop() ?? '';
      throw new TrendmonError('unavailable', `nats-server exited with code ${child.exitCode} (${reason}): is NATS_PORT taken, or DATA_DIR not writable? Or set NATS_URL to a running server`);
    }
    for (const name of readdirSync(portsDir)) {
      if (!name.includes(String(child.pid))) continue;
      const text = readFileSync(join(portsDir, name), 'utf8');
      if (!text) continue;
      const ports = JSON.parse(text) as { nats?: string[] };
      const url = ports.nats?.[0];
      if (url) return Number(new URL(url).port);
    }
    await sleep(25);
  }
  throw new TrendmonError('unavailable', `nats-server did not report its port within 15s (${stderr().trim() || 'no output'}): set NATS_URL to a running server instead`);
}

/**
 * Keeps the embedded nats-server running for the app: restarts it on the
 * same port and store if it exits, with a growing pause between restarts.
 */
import type { Logger } from 'pino';
import { backoffDelay, sleep, type Backoff } from '../retry.js';
import { startNatsServer, stopStaleNatsServer, type NatsServerOptions, type RunningNatsServer } from './server.js';

/** Pauses before restarts: a crash loop slows down to one restart every 30 s. */
const RESTART: Backoff = { initialMs: 500, maxMs: 30_000 };

export class NatsSupervisor {
  private server?: RunningNatsServer;
  /** Aborted by stop(): a pending restart is called off. */
  private readonly stopping = new AbortController();
  private restarts = 0;

  private constructor(
    private readonly options: NatsServerOptions,
    private readonly log: Logger,
  ) {}

  static async start(options: NatsServerOptions, log: Logger): Promise<NatsSupervisor> {
    const stale = await stopStaleNatsServer(options.dir);
    if (stale) log.warn({ pid: stale, store: options.dir }, 'stopped the nats-server an earlier run left running');
    // (Its own process group: Ctrl-C stops the app, which drains, then stops the server.)
    const supervisor = new NatsSupervisor({ ...options, ownProcessGroup: true }, log);
    await supervisor.launch();
    return supervisor;
  }

  get url(): string {
    return this.server!.url;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.server?.stop();
  }

  private async launch(): Promise<void> {
    const server = await startNatsServer(this.options);
    this.server = server;
    server.process.once('exit', (code, signal) => {
      if (this.stopping.signal.aborted) return;
      const delay = backoffDelay(++this.restarts, RESTART);
      this.log.error({ code, signal, delay }, 'embedded nats-server exited; restarting');
      sleep(delay, this.stopping.signal).then(
        () => this.launch().catch((err) => this.log.error({ err }, 'could not restart nats-server')),
        () => undefined, // stopped meanwhile
      );
    });
    this.log.info({ url: server.url, store: this.options.dir }, 'embedded nats-server running');
  }
}

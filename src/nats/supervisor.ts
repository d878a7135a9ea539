/**
 * Keeps the embedded nats-server running for the app: restarts it on the
 * same port and store if it exits, with a growing pause between attempts.
 */
import type { Logger } from 'pino';
import { startNatsServer, type NatsServerOptions, type RunningNatsServer } from './server.js';

export class NatsSupervisor {
  private server?: RunningNatsServer;
  private stopping = false;
  private restarts = 0;

  private constructor(
    private readonly options: NatsServerOptions,
    private readonly log: Logger,
  ) {}

  static async start(options: NatsServerOptions, log: Logger): Promise<NatsSupervisor> {
    const supervisor = new NatsSupervisor(options, log);
    await supervisor.launch();
    return supervisor;
  }

  get url(): string {
    return this.server!.url;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.server?.stop();
  }

  private async launch(): Promise<void> {
    const server = await startNatsServer(this.options);
    this.server = server;
    server.process.once('exit', (code, signal) => {
      if (this.stopping) return;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts++, 6));
      this.log.error({ code, signal, delay }, 'embedded nats-server exited; restarting');
      setTimeout(() => {
        this.launch().catch((err) => this.log.error({ err }, 'could not restart nats-server'));
      }, delay);
    });
    this.log.info({ url: server.url, store: this.options.dir }, 'embedded nats-server running');
  }
}

/** A real nats-server with JetStream on a free port and a fresh temp store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type RunningNatsServer } from '../../src/nats/server.js';

export interface TestNats {
  readonly server: RunningNatsServer;
  readonly url: string;
  readonly dir: string;
  /** A fresh client connection, closed by `stop()`. */
  connect(): Promise<NatsConnection>;
  /**
   * Restarts the server on the same port and store (an outage); with
   * `jetStream: false`, without JetStream, as a server still recovering it
   * answers: clients reconnect, JetStream does not deliver.
   */
  restart(options?: { jetStream?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestNats(extraConfig?: string): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'trendmon-nats-'));
  let server = await startNatsServer({ dir, port: -1, extraConfig });
  const connections: NatsConnection[] = [];
  const handle: TestNats = {
    get server() {
      return server;
    },
    get url() {
      return server.url;
    },
    dir,
    async connect() {
      const nc = await connect({ servers: server.url });
      connections.push(nc);
      return nc;
    },
    async restart(options = {}) {
      const port = server.port;
      await server.stop();
      server = await startNatsServer({ dir, port, extraConfig, ...options });
    },
    async stop() {
      await Promise.allSettled(connections.map((nc) => nc.close()));
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

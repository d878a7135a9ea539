/** Connects to NATS with the configured credentials; reconnects forever. */
import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';

export interface NatsConnectOptions {
  readonly servers: string;
  readonly name: string;
  readonly credsFile?: string;
  readonly user?: string;
  readonly pass?: string;
}

export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const authenticator = options.credsFile
    ? credsAuthenticator(new Uint8Array(await readFile(options.credsFile)))
    : undefined;
  return connect({
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    user: options.user,
    pass: options.pass,
    authenticator,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
}

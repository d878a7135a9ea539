/** Connects to NATS with the configured credentials; reconnects forever. */
import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';

export interface NatsConnectOptions {
  readonly servers: string;
  readonly name: string;
  readonly credsFile?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
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
    token: options.token,
    authenticator,
    ...(options.tls ? { tls: { caFile: options.tls.caFile, certFile: options.tls.certFile, keyFile: options.tls.keyFile } } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
}

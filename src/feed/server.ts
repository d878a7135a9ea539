/**
 * The `/ws` feed: one WebSocket server sharing the app's HTTP port.
 *
 * - Every client gets a `snapshot` on connect, then live messages.
 * - Liveness: a ws ping every `heartbeatMs`; a socket that has not answered
 *   the previous ping is terminated. A `heartbeat` message rides along so the
 *   wall can tell a quiet feed from a dead one.
 * - Slow clients never make the server buffer without bound: while a
 *   socket's `bufferedAmount` is above `maxBufferedBytes` messages to it are
 *   skipped, and once it drains it is resynchronised with a fresh snapshot.
 * - The wall has nothing to say: frames over 4 KiB close the socket (1009),
 *   and a client sending more than `maxClientMessages` per heartbeat period is closed as
 *   a policy violation (1008).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FeedMessage, SnapshotMessage } from './protocol.js';

export interface FeedServerOptions {
  readonly server: Server;
  readonly path?: string;
  /** Builds the snapshot sent on connect and on resync. */
  readonly snapshot: () => SnapshotMessage;
  readonly heartbeatMs?: number;
  readonly maxBufferedBytes?: number;
  readonly maxClients?: number;
  /** Messages a client may send per heartbeat period before it is closed. */
  readonly maxClientMessages?: number;
  /**
   * Decides an upgrade before the handshake completes; return an HTTP status
   * and reason to refuse it.
   */
  readonly authorize?: (req: IncomingMessage) => { status: number; reason: string } | undefined;
  readonly onClientCountChange?: (count: number) => void;
}

interface ClientState {
  alive: boolean;
  /** Messages were skipped while the socket was backed up. */
  stale: boolean;
  /** Messages received from the client in the current heartbeat period. */
  received: number;
}

export class FeedServer {
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<WebSocket, ClientState>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly path: string;
  private readonly maxBufferedBytes: number;
  private readonly maxClients: number;
  private readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

  constructor(private readonly options: FeedServerOptions) {
    this.path = options.path ?? '/ws';
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
    this.maxClients = options.maxClients ?? 1000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
    this.onUpgrade = (req, socket, head) => this.upgrade(req, socket, head);
    options.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Sends one message to every connected client (serialised once). */
  broadcast(message: FeedMessage): void {
    if (this.clients.size === 0) return;
    const data = JSON.stringify(message);
    for (const [socket, state] of this.clients) this.sendTo(socket, state, data);
  }

  /** Closes every client and detaches from the HTTP server. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.options.server.off('upgrade', this.onUpgrade);
    for (const socket of this.clients.keys()) socket.close(1001, 'server shutting down');
    // A dead client would hold the close handshake for ws's 30 s: cut it short.
    const cut = setTimeout(() => {
      for (const socket of this.clients.keys()) socket.terminate();
    }, 1_000);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    clearTimeout(cut);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.path) {
      refuse(socket, 404, 'not found');
      return;
    }
    const denied = this.options.authorize?.(req);
    if (denied) {
      refuse(socket, denied.status, denied.reason);
      return;
    }
    if (this.clients.size >= this.maxClients) {
      refuse(socket, 503, 'too many feed clients');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(socket: WebSocket): void {
    const state: ClientState = { alive: true, stale: false, received: 0 };
    this.clients.set(socket, state);
    this.options.onClientCountChange?.(this.clients.size);
    socket.on('pong', () => {
      state.alive = true;
    });
    // The wall has nothing to say; a client that talks is ignored, one that floods is closed.
    const maxMessages = this.options.maxClientMessages ?? 50;
    socket.on('message', () => {
      if (++state.received > maxMessages) socket.close(1008, 'too many messages');
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      this.clients.delete(socket);
      this.options.onClientCountChange?.(this.clients.size);
    });
    try {
      socket.send(JSON.stringify(this.options.snapshot()));
    } catch {
      socket.close(1011, 'snapshot unavailable');
    }
  }

  private sendTo(socket: WebSocket, state: ClientState, data: string): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > this.maxBufferedBytes) {
      state.stale = true;
      return;
    }
    if (state.stale) {
      state.stale = false;
      socket.send(JSON.stringify(this.options.snapshot()));
      return; // the snapshot already holds what this message says
    }
    socket.send(data);
  }

  private beat(): void {
    const data = JSON.stringify({ type: 'heartbeat', serverTime: Date.now() } satisfies FeedMessage);
    for (const [socket, state] of this.clients) {
      state.received = 0;
      if (!state.alive) {
        socket.terminate();
        continue;
      }
      state.alive = false;
      socket.ping();
      this.sendTo(socket, state, data);
    }
  }
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = JSON.stringify({ error: reason });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

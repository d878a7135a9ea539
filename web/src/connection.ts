/**
 * A feed socket that keeps itself alive: it reconnects with jittered
 * exponential back-off, and treats a silent socket as dead, because a
 * half-open TCP connection (sleeping laptop, dropped Wi-Fi, proxy timeout)
 * can look open for minutes.
 */
import type { FeedMessage, FeedMessageType } from '../../src/feed/protocol.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

export interface FeedConnectionOptions {
  readonly url: string;
  readonly onMessage: (message: FeedMessage) => void;
  readonly onState: (state: ConnectionState) => void;
  /** No message for this long means the socket is dead: 3 × the 15 s heartbeat. */
  readonly silenceMs?: number;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Every message type of the protocol: the compiler checks the list is complete. */
const KNOWN: Record<FeedMessageType, true> = { snapshot: true, spike: true, ranking: true, unmet: true, counters: true, heartbeat: true, alert: true };
const MESSAGE_TYPES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

export class FeedConnection {
  private socket: WebSocket | undefined;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly silenceMs: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: FeedConnectionOptions) {
    this.silenceMs = options.silenceMs ?? 45_000;
    this.minDelayMs = options.minDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
  }

  start(): void {
    this.options.onState('connecting');
    this.open();
  }

  private open(): void {
    const socket = new WebSocket(this.options.url);
    this.socket = socket;
    this.watchSilence(); // also bounds a handshake that never completes
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.watchSilence();
      const message = parse(event.data);
      if (!message) return;
      if (message.type === 'snapshot') {
        // Only a snapshot proves the feed works end to end; it also resyncs the wall.
        this.failures = 0;
        this.options.onState('live');
      }
      this.options.onMessage(message);
    };
    socket.onclose = () => {
      if (socket === this.socket) this.retry();
    };
  }

  /** Drops the current socket (if any) and schedules the next attempt. */
  private retry(): void {
    const socket = this.socket;
    this.socket = undefined;
    clearTimeout(this.silenceTimer);
    socket?.close();
    this.options.onState('reconnecting');
    // "Equal jitter": half the back-off fixed, half random, so a room of
    // walls does not reconnect in lockstep after a server restart.
    const backoff = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.failures);
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), backoff / 2 + (Math.random() * backoff) / 2);
  }

  private watchSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => this.retry(), this.silenceMs);
  }
}

function parse(data: unknown): FeedMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null && MESSAGE_TYPES.has((value as { type?: unknown }).type as string)) {
      return value as FeedMessage;
    }
  } catch {
    // A garbled frame is dropped; the next snapshot or ranking repairs the board.
  }
  return undefined;
}

/** `/ws` on the page's own origin, with the page's `?token=` passed on. */
export function feedUrl(location: Location, token: string | undefined): string {
  const url = new URL('/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  return url.href;
}

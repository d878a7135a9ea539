/**
 * For alerting tests: a real local webhook receiver that can be made to
 * fail or go away, and a traffic pump that keeps simulated event time on
 * the wall clock and injects surges on demand.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import type { WebhookBody } from '../../src/alerts/payload.js';
import type { CatalogItem } from '../../src/domain.js';
import { createTraffic, runSimulation, type SpikePlan } from '../../src/sim/index.js';
import { publishEvents, type PublishedEvent } from './events.js';

export interface ReceivedRequest {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: WebhookBody;
  /** What the receiver answered. */
  readonly status: number;
  /** The X-Trendmon-Signature header is the HMAC of the body with the shared secret. */
  readonly signed: boolean;
}

/**
 * A webhook receiver on a fixed local port: `up` answers 200, `failing`
 * answers 503, `stop()` closes the port (connections refused) until
 * `start()` opens it again.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  failing = false;
  private server?: Server;
  private port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/alerts`;
  }

  /** Notifications answered 200, in arrival order. */
  get accepted(): WebhookBody[] {
    return this.requests.filter((r) => r.status === 200).map((r) => r.body);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        const status = this.failing ? 503 : 200;
        const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(text).digest('hex')}`);
        const given = Buffer.from(String(req.headers['x-trendmon-signature'] ?? ''));
        const signed = given.length === expected.length && timingSafeEqual(given, expected);
        this.requests.push({ at: Date.now(), headers: req.headers, body: JSON.parse(text) as WebhookBody, status, signed });
        res.statusCode = status;
        res.end(status === 200 ? 'ok' : 'maintenance');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Publishes simulated traffic up to the wall clock every `tickMs`, so event
 * time keeps pace with real time and windows close as they would live.
 * `surge()` adds spikes starting now.
 */
export class TrafficPump {
  /** Every event published live (after the backfill). */
  readonly published: PublishedEvent[] = [];
  private readonly plans: SpikePlan[] = [];
  private cursor: number;
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  private readonly connections: readonly NatsConnection[];

  /** Publishes to every connection given: the same events, to several NATS servers at once. */
  constructor(
    nc: NatsConnection | readonly NatsConnection[],
    private readonly catalog: readonly CatalogItem[],
    private readonly options: { seed: number; ratePerSec: number; historyMs: number; tickMs?: number },
  ) {
    this.connections = Array.isArray(nc) ? nc : [nc as NatsConnection];
    this.cursor = Math.floor(Date.now() - options.historyMs);
  }

  /** Backfills the history (the simulator in backfill mode, catalog first), then keeps publishing until stop(). */
  async start(): Promise<void> {
    const to = Math.floor(Date.now());
    // Exactly `historyMs` before now: with none, only the catalog (events from the constructor's time on would
    // be published here without being in `published`, and a test counting them exactly would find one too many).
    this.cursor = to - this.options.historyMs;
    for (const nc of this.connections) {
      await runSimulation({ nc, traffic: this.traffic(), catalog: this.catalog, durationMs: to - this.cursor, realtime: false, startTs: this.cursor });
    }
    this.cursor = to;
    this.timer = setInterval(() => {
      this.running = this.running.then(() => this.publishUntilNow());
    }, this.options.tickMs ?? 250);
  }

  /** Surges these skus by `factor` for `durationMs`, starting at the next event published. */
  surge(skus: readonly string[], durationMs: number, factor = 12): void {
    for (const sku of skus) this.plans.push({ sku, startMs: this.cursor, durationMs, factor, rampMs: 1000 });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private traffic() {
    return createTraffic({ seed: this.options.seed, catalog: this.catalog, ratePerSec: this.options.ratePerSec, spikes: this.plans });
  }

  private async publishUntilNow(): Promise<void> {
    const to = Math.floor(Date.now());
    if (to <= this.cursor) return;
    const events = this.traffic().eventsBetween(this.cursor, to).map((e) => ({ subject: e.subject, payload: { ...e.payload } }));
    await Promise.all(this.connections.map((nc) => publishEvents(nc, events)));
    this.published.push(...events);
    this.cursor = to;
  }
}

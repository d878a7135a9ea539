/**
 * The durable outbox between the dispatcher and the receivers, on JetStream
 * (streams/alerts.ts). A notification is stored once per receiver
 * integration, then a worker per integration delivers them one at a time,
 * in order: acked when the receiver took it, nak'ed with a capped,
 * jittered exponential back-off when it failed (so a receiver that is down
 * for minutes gets everything once it is back), terminated when the
 * receiver refuses it for good (a 4xx: retrying would block the queue
 * behind it forever).
 *
 * What survives a restart: everything stored in the stream (7 days). What
 * does not: a notification whose store was still being retried because
 * NATS itself was unreachable (kept in memory meanwhile).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { ensureConsumer, ensureStream, RESUBSCRIBE } from '../nats/jetstream.js';
import { backoffDelay, retry, sleep, type Backoff } from '../retry.js';
import { ALERT_OUTBOX_STREAM, outboxConsumer, outboxSubject } from '../../streams/alerts.js';
import type { AlertFacts } from './history.js';
import type { DeliveryResult } from './receivers/webhook.js';

/** One notification for one receiver integration, as stored in the outbox. */
export interface OutboxEnvelope {
  readonly notificationId: string;
  readonly receiver: string;
  /** `webhook-<index>` or `nats`. */
  readonly integration: string;
  readonly groupKey: string;
  readonly status: 'firing' | 'resolved';
  /** Exactly what is sent. */
  readonly body: string;
  /** The alerts in it, for the history rows of each attempt. */
  readonly alerts: readonly AlertFacts[];
  readonly queuedAt: number;
}

export type Deliver = (envelope: OutboxEnvelope, attempt: number, signal: AbortSignal) => Promise<DeliveryResult>;

export interface OutboxOptions {
  readonly nc: NatsConnection;
  readonly log: Logger;
  /** Called after every delivery attempt (not for attempts cut short by stop()). */
  readonly onAttempt: (envelope: OutboxEnvelope, attempt: number, result: DeliveryResult) => void;
}

/** Storing into the outbox while NATS is unreachable. */
const STORE_RETRY: Backoff = { initialMs: 500, maxMs: 15_000 };

interface Worker {
  readonly receiver: string;
  readonly integration: string;
  readonly deliver: Deliver;
  retry: Backoff;
  readonly abort: AbortController;
  messages?: ConsumerMessages;
  done?: Promise<void>;
}

const encoder = new TextEncoder();

export class Outbox {
  private readonly workers = new Map<string, Worker>();
  private storing: Promise<void> = Promise.resolve();
  /** Aborted by stop(): stores still being retried give up. */
  private readonly stopping = new AbortController();

  private constructor(
    private readonly options: OutboxOptions,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  /** Creates or updates the outbox stream. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const jsm = await jetstreamManager(options.nc);
    await ensureStream(jsm, ALERT_OUTBOX_STREAM);
    return new Outbox(options, jetstream(options.nc), jsm);
  }

  /**
   * Stores a notification; resolves once stored. Stores happen in call
   * order, each retried until NATS takes it (the message id makes a retry
   * after a lost ack harmless).
   */
  enqueue(envelope: OutboxEnvelope): Promise<void> {
    const subject = outboxSubject(envelope.receiver, envelope.integration);
    const data = encoder.encode(JSON.stringify(envelope));
    const msgID = `${envelope.notificationId}.${envelope.integration}`;
    const store = async () => {
      try {
        await retry(() => this.js.publish(subject, data, { msgID }), {
          ...STORE_RETRY,
          signal: this.stopping.signal,
          onRetry: (err, attempt, delay) =>
            this.options.log.warn({ err: (err as Error).message, subject, attempt, delay }, 'cannot store an alert notification in the outbox; retrying'),
        });
      } catch {
        this.options.log.error({ subject, notificationId: envelope.notificationId }, 'stopped before an alert notification could be stored: it is lost');
      }
    };
    this.storing = this.storing.then(store);
    return this.storing;
  }

  /** Starts delivering one integration's queue (no-op when already running; the retry policy is updated). */
  async serve(receiver: string, integration: string, deliver: Deliver, retry: Backoff): Promise<void> {
    const key = `${receiver}.${integration}`;
    const running = this.workers.get(key);
    if (running) {
      running.retry = retry;
      return;
    }
    const config = outboxConsumer(receiver, integration);
    await ensureConsumer(this.jsm, ALERT_OUTBOX_STREAM.name, config);
    const worker: Worker = { receiver, integration, deliver, retry, abort: new AbortController() };
    this.workers.set(key, worker);
    worker.done = this.run(worker, config.durable_name);
  }

  /** Stops delivering an integration's queue; what is queued stays for when it is served again. */
  async unserve(receiver: string, integration: string): Promise<void> {
    const key = `${receiver}.${integration}`;
    const worker = this.workers.get(key);
    if (!worker) return;
    this.workers.delete(key);
    await this.halt(worker);
  }

  /** The integrations being delivered. */
  serving(): { receiver: string; integration: string }[] {
    return [...this.workers.values()].map(({ receiver, integration }) => ({ receiver, integration }));
  }

  /** Stops every worker; waits up to `timeoutMs` for pending stores. */
  async stop(timeoutMs = 5_000): Promise<void> {
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => this.halt(w)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.storing, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.stopping.abort();
  }

  private async halt(worker: Worker): Promise<void> {
    worker.abort.abort();
    worker.messages?.stop();
    await worker.done;
  }

  private async run(worker: Worker, durable: string): Promise<void> {
    const { signal } = worker.abort;
    /** Failures since the consumer last delivered. */
    let failures = 0;
    while (!signal.aborted) {
      try {
        const consumer = await this.js.consumers.get(ALERT_OUTBOX_STREAM.name, durable);
        worker.messages = await consumer.consume({ max_messages: 1 });
        if (signal.aborted) worker.messages.stop();
        for await (const msg of worker.messages) {
          failures = 0;
          await this.handle(worker, msg);
        }
      } catch (err) {
        if (signal.aborted) break;
        const delay = backoffDelay(++failures, RESUBSCRIBE);
        this.options.log.warn({ err: (err as Error).message, durable, delay }, 'alert delivery consumer stopped; resubscribing');
        await sleep(delay, signal).catch(() => undefined); // stopped: the loop ends
      }
    }
  }

  private async handle(worker: Worker, msg: JsMsg): Promise<void> {
    let envelope: OutboxEnvelope;
    try {
      envelope = msg.json<OutboxEnvelope>();
    } catch {
      this.options.log.error({ subject: msg.subject, seq: msg.seq }, 'outbox message is not JSON; dropped');
      msg.term();
      return;
    }
    const attempt = msg.info.deliveryCount;
    const result = await worker.deliver(envelope, attempt, worker.abort.signal);
    if (!result.ok && worker.abort.signal.aborted) {
      msg.nak(); // cut short by stop(): not an attempt the receiver failed
      return;
    }
    this.options.onAttempt(envelope, attempt, result);
    if (result.ok) msg.ack();
    else if (result.permanent) msg.term();
    else msg.nak(backoffDelay(attempt, worker.retry));
  }
}

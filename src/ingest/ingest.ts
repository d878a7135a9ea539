/**
 * The ingest: reads the durable JetStream consumer, validates each message,
 * hands valid events to the batch writer and the live windows, and turns
 * the rest into dead letters. A message is acked only once its row (event
 * or dead letter) is stored.
 */
import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { TrendEvent } from '../domain.js';
import type { Metrics } from '../metrics.js';
import type { DeadLetterRow } from '../store/rows.js';
import { eventRow, TABLE_OF_KIND } from '../store/rows.js';
import type { BatchWriter } from '../store/writer.js';
import { DEAD_LETTER_SUBJECT, EVENTS_STREAM, INGEST_CONSUMER } from '../../streams/events.js';
import { RecentIds } from './recent-ids.js';
import { DEFAULT_LIMITS, parseEvent, type ParseLimits, type RejectReason } from './schemas.js';

export interface IngestOptions {
  readonly nc: NatsConnection;
  readonly writer: BatchWriter;
  /** Receives each distinct valid event once (redeliveries filtered). */
  readonly onEvent: (event: TrendEvent) => void;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly limits?: ParseLimits;
  /** Ids remembered per generation; see RecentIds. */
  readonly recentIdCapacity?: number;
  /** Messages the client buffers ahead of processing. */
  readonly pullBatch?: number;
}

const MAX_STORED_PAYLOAD = 64 * 1024;
const lenientDecoder = new TextDecoder('utf-8');

export class Ingest {
  private messages?: ConsumerMessages;
  private stopped = false;
  private loop?: Promise<void>;
  private readonly recent: RecentIds;
  private readonly limits: ParseLimits;

  constructor(private readonly options: IngestOptions) {
    this.recent = new RecentIds(options.recentIdCapacity ?? 200_000);
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /** Starts consuming; resolves once the consumer is bound. */
  async start(): Promise<void> {
    const js = jetstream(this.options.nc);
    const consumer = await js.consumers.get(EVENTS_STREAM.name, INGEST_CONSUMER.durable_name);
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          this.messages = await consumer.consume({ max_messages: this.options.pullBatch ?? 2_000 });
          for await (const msg of this.messages) {
            this.handle(msg);
            await this.options.writer.whenReady();
          }
        } catch (err) {
          if (this.stopped) break;
          this.options.log.warn({ err }, 'ingest consumer stopped; resubscribing in 1s');
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })();
  }

  /** Stops pulling; what was pulled is acked as the writer stores it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.loop;
  }

  private handle(msg: JsMsg): void {
    const { writer, metrics } = this.options;
    const now = Date.now();
    const result = parseEvent(msg.subject, msg.data, now, this.limits);
    if (!result.ok) {
      this.deadLetter(msg, result.reason, result.detail, now);
      return;
    }
    const event = result.event;
    writer.add(TABLE_OF_KIND[event.kind], eventRow(event, now), () => {
      msg.ack();
      metrics.eventsIngested.inc({ kind: event.kind });
      metrics.endToEndLag.observe(Math.max(0, Date.now() - event.ts) / 1000);
    });
    if (this.recent.add(event.id)) this.options.onEvent(event);
    else metrics.duplicatesDropped.inc();
  }

  private deadLetter(msg: JsMsg, reason: RejectReason, detail: string, now: number): void {
    const { nc, writer, metrics, log } = this.options;
    const h = headers();
    h.set('Trendmon-Reason', reason);
    h.set('Trendmon-Detail', detail.slice(0, 1024));
    h.set('Trendmon-Subject', msg.subject);
    h.set('Trendmon-Stream-Seq', String(msg.seq));
    nc.publish(DEAD_LETTER_SUBJECT, msg.data, { headers: h });
    const row: DeadLetterRow = {
      received_at: now,
      subject: msg.subject,
      reason,
      detail,
      payload: lenientDecoder.decode(msg.data.subarray(0, MAX_STORED_PAYLOAD)),
      payload_bytes: msg.data.byteLength,
      stream_seq: msg.seq,
    };
    writer.add('dead_letters', row, () => {
      msg.ack();
      metrics.eventsRejected.inc({ reason });
    });
    log.debug({ reason, detail, subject: msg.subject, seq: msg.seq }, 'dead letter');
  }
}

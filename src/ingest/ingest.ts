/**
 * The ingest: reads the durable JetStream consumer, validates each message,
 * hands valid events to the batch writer and the live windows, and turns
 * the rest into dead letters. A message is acked only once its row (event
 * or dead letter) is stored.
 */
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import type { TrendEvent } from '../domain.js';
import type { Metrics } from '../metrics.js';
import { RESUBSCRIBE } from '../nats/jetstream.js';
import { backoffDelay, sleep } from '../retry.js';
import type { DeadLetterRow } from '../store/rows.js';
import { eventRow, TABLE_OF_KIND } from '../store/rows.js';
import type { BatchWriter } from '../store/writer.js';
import { DEAD_LETTER_SUBJECT, DUPLICATE_WINDOW_MS, EVENTS_STREAM, INGEST_CONSUMER } from '../../streams/events.js';
import { ConsumerProgress } from './progress.js';
import { RecentIds } from './recent-ids.js';
import { DEFAULT_LIMITS, parseEvent, type ParseLimits, type RejectReason } from './schemas.js';

/** Where an event sits in the stream; read lazily (JetStream parses it from the reply subject). */
export interface Delivery {
  readonly seq: number;
}

export interface IngestOptions {
  readonly nc: NatsConnection;
  readonly writer: BatchWriter;
  /**
   * Receives each distinct valid event once (redeliveries filtered). When it
   * returns a promise (the observations are sent on to other instances), the
   * message is acked only once that resolves too; if it rejects, the message
   * is handed back to JetStream and counted again when redelivered.
   */
  readonly onEvent: (event: TrendEvent, delivery: Delivery) => void | Promise<void>;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly limits?: ParseLimits;
  /** Ids remembered per generation; see RecentIds. */
  readonly recentIdCapacity?: number;
  /** Messages the client buffers ahead of processing. */
  readonly pullBatch?: number;
}

const MAX_STORED_PAYLOAD = 64 * 1024;
/**
 * An event older than this on arrival may repeat one stored earlier that
 * JetStream's duplicate window no longer remembers: a producer's re-publish
 * it did not drop comes at least that window after the first copy, whose
 * event time came before it. Half the window leaves room for producers'
 * clocks running ahead of ours; live traffic arrives well within it.
 */
const MAY_REPEAT_AFTER_MS = DUPLICATE_WINDOW_MS / 2;
/** Longest run of message handling before the loop lets timers and I/O in (event-loop delay). */
const YIELD_EVERY_MS = 10;
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
const lenientDecoder = new TextDecoder('utf-8');

export class Ingest {
  private messages?: ConsumerMessages;
  private stopped = false;
  /** Aborted by stop(): ends a wait to resubscribe. */
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private readonly recent: RecentIds;
  private readonly limits: ParseLimits;
  /** Messages pulled and not yet acked; bounded by the consumer's max_ack_pending. */
  private readonly inFlight = new Set<JsMsg>();
  private keepAlive?: NodeJS.Timeout;
  /** Stream sequence up to which events were already counted by `replay()`. */
  private replayedThrough = 0;
  private progress?: ConsumerProgress;
  private readonly behindState = new BehaviorSubject(true);
  /**
   * True while the ingest cannot show it has every message the stream holds
   * for it (before start, cut off from NATS, or with a backlog): the live
   * windows must not take the silence for an idle stream (ConsumerProgress).
   */
  readonly behind: Observable<boolean> = this.behindState.pipe(distinctUntilChanged());

  constructor(private readonly options: IngestOptions) {
    this.recent = new RecentIds(options.recentIdCapacity ?? 200_000);
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /**
   * Rebuilds the live windows after a start: reads the stream again from
   * `sinceMs` up to its last message, in the order it was first consumed,
   * and hands every distinct valid event to `onReplayed` without storing it
   * (it was stored, or will be when the durable consumer redelivers it).
   * The durable consumer then counts only messages after that point, so no
   * event is counted twice however many were unacked when the app died.
   * Returns the number of events replayed.
   */
  async replay(sinceMs: number, onReplayed: (event: TrendEvent) => void): Promise<number> {
    const jsm = await jetstreamManager(this.options.nc);
    const last = (await jsm.streams.info(EVENTS_STREAM.name)).state.last_seq;
    if (last === 0) return 0;
    const consumer = await jetstream(this.options.nc).consumers.get(EVENTS_STREAM.name, {
      filter_subjects: INGEST_CONSUMER.filter_subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(sinceMs).toISOString(),
    });
    const info = await consumer.info(true);
    let replayed = 0;
    if (info.num_pending > 0) {
      const messages = await consumer.consume({ max_messages: 5_000 });
      for await (const msg of messages) {
        if (msg.seq > last) break;
        const result = parseEvent(msg.subject, msg.data, Date.now(), this.limits);
        if (result.ok && this.recent.add(result.event.id)) {
          onReplayed(result.event);
          replayed++;
        }
        if (msg.seq >= last || msg.info.pending === 0) break;
      }
      messages.stop();
    }
    this.replayedThrough = last;
    return replayed;
  }

  /** Starts consuming; resolves once the consumer is bound. */
  async start(): Promise<void> {
    const js = jetstream(this.options.nc);
    const consumer = await js.consumers.get(EVENTS_STREAM.name, INGEST_CONSUMER.durable_name);
    const { metrics } = this.options;
    const progress = (this.progress = new ConsumerProgress({
      nc: this.options.nc,
      info: () => consumer.info(),
      unacked: () => this.inFlight.size,
      onBacklog: (backlog) => {
        metrics.consumerPending.set(backlog.num_pending);
        metrics.consumerAckPending.set(backlog.num_ack_pending);
      },
    }));
    progress.behind.subscribe((behind) => this.behindState.next(behind));
    // While the store is failing, tell JetStream we are still working on what
    // we hold, so it is not redelivered on top of itself every ack_wait.
    this.keepAlive = setInterval(() => {
      if (!this.options.writer.failing) return;
      for (const msg of this.inFlight) msg.working();
    }, 10_000);
    this.loop = (async () => {
      /** Failures since the consumer last delivered. */
      let failures = 0;
      while (!this.stopped) {
        try {
          this.messages = await consumer.consume({ max_messages: this.options.pullBatch ?? 2_000 });
          let sliceStarted = performance.now();
          for await (const msg of this.messages) {
            failures = 0;
            this.handle(msg);
            progress.handled(this.messages.getPending(), () => msg.info.pending);
            await this.options.writer.whenReady();
            // Buffered messages arrive as microtasks: let timers and I/O run between slices of them.
            if (performance.now() - sliceStarted >= YIELD_EVERY_MS) {
              await new Promise((resolve) => setImmediate(resolve));
              sliceStarted = performance.now();
            }
          }
        } catch (err) {
          if (this.stopped) break;
          const delay = backoffDelay(++failures, RESUBSCRIBE);
          this.options.log.warn({ err, delay }, 'ingest consumer stopped; resubscribing');
          await sleep(delay, this.stopping.signal).catch(() => undefined); // stopped: the loop ends
        }
      }
    })();
  }

  /** Stops pulling; what was pulled is acked as the writer stores it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearInterval(this.keepAlive);
    this.progress?.stop();
    this.messages?.stop();
    // The loop may be parked on a full writer; it ends once that drains or closes.
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, 5_000))]);
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
    this.inFlight.add(msg);
    // Counted during the replay, or a repeat of an id already counted. (`msg.seq` and
    // `msg.redelivered` are parsed from the reply subject, ~0.6 µs a message: each is read
    // only when the cheaper tests before it leave the answer open.)
    const replayed = this.replayedThrough > 0 && msg.seq <= this.replayedThrough;
    const repeated = !replayed && !this.recent.add(event.id);
    if (repeated) metrics.duplicatesDropped.inc();
    const counted = replayed || repeated ? undefined : (this.options.onEvent(event, msg) ?? undefined);
    // Possibly stored already, so the writer looks it up first (src/store/stored-events.ts): a message
    // the stream held before this start (the last run may have stored it unacked), an id this process
    // saw before, an old event (a late re-publish), or a redelivery (another run or instance stored it).
    const mayBeStored = replayed || repeated || now - event.ts >= MAY_REPEAT_AFTER_MS || msg.redelivered;
    // Acked once the row is stored and, when counting is asynchronous, the count sent.
    let waitingFor = counted ? 2 : 1;
    let settled = false;
    const done = () => {
      if (settled || --waitingFor > 0) return;
      settled = true;
      this.inFlight.delete(msg);
      msg.ack();
      metrics.eventsIngested.inc({ kind: event.kind });
      metrics.endToEndLag.observe(Math.max(0, Date.now() - event.ts) / 1000);
    };
    counted?.then(done, (err: unknown) => {
      if (settled) return;
      settled = true;
      this.inFlight.delete(msg);
      this.recent.forget(event.id);
      msg.nak(1_000);
      this.options.log.warn({ seq: msg.seq, err: firstLine(err) }, 'observations not sent; the event will be redelivered');
    });
    writer.add(
      TABLE_OF_KIND[event.kind],
      eventRow(event, now),
      (rejected) => {
        if (settled) return;
        if (rejected === undefined) return done();
        settled = true;
        this.inFlight.delete(msg);
        this.deadLetter(msg, 'store_rejected', `ClickHouse refused the row: ${firstLine(rejected)}`, Date.now());
      },
      mayBeStored,
    );
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
    this.inFlight.add(msg);
    writer.add('dead_letters', row, (rejected) => {
      this.inFlight.delete(msg);
      // A dead letter the store refuses is logged and acked: retrying cannot help.
      if (rejected !== undefined) log.error({ reason, seq: msg.seq, err: firstLine(rejected) }, 'dead letter refused by the store');
      msg.ack();
      metrics.eventsRejected.inc({ reason });
    });
    log.debug({ reason, detail, subject: msg.subject, seq: msg.seq }, 'dead letter');
  }
}

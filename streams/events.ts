/**
 * trendmon's JetStream stream and consumer definitions, as code. The app
 * creates or updates them at start (src/ingest/jetstream.ts).
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, ReplayPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { ConsumerConfig, StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

/**
 * Producer retries carrying Nats-Msg-Id are dropped within this window. Retries
 * come within seconds; the server keeps every id of the window in memory
 * (~1.5M ids at 50k events/s), so longer would cost memory for nothing.
 */
export const DUPLICATE_WINDOW_MS = 30_000;

/** Every event producers publish: `events.search|view|sale[.anything]`. */
export const EVENTS_STREAM: Partial<StreamConfig> & Pick<StreamConfig, 'name'> = {
  name: 'TRENDMON_EVENTS',
  subjects: ['events.>'],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  // A week of replay for rebuilding state or a new consumer; ClickHouse keeps the history.
  max_age: nanos(7 * 24 * 3_600_000),
  duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  num_replicas: 1,
};

/** Rejected messages, republished with their reason (headers) and original payload. */
export const DEAD_LETTER_STREAM: Partial<StreamConfig> & Pick<StreamConfig, 'name'> = {
  name: 'TRENDMON_DLQ',
  subjects: ['dlq.>'],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: nanos(30 * 24 * 3_600_000),
  num_replicas: 1,
};

export const DEAD_LETTER_SUBJECT = 'dlq.events';

/** The durable pull consumer the ingest reads with. */
export const INGEST_CONSUMER: Partial<ConsumerConfig> & { durable_name: string } = {
  durable_name: 'trendmon-ingest',
  filter_subject: 'events.>',
  ack_policy: AckPolicy.Explicit,
  deliver_policy: DeliverPolicy.All,
  replay_policy: ReplayPolicy.Instant,
  // Redelivered if not acked in time; acks follow the ClickHouse insert,
  // which the writer retries, and `working()` extends it while stuck.
  ack_wait: nanos(30_000),
  // Bounds the messages in flight between NATS and ClickHouse: with the
  // writer's buffer, the memory the ingest may hold.
  max_ack_pending: 20_000,
  max_deliver: -1,
};

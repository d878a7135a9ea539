/**
 * The alert outbox: every notification for every receiver integration is
 * stored here before it is delivered, and removed (work-queue retention)
 * once the receiver accepted it. A receiver that is down, or a trendmon
 * restart, loses nothing: delivery resumes from the stream.
 */
import { AckPolicy, DeliverPolicy, DiscardPolicy, ReplayPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { ConsumerConfig, StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

export const ALERT_OUTBOX_STREAM: Partial<StreamConfig> & Pick<StreamConfig, 'name'> = {
  name: 'TRENDMON_ALERT_OUTBOX',
  subjects: ['trendmon.outbox.>'],
  storage: StorageType.File,
  retention: RetentionPolicy.Workqueue,
  discard: DiscardPolicy.Old,
  // A notification nobody could deliver for a week is history, not news.
  max_age: nanos(7 * 24 * 3_600_000),
  // Re-publishing a notification after a lost ack stores it once.
  duplicate_window: nanos(2 * 60_000),
  num_replicas: 1,
};

/** `trendmon.outbox.<receiver>.<integration>`; both names are subject-safe by validation. */
export const outboxSubject = (receiver: string, integration: string) => `trendmon.outbox.${receiver}.${integration}`;

/** One durable consumer per receiver integration, delivering one notification at a time, in order. */
export function outboxConsumer(receiver: string, integration: string): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: `trendmon-alerts-${receiver}-${integration}`,
    filter_subject: outboxSubject(receiver, integration),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    // Longer than the longest attempt (webhook timeouts are at most 60 s): a
    // crash mid-attempt redelivers after this.
    ack_wait: nanos(90_000),
    // In order: the next notification waits until this one is delivered or given up.
    max_ack_pending: 1,
    max_deliver: -1,
  };
}

/**
 * What N trendmon instances share to split the work (docs/scaling.md): the
 * stream that carries each event's observations to the instance owning the
 * key, the KV bucket of partition leases, and the board subjects.
 */
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

/**
 * Observations repartitioned by key: `trendmon.obs.<partition>`. Kept long
 * enough for a new owner to rebuild a partition's windows and baselines
 * (REPLAY, at least one window plus lateness) after a takeover.
 */
export const OBSERVATIONS_STREAM: Partial<StreamConfig> & Pick<StreamConfig, 'name'> = {
  name: 'TRENDMON_OBS',
  subjects: ['trendmon.obs.>'],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: nanos(6 * 3_600_000),
  num_replicas: 1,
};

export const observationSubject = (partition: number) => `trendmon.obs.${partition}`;

/**
 * Leases and membership: `member.<instance>` heartbeats and
 * `partition.<p>` owners. Entries older than the lease TTL expire, so a dead
 * instance's partitions fall free on their own.
 */
export const LEASE_BUCKET = 'trendmon_leases';
export const memberKey = (instance: string) => `member.${instance}`;
export const partitionKey = (partition: number) => `partition.${partition}`;
/** The instance that runs the alert manager for the whole board. */
export const ALERTS_LEASE_KEY = 'alerts';

/** Core NATS subjects of the global board: every instance's wall shows all of it. */
export const boardSubject = (partition: number) => `trendmon.board.${partition}`;
export const BOARD_SUBJECTS = 'trendmon.board.*';
export const COUNTERS_SUBJECT = 'trendmon.counters';
/** Alert views from the instance running the alert manager, for every wall. */
export const ALERTS_BOARD_SUBJECT = 'trendmon.alerts.board';
/** Request-reply: one key's latest window counts, answered by the partition's owner. */
export const windowSubject = (partition: number) => `trendmon.window.${partition}`;

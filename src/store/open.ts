/**
 * The store as the app uses it: ClickHouse opened (or the one given),
 * migrated, its reader checked, retention applied, and the batch writer
 * every row goes through.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Config } from '../config/index.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Metrics } from '../metrics.js';
import { openBatchInserts } from './batch-inserts.js';
import { openClickHouse, type ClickHouse } from './client.js';
import { isRowError } from './errors.js';
import { createReaderAccess, verifyReader } from './reader-access.js';
import { applyRetention } from './retention.js';
import { migrate } from './schema.js';
import { findStoredEvents } from './stored-events.js';
import { BatchWriter, type InsertRows } from './writer.js';

export interface OpenStoreOptions {
  /** An open store to use instead of the configured one; left open on stop. */
  readonly existing?: ClickHouse;
  /** Wraps the insert (fault tests). */
  readonly interceptInsert?: (insert: InsertRows) => InsertRows;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
}

export interface OpenedStore {
  readonly store: ClickHouse;
  readonly writer: BatchWriter;
  /** True while the store fails: the ingest is held back meanwhile. */
  readonly failing: Observable<boolean>;
}

export async function openStore(config: Pick<Config, 'clickhouse' | 'dataDir' | 'batch'>, options: OpenStoreOptions): Promise<OpenedStore> {
  const { clickhouse: settings } = config;
  const { metrics, log, lifecycle } = options;
  const store = options.existing ?? (await openClickHouse({ ...settings, dataDir: config.dataDir }));
  if (!options.existing) lifecycle.onStop(() => store.close());
  const applied = await migrate(store.client, settings);
  if (applied.length) log.info({ versions: applied }, 'schema migrated');
  // Users' SQL runs on the reader: read-only and bounded, or the app does not start.
  const { reader: account, readerLimits } = settings;
  if (account) {
    const access = await createReaderAccess(store.client, settings, account, readerLimits);
    if (!access.created) log.warn({ user: account.user, reason: access.reason }, 'cannot create the read-only user; checking the one the operator made (docs/analytics.md)');
  }
  const refusal = await verifyReader(store.reader, readerLimits, account ? `the reader CLICKHOUSE_READER_USER=${account.user}` : 'the embedded reader session');
  log.info({ refusal }, 'reader is read-only and bounded');
  const retained = await applyRetention(store.client, settings, settings.retention);
  if (retained.length) log.info({ tables: retained, ...settings.retention }, 'retention (TTL) changed');

  // Embedded chDB dies with the app, perhaps mid-insert: the minutes each insert touches are journalled (src/store/batch-inserts.ts).
  const journal = settings.url ? undefined : join(config.dataDir, 'insert-journal');
  const { insert, minutesRolledUpAgain } = await openBatchInserts(store.batches, settings.database, journal);
  if (minutesRolledUpAgain) log.info({ minutes: minutesRolledUpAgain }, 'rolled up again the minutes the last run was inserting when it stopped');
  const failing = new BehaviorSubject(false);
  const writer = new BatchWriter({
    onFailingChange: (isFailing) => failing.next(isFailing),
    insert: options.interceptInsert?.(insert) ?? insert,
    maxRows: config.batch.maxRows,
    maxWaitMs: config.batch.maxWaitMs,
    maxBufferedRows: config.batch.maxRows * 4,
    isRowError,
    findStored: findStoredEvents(store.client, settings.database),
    onAlreadyStored: (table, rows) => metrics.alreadyStored.inc({ table }, rows),
    onInserted: (table, rows, ms) => {
      metrics.insertDuration.observe({ table }, ms / 1000);
      metrics.insertRows.observe({ table }, rows);
      metrics.storeUp.set(1);
    },
    onRetry: (table, err, attempt, delay) => {
      metrics.insertRetries.inc({ table });
      metrics.storeUp.set(0);
      log.warn({ table, attempt, delay, err: (err as Error).message }, 'insert failed; retrying');
    },
  });
  lifecycle.onStop(() => writer.close());
  const bufferedGauge = setInterval(() => metrics.writerBufferedRows.set(writer.buffered), 1000);
  lifecycle.onStop(() => clearInterval(bufferedGauge));
  return { store, writer, failing };
}

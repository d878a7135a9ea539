/**
 * Batches rows per table and inserts them, so ClickHouse sees few large
 * inserts rather than many small ones (field notes: ~1 insert/s/table of
 * 1k-100k rows).
 *
 * - A batch is sealed at `maxRows` rows or `maxWaitMs` after its first row.
 * - Each table inserts one batch at a time, in order; batches sealed while
 *   an insert runs are joined into the next insert (up to `maxRows`). A
 *   failed insert is retried with capped exponential back-off and full jitter until it
 *   succeeds or the writer is closed.
 * - `onStored` callbacks (the JetStream acks) run only after the row's batch
 *   is stored.
 * - Rows that may be stored already (`add(..., mayBeStored)`: redelivered or
 *   repeated events) are looked up with `findStored` before their batch is
 *   first inserted, and those found are left out, so the store's
 *   materialized views see every row once. Batches without such rows cost
 *   no lookup. A retry inserts the same rows with the same token: the
 *   insert may have been stored in full or in part before it failed.
 * - Poison rows: when the store rejects a batch for a reason tied to its
 *   data (`isRowError`), the batch is bisected until the bad rows stand
 *   alone; each is then given up with its error (`onStored(error)`) instead
 *   of being retried forever, and the rest are stored.
 * - Backpressure: rows buffered in all tables are bounded by
 *   `maxBufferedRows`; `whenReady()` waits until there is room, which is how
 *   the consumer stops pulling while the store is slow or down.
 */

import { randomUUID } from 'node:crypto';
import { TrendmonError } from '../errors.js';
import { retry, type Backoff } from '../retry.js';

/**
 * Inserts rows into `table`. `token` names the batch: a retry of the same
 * batch carries the same token, so the store can apply it once
 * (src/store/batch-inserts.ts).
 */
export type InsertRows = (table: string, rows: readonly object[], token: string) => Promise<void>;

/** Called once per row: without an argument when stored, with the error when the store refused that row for good. */
export type OnStored = (rejected?: unknown) => void;

/**
 * Which of `rows` need not be inserted: among the `suspects` (indices of
 * rows that may be stored already), those the store holds and those that
 * repeat an earlier row of the same batch.
 */
export type FindStored = (table: string, rows: readonly object[], suspects: readonly number[]) => Promise<ReadonlySet<number>>;

export interface BatchWriterOptions {
  readonly insert: InsertRows;
  /** True for errors caused by the rows themselves (retrying cannot help). */
  readonly isRowError?: (error: unknown) => boolean;
  /** Without it, rows that may be stored are inserted again. */
  readonly findStored?: FindStored;
  readonly maxRows: number;
  readonly maxWaitMs: number;
  readonly maxBufferedRows: number;
  /** Waits between attempts at an insert the store failed; default 100 ms doubling to 10 s, full jitter. */
  readonly retry?: Backoff;
  readonly onInserted?: (table: string, rows: number, elapsedMs: number) => void;
  /** Rows of an inserted batch left out because they were stored already. */
  readonly onAlreadyStored?: (table: string, rows: number) => void;
  readonly onRetry?: (table: string, error: unknown, attempt: number, delayMs: number) => void;
  /** Called when the store starts failing (true) and when it recovers (false). */
  readonly onFailingChange?: (failing: boolean) => void;
}

interface Batch {
  readonly rows: object[];
  /** Aligned with rows. */
  readonly onStored: (OnStored | undefined)[];
  /** Aligned with rows: true for a row to look up before inserting it. */
  readonly mayBeStored: boolean[];
  /** Set at the first attempt: the rows to insert, and the token every attempt carries. */
  insert?: { readonly rows: readonly object[]; readonly token: string };
}

interface TableQueue {
  open?: Batch;
  timer?: NodeJS.Timeout;
  sealed: Batch[];
  inserting: boolean;
}

export class WriterClosedError extends TrendmonError {
  constructor() {
    super('closed', 'the batch writer is closed');
  }
}

export class BatchWriter {
  private readonly tables = new Map<string, TableQueue>();
  private bufferedRows = 0;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Aborted by close(): inserts being retried give up. */
  private readonly closing = new AbortController();
  private lastError: unknown;
  private readonly backoff: Backoff;

  constructor(private readonly options: BatchWriterOptions) {
    this.backoff = options.retry ?? { initialMs: 100, maxMs: 10_000, jitter: 'full' };
  }

  /** Rows accepted but not yet stored. */
  get buffered(): number {
    return this.bufferedRows;
  }

  /** The store failed the latest insert and it is being retried. */
  get failing(): boolean {
    return this.lastError !== undefined;
  }

  /** Buffers `row`; `mayBeStored` when it may be stored already (see FindStored). */
  add(table: string, row: object, onStored?: OnStored, mayBeStored = false): void {
    if (this.closed) throw new WriterClosedError();
    let queue = this.tables.get(table);
    if (!queue) this.tables.set(table, (queue = { sealed: [], inserting: false }));
    if (!queue.open) {
      queue.open = { rows: [], onStored: [], mayBeStored: [] };
      queue.timer = setTimeout(() => this.seal(table), this.options.maxWaitMs);
    }
    queue.open.rows.push(row);
    queue.open.onStored.push(onStored);
    queue.open.mayBeStored.push(mayBeStored);
    this.bufferedRows++;
    if (queue.open.rows.length >= this.options.maxRows) this.seal(table);
  }

  /** Resolves when the writer has room for more rows. */
  whenReady(): Promise<void> {
    if (this.bufferedRows < this.options.maxBufferedRows) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Seals every open batch and resolves once everything buffered is stored. */
  flush(): Promise<void> {
    for (const table of this.tables.keys()) this.seal(table);
    if (this.bufferedRows === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes, then refuses new rows. Rows still failing are given up when `timeoutMs` passes. */
  async close(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.closed = true;
    this.closing.abort();
    for (const queue of this.tables.values()) clearTimeout(queue.timer);
  }

  private seal(table: string): void {
    const queue = this.tables.get(table);
    if (!queue?.open) return;
    clearTimeout(queue.timer);
    queue.sealed.push(queue.open);
    queue.open = undefined;
    queue.timer = undefined;
    if (!queue.inserting) void this.drain(table, queue);
  }

  private async drain(table: string, queue: TableQueue): Promise<void> {
    queue.inserting = true;
    for (let batch = this.next(queue); batch; batch = this.next(queue)) {
      const stored = await this.store(table, batch);
      if (!stored) break;
      this.release(batch.rows.length);
    }
    queue.inserting = false;
  }

  /**
   * The next insert: the oldest sealed batch, joined by the batches sealed
   * after it while the previous insert ran, up to `maxRows`. A slow store
   * thus gets fewer, larger inserts instead of a queue of small ones.
   */
  private next(queue: TableQueue): Batch | undefined {
    const first = queue.sealed.shift();
    let following = queue.sealed[0];
    if (!first || !following || first.rows.length + following.rows.length > this.options.maxRows) return first;
    const joined: Batch = { rows: [...first.rows], onStored: [...first.onStored], mayBeStored: [...first.mayBeStored] };
    while (following && joined.rows.length + following.rows.length <= this.options.maxRows) {
      queue.sealed.shift();
      for (let i = 0; i < following.rows.length; i++) {
        joined.rows.push(following.rows[i]!);
        joined.onStored.push(following.onStored[i]);
        joined.mayBeStored.push(following.mayBeStored[i]!);
      }
      following = queue.sealed[0];
    }
    return joined;
  }

  /** Stores a batch, bisecting around poison rows; false if the writer closed first. */
  private async store(table: string, batch: Batch): Promise<boolean> {
    const result = await this.insertWithRetry(table, batch);
    if (result === 'closed') return false;
    if (result === 'stored') {
      for (const onStored of batch.onStored) onStored?.();
      return true;
    }
    if (batch.rows.length === 1) {
      batch.onStored[0]?.(result.rowError);
      return true;
    }
    const half = Math.ceil(batch.rows.length / 2);
    const part = (from: number, to?: number): Batch => ({
      rows: batch.rows.slice(from, to),
      onStored: batch.onStored.slice(from, to),
      mayBeStored: batch.mayBeStored.slice(from, to),
    });
    const [left, right] = [part(0, half), part(half)];
    return (await this.store(table, left)) && (await this.store(table, right));
  }

  /** Inserts a batch, retrying what the store fails (not what the rows cause) with back-off until stored or closed. */
  private async insertWithRetry(table: string, batch: Batch): Promise<'stored' | 'closed' | { rowError: unknown }> {
    const isRowError = (error: unknown) => this.options.isRowError?.(error) ?? false;
    try {
      await retry(() => this.insert(table, batch), {
        ...this.backoff,
        signal: this.closing.signal,
        retryable: (error) => !isRowError(error),
        onRetry: (error, attempt, delayMs) => this.options.onRetry?.(table, error, attempt, delayMs),
      });
      return 'stored';
    } catch (error) {
      return isRowError(error) ? { rowError: error } : 'closed';
    }
  }

  /** One attempt at a batch, with the same rows and token every time. */
  private async insert(table: string, batch: Batch): Promise<void> {
    const started = performance.now();
    try {
      batch.insert ??= { rows: await this.notStored(table, batch), token: randomUUID() };
      const { rows, token } = batch.insert;
      if (rows.length > 0) await this.options.insert(table, rows, token);
      this.setFailure(undefined);
      this.options.onInserted?.(table, rows.length, performance.now() - started);
      if (rows.length < batch.rows.length) this.options.onAlreadyStored?.(table, batch.rows.length - rows.length);
    } catch (error) {
      if (!this.options.isRowError?.(error)) this.setFailure(error);
      throw error;
    }
  }

  /** The batch's rows less those `findStored` finds stored already. */
  private async notStored(table: string, batch: Batch): Promise<readonly object[]> {
    const suspects: number[] = [];
    for (let i = 0; i < batch.mayBeStored.length; i++) if (batch.mayBeStored[i]) suspects.push(i);
    if (suspects.length === 0 || !this.options.findStored) return batch.rows;
    const stored = await this.options.findStored(table, batch.rows, suspects);
    return stored.size === 0 ? batch.rows : batch.rows.filter((_, i) => !stored.has(i));
  }

  private setFailure(error: unknown): void {
    const was = this.lastError !== undefined;
    this.lastError = error;
    if (was !== (error !== undefined)) this.options.onFailingChange?.(!was);
  }

  private release(rows: number): void {
    this.bufferedRows -= rows;
    if (this.bufferedRows < this.options.maxBufferedRows) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    if (this.bufferedRows === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of idle) wake();
    }
  }
}

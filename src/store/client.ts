/**
 * One way to reach ClickHouse: @clickhouse/client, over HTTP when a URL is
 * configured, otherwise over embedded chDB (`chdb/connection`). chdb is an
 * optional dependency, loaded only here and only when needed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { TrendmonError } from '../errors.js';

export class EmbeddedClickHouseUnavailableError extends TrendmonError {
  constructor(cause: unknown) {
    super('missing_dependency', 'embedded ClickHouse needs the optional package chdb (`npm install chdb`); or set CLICKHOUSE_URL to a ClickHouse server', { cause });
  }
}

export interface ClickHouseOptions {
  /** http(s)://host:port of a ClickHouse server; undefined for embedded chDB. */
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
  /** PEM CA certificate to trust for an https URL. */
  readonly caCertFile?: string;
  /** Embedded mode keeps its data under `<dataDir>/clickhouse`. */
  readonly dataDir: string;
  /** Limits on the reader; DEFAULT_READER_LIMITS when undefined. */
  readonly readerLimits?: ReaderLimits;
  /** With a URL: the read-only user SQL from users runs as (src/store/reader-access.ts). */
  readonly reader?: { readonly user: string; readonly password: string };
}

/** Limits on analysts' queries (the reader); SQL_MAX_ROWS, SQL_MAX_RESULT_BYTES, SQL_MAX_EXECUTION_TIME. */
export interface ReaderLimits {
  readonly maxRows: number;
  readonly maxResultBytes: number;
  readonly maxExecutionSeconds: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  maxRows: 100_000,
  maxResultBytes: 64 * 1024 * 1024,
  maxExecutionSeconds: 30,
};

/** The reader's settings: a result over the limits is an error, never a silently cut answer. */
export function readerSettings(limits: ReaderLimits) {
  return {
    max_result_rows: String(limits.maxRows),
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: 'throw',
    max_execution_time: limits.maxExecutionSeconds,
    timeout_overflow_mode: 'throw',
  } as const;
}

export interface ClickHouse {
  /** Read-write: migrations, the app's own queries. */
  readonly client: ClickHouseClient;
  /**
   * Read-write, for the batch writer's inserts only (src/store/batch-inserts.ts):
   * each carries its batch's deduplication token, and embedded chDB keeps a
   * setting for the rest of its session, so there it is a session of its own.
   */
  readonly batches: ClickHouseClient;
  /** Read-only within the reader limits, for SQL that comes from users and the analytics API. */
  readonly reader: ClickHouseClient;
  close(): Promise<void>;
}

/**
 * Opens ClickHouse. Over HTTP the reader logs in as its own user, whose
 * settings profile pins read-only and the limits (src/store/reader-access.ts),
 * and asks the server to hold the answer until the query has finished, so a
 * limit hit mid-way is an error response rather than a truncated 200.
 * Embedded chDB has no users and turns per-query settings into session
 * `SET`s, so there the reader is a session of its own with the limits and
 * `readonly = 1` set once, after which they cannot be changed.
 */
export async function openClickHouse(options: ClickHouseOptions): Promise<ClickHouse> {
  if (options.url) {
    if (!options.reader) throw new TrendmonError('invalid_config', 'a ClickHouse server needs the reader account: set CLICKHOUSE_READER_USER and CLICKHOUSE_READER_PASSWORD');
    const base = {
      url: options.url,
      request_timeout: 60_000,
      ...(options.caCertFile ? { tls: { ca_cert: readFileSync(options.caCertFile) } } : {}),
    };
    const client = createClient({ ...base, username: options.user ?? 'default', password: options.password ?? '', clickhouse_settings: { async_insert: 0 } });
    // Its profile holds the limits and forbids changing settings: the request carries none.
    const reader = createClient({ ...base, username: options.reader.user, password: options.reader.password, clickhouse_settings: { wait_end_of_query: 1 } });
    return { client, batches: client, reader, close: async () => void (await Promise.all([client.close(), reader.close()])) };
  }
  let chdb: typeof import('chdb/connection');
  try {
    chdb = await import('chdb/connection');
  } catch (err) {
    throw new EmbeddedClickHouseUnavailableError(err);
  }
  const path = join(options.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // chdb types its Connection against its own copy of @clickhouse/client-common;
  // the shapes are the same, the declarations are not.
  type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const open = () => createClient({ connection: chdb.createChdbConnection({ path }) as unknown as Connection });
  const client = open();
  const batches = open();
  for (const session of [client, batches]) await session.command({ query: 'SET async_insert = 0' });
  const reader = open();
  for (const [name, value] of Object.entries(readerSettings(options.readerLimits ?? DEFAULT_READER_LIMITS))) {
    await reader.command({ query: `SET ${name} = '${String(value)}'` });
  }
  // The Pretty formats would colour their text whenever this process has a terminal; answers go to pipes and files.
  await reader.command({ query: 'SET output_format_pretty_color = 0' });
  await reader.command({ query: 'SET readonly = 1' });
  return { client, batches, reader, close: async () => void (await Promise.all([reader.close(), batches.close(), client.close()])) };
}

/** Quotes an identifier (database or table name) for ClickHouse SQL. */
export function ident(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

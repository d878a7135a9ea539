/**
 * One way to reach ClickHouse: @clickhouse/client, over HTTP when a URL is
 * configured, otherwise over embedded chDB (`chdb/connection`). chdb is an
 * optional dependency, loaded only here and only when needed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

export class EmbeddedClickHouseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      'embedded ClickHouse needs the optional package chdb (`npm install chdb`); or set CLICKHOUSE_URL to a ClickHouse server',
      { cause },
    );
    this.name = 'EmbeddedClickHouseUnavailableError';
  }
}

export interface ClickHouseOptions {
  /** http(s)://host:port of a ClickHouse server; undefined for embedded chDB. */
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
  /** Embedded mode keeps its data under `<dataDir>/clickhouse`. */
  readonly dataDir: string;
}

export async function openClickHouse(options: ClickHouseOptions): Promise<ClickHouseClient> {
  if (options.url) {
    return createClient({
      url: options.url,
      username: options.user ?? 'default',
      password: options.password ?? '',
      request_timeout: 30_000,
      clickhouse_settings: { async_insert: 0 },
    });
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
  const connection = chdb.createChdbConnection({ path }) as unknown as NonNullable<
    Parameters<typeof createClient>[0]
  >['connection'];
  return createClient({ connection });
}

/** Quotes an identifier (database or table name) for ClickHouse SQL. */
export function ident(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

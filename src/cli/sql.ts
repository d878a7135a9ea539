/**
 * `trendmon sql "SELECT ..."`: a read-only query against the configured
 * ClickHouse, its answer in one of ClickHouse's output formats
 * (src/store/output-formats.ts) passed on to `write` as it arrives.
 * Embedded chDB belongs to the running app (one process per data
 * directory), so then the query goes through the app's /api/sql.
 */
import type { Config } from '../config/index.js';
import { errorFromAnswer, TrendmonError } from '../errors.js';
import { openClickHouse } from '../store/client.js';
import { queryError } from '../store/errors.js';
import { queryText, type OutputFormat } from '../store/output-formats.js';
import { assertReadOnly } from '../store/statements.js';

/** Values for the query's `{name:Type}` placeholders. */
export type SqlParams = Readonly<Record<string, string>>;

/** Where the answer goes, chunk by chunk; resolves once the chunk is taken. */
export type Write = (chunk: Uint8Array) => Promise<void>;

/** Passes `chunks` on to `write`; a failure to read them (not to write) becomes `cutShort`'s error. */
async function pass(chunks: AsyncIterable<Uint8Array>, write: Write, cutShort: (err: unknown) => Error): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch (err) {
      throw cutShort(err);
    }
    if (next.done) return;
    await write(next.value);
  }
}

export async function runSql(config: Config, query: string, format: OutputFormat, params: SqlParams, write: Write): Promise<void> {
  if (config.clickhouse.url) {
    assertReadOnly(query);
    const store = await openClickHouse({ ...config.clickhouse, dataDir: config.dataDir });
    try {
      const answer = await queryText(store.reader, query, format, params).catch((err: unknown) => {
        throw queryError(err, 'user');
      });
      await pass(answer, write, (err) => queryError(err, 'user'));
    } finally {
      await store.close();
    }
    return;
  }
  const url = `http://127.0.0.1:${config.http.port}/api/sql`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) },
      body: JSON.stringify({ query, format, params }),
    });
  } catch {
    throw new TrendmonError('unavailable', `no trendmon app answers at ${url}: start it with \`trendmon start\` (embedded ClickHouse is reached through the app), or set CLICKHOUSE_URL`);
  }
  if (!response.ok || !response.body) throw errorFromAnswer(response.status, await response.text());
  await pass(
    response.body as unknown as AsyncIterable<Uint8Array>,
    write,
    (err) => new TrendmonError('unavailable', `the app at ${url} cut the answer short (${(err as Error).message}): what was printed is incomplete`),
  );
}

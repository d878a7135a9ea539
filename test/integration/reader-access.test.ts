/**
 * The reader against embedded ClickHouse: what chDB supports of the
 * read-only user (it parses the statements, but keeps its users in
 * read-only storage and runs every session as `default`), the start-up
 * check passing on the read-only reader session and failing, in one line,
 * on readers that could write or raise their limits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_READER_LIMITS, openClickHouse, readerSettings, type ClickHouse } from '../../src/store/client.js';
import { createReaderAccess, ReaderAccessError, readerAccessStatements, verifyReader } from '../../src/store/reader-access.js';

const account = { user: 'trendmon_reader', password: 'reader-secret' };
type Connection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

describe('the reader on embedded ClickHouse', () => {
  let dir: string;
  let store: ClickHouse;
  /** Another session on the same engine, for readers set up differently. */
  let other: ClickHouseClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trendmon-reader-'));
    store = await openClickHouse({ dataDir: dir });
    other = createClient({ connection: createChdbConnection({ path: join(dir, 'clickhouse') }) as unknown as Connection });
  });

  afterAll(async () => {
    await other?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("parses every statement for the read-only user with ClickHouse's own parser, on one server and on a cluster", async () => {
    for (const target of [{ database: 'trendmon' }, { database: 'trendmon', cluster: 'analytics' }]) {
      for (const statement of readerAccessStatements(target, account, DEFAULT_READER_LIMITS)) {
        const result = await store.client.query({ query: 'SELECT formatQuery({statement:String}) AS formatted', query_params: { statement }, format: 'JSONEachRow' });
        expect((await result.json<{ formatted: string }>())[0]?.formatted).toMatch(/^(CREATE|ALTER|GRANT) /);
      }
    }
  });

  it('cannot create users in chDB, and says why', async () => {
    const access = await createReaderAccess(store.client, { database: 'trendmon' }, account, DEFAULT_READER_LIMITS);
    console.log(`chDB and CREATE SETTINGS PROFILE: ${JSON.stringify(access)}`);
    expect(access).toEqual({ created: false, reason: expect.stringMatching(/Not enough privileges|no writeable access storage/) });
  });

  it('passes the read-only, bounded reader session: raising a limit or leaving read-only is refused', async () => {
    const refusal = await verifyReader(store.reader, DEFAULT_READER_LIMITS, 'the embedded reader session');
    console.log(`the reader's refusal of SETTINGS max_execution_time = 31: ${refusal}`);
    expect(refusal).toMatch(/Cannot modify 'max_execution_time' setting in readonly mode/);
    await expect(store.reader.command({ query: 'SET readonly = 0' })).rejects.toMatchObject({ type: 'READONLY' });
    await expect(store.reader.query({ query: 'SELECT 1', clickhouse_settings: { max_result_rows: '1000000000' } })).rejects.toMatchObject({ type: 'READONLY' });
  });

  it('fails start-up in one line for a reader that may write', async () => {
    const check = verifyReader(store.client, DEFAULT_READER_LIMITS, 'the reader');
    await expect(check).rejects.toBeInstanceOf(ReaderAccessError);
    await expect(check).rejects.toThrow(/^the reader is not bounded: readonly = 0 \(it may write\), max_result_rows = 0 \(wanted 1\.\.100000\), .* "A read-only user for SQL"$/);
  });

  it('fails start-up for a bounded reader that could raise its own limits (readonly = 2), and for limits above the configured ones', async () => {
    for (const [name, value] of Object.entries(readerSettings(DEFAULT_READER_LIMITS))) await other.command({ query: `SET ${name} = '${String(value)}'` });
    await other.command({ query: 'SET readonly = 2' });
    await expect(verifyReader(other, DEFAULT_READER_LIMITS, 'the reader')).rejects.toThrow(
      /^the reader may raise its own limits \(SELECT 1 SETTINGS max_execution_time = 31 ran\)/,
    );
    await expect(verifyReader(store.reader, { ...DEFAULT_READER_LIMITS, maxRows: 10 }, 'the reader')).rejects.toThrow(
      /^the reader is not bounded: max_result_rows = 100000 \(wanted 1\.\.10\)/,
    );
  });
});

/**
 * Inserting the writer's batches so that each is applied once to its table
 * and to every materialized view on it, however its insert ends.
 *
 * ClickHouse writes a table and then its views one after another, not
 * atomically: an insert that fails half-way can leave raw rows stored that
 * some rollups never got. Given the same insert_deduplication_token again,
 * a live server completes it: blocks already written (to the table, to each
 * view) are skipped, the rest are written (the tables keep a deduplication
 * window from schema version 6). So every batch carries a token of its own
 * and its retries the same one.
 *
 * Embedded chDB dies with the app, possibly mid-insert, and then the
 * deduplication record of a view's block can be lost while the block itself
 * was stored (measured: a batch inserted again with its token after a
 * `kill -9` counted twice in the first view of its table). So there the
 * minutes each insert into a raw table touches are first recorded in a
 * journal under DATA_DIR and forgotten once it is done; the next start rolls
 * the recorded minutes up again from the raw tables (rollUpAgainStatements)
 * before it ingests. Rows the interrupted insert did not store come back
 * from JetStream unacked and are inserted then. A ClickHouse server
 * finishes or refuses a whole request when the app dies, so over HTTP there
 * is no journal.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { EventKind } from '../domain.js';
import { ident } from './client.js';
import { Ddl } from './ddl.js';
import { isRowError } from './errors.js';
import { rollUpAgainStatements } from './rollups.js';
import { TABLE_OF_KIND } from './rows.js';
import type { InsertRows } from './writer.js';

/** The raw event tables, read by the rollups' materialized views, and their kinds. */
const KIND_OF_TABLE: ReadonlyMap<string, EventKind> = new Map(Object.entries(TABLE_OF_KIND).map(([kind, table]) => [table, kind as EventKind]));

/** `<table>.<token>.json`: the minutes one insert into `table` touches. */
const JOURNAL_FILE = /^(\w+)\.([\w-]+)\.json$/;

export interface BatchInserts {
  readonly insert: InsertRows;
  /** Minutes rolled up again at opening, which an interrupted insert may have rolled up in part. */
  readonly minutesRolledUpAgain: number;
}

/** The distinct minute starts (epoch seconds) of rows' event times (`ts`, epoch ms). */
function minutesOf(rows: readonly object[]): number[] {
  const minutes = new Set<number>();
  for (const row of rows) minutes.add(Math.floor((row as { ts: number }).ts / 60_000) * 60);
  return [...minutes].sort((a, b) => a - b);
}

/**
 * Opens the writer's inserts into `database`; with a `journalDir` (embedded
 * chDB), first rolls up again the minutes an earlier run was inserting when
 * it stopped. Run it after the schema migrations and before anything is
 * ingested.
 */
export async function openBatchInserts(client: ClickHouseClient, database: string, journalDir?: string): Promise<BatchInserts> {
  const send = (table: string, rows: readonly object[], token: string) =>
    client
      .insert({
        table: `${ident(database)}.${ident(table)}`,
        values: rows as object[],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 },
      })
      .then(() => undefined);
  if (!journalDir) return { insert: send, minutesRolledUpAgain: 0 };

  await mkdir(journalDir, { recursive: true });
  const ddl = new Ddl({ database });
  let minutesRolledUpAgain = 0;
  for (const name of (await readdir(journalDir)).sort()) {
    const kind = KIND_OF_TABLE.get(JOURNAL_FILE.exec(name)?.[1] ?? '');
    if (!kind) continue;
    const file = join(journalDir, name);
    let minutes: number[];
    try {
      minutes = JSON.parse(await readFile(file, 'utf8')) as number[];
    } catch {
      // Written only in part: the run stopped before it began the insert.
      await rm(file, { force: true });
      continue;
    }
    for (const statement of rollUpAgainStatements(ddl, kind, minutes)) await client.command({ query: statement });
    await rm(file, { force: true });
    minutesRolledUpAgain += minutes.length;
  }

  const insert: InsertRows = async (table, rows, token) => {
    if (!KIND_OF_TABLE.has(table)) return send(table, rows, token);
    const file = join(journalDir, `${table}.${token}.json`);
    await writeFile(file, JSON.stringify(minutesOf(rows)));
    try {
      await send(table, rows, token);
    } catch (err) {
      // Kept for the next start unless the store refused the rows themselves (then nothing was stored).
      if (isRowError(err)) await rm(file, { force: true });
      throw err;
    }
    await rm(file, { force: true });
  };
  return { insert, minutesRolledUpAgain };
}

/**
 * The reader: the ClickHouse login that runs SQL coming from users
 * (/api/sql, `trendmon sql`, the analytics API). On a ClickHouse server it is
 * a user of its own (CLICKHOUSE_READER_USER) whose settings profile pins
 * `readonly = 1` and the result and time limits as CONST: with readonly = 1
 * a query may change no setting, and CONST keeps each limit even where
 * readonly were relaxed. (`readonly = 2`, which the reader used to send with
 * each request, lets a query raise its own limits.) Embedded chDB has no
 * users: there the reader is a session with the same settings SET, then
 * `readonly = 1`.
 *
 * At start the app creates the profile, user and grant when its own user
 * may (docs/analytics.md lists the statements for operators otherwise), then
 * checks whatever reader it got: read-only, within the limits, and refused
 * when it tries to raise one.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { TrendmonError } from '../errors.js';
import { readerSettings, ident, type ReaderLimits } from './client.js';
import { literal, type SchemaTarget } from './ddl.js';

export class ReaderAccessError extends TrendmonError {
  constructor(message: string) {
    super('reader_access', message);
  }
}

/** CLICKHOUSE_READER_USER and CLICKHOUSE_READER_PASSWORD. */
export interface ReaderAccount {
  readonly user: string;
  readonly password: string;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

/** ClickHouse's errors for a setting the user may not change: READONLY, SETTING_CONSTRAINT_VIOLATION. */
const REFUSED_SETTING = new Set(['164', '452']);

/**
 * The settings profile (named like the user), the user and its grant on
 * `target`'s database, ON CLUSTER with a cluster. Creating is idempotent; the
 * ALTERs bring an existing profile to the configured limits and attach it.
 */
export function readerAccessStatements(target: SchemaTarget, account: ReaderAccount, limits: ReaderLimits): string[] {
  const onCluster = target.cluster === undefined ? '' : ` ON CLUSTER ${ident(target.cluster)}`;
  const name = ident(account.user);
  const pinned = Object.entries({ readonly: 1, ...readerSettings(limits) })
    .map(([setting, value]) => `${setting} = ${/^\d+$/.test(String(value)) ? value : literal(String(value))} CONST`)
    .join(', ');
  return [
    `CREATE SETTINGS PROFILE IF NOT EXISTS ${name}${onCluster} SETTINGS ${pinned}`,
    `ALTER SETTINGS PROFILE ${name}${onCluster} SETTINGS ${pinned}`,
    `CREATE USER IF NOT EXISTS ${name}${onCluster} IDENTIFIED WITH sha256_password BY ${literal(account.password)} SETTINGS PROFILE ${literal(account.user)}`,
    `ALTER USER ${name}${onCluster} SETTINGS PROFILE ${literal(account.user)}`,
    `GRANT${onCluster} SELECT ON ${ident(target.database)}.* TO ${name}`,
  ];
}

/**
 * Runs readerAccessStatements with the app's own user; when it lacks the
 * rights (or the server keeps users in read-only storage), returns why, and
 * the operator's statements must already be in place.
 */
export async function createReaderAccess(
  client: ClickHouseClient,
  target: SchemaTarget,
  account: ReaderAccount,
  limits: ReaderLimits,
): Promise<{ readonly created: true } | { readonly created: false; readonly reason: string }> {
  try {
    for (const statement of readerAccessStatements(target, account, limits)) await client.command({ query: statement });
    return { created: true };
  } catch (error) {
    return { created: false, reason: firstLine(error) };
  }
}

/**
 * Checks that `reader` is read-only, bounded by at most `limits`, and cannot
 * raise them: it tries `SELECT 1 SETTINGS max_execution_time = <limit + 1>`
 * and expects ClickHouse to refuse. Returns the refusal; throws
 * ReaderAccessError naming what is wrong. `who` names the reader in messages.
 */
export async function verifyReader(reader: ClickHouseClient, limits: ReaderLimits, who: string): Promise<string> {
  const expected = readerSettings(limits);
  const names = ['readonly', ...Object.keys(expected)];
  let current: Record<string, string | number>;
  try {
    const result = await reader.query({ query: `SELECT ${names.map((n) => `getSetting(${literal(n)}) AS ${n}`).join(', ')}`, format: 'JSONEachRow' });
    [current] = (await result.json<Record<string, string | number>>()) as [Record<string, string | number>];
  } catch (error) {
    throw new ReaderAccessError(`${who} cannot query ClickHouse (${firstLine(error)}); create it with the statements in docs/analytics.md, "A read-only user for SQL"`);
  }
  const loose: string[] = [];
  if (Number(current.readonly) < 1) loose.push('readonly = 0 (it may write)');
  for (const [name, limit] of Object.entries(expected)) {
    const value = current[name];
    const bound = /^\d+$/.test(String(limit)); // a limit, where 0 means none; else a mode such as 'throw'
    const within = bound ? Number(value) > 0 && Number(value) <= Number(limit) : value === limit;
    if (!within) loose.push(`${name} = ${String(value)} (wanted ${bound ? `1..${limit}` : limit})`);
  }
  if (loose.length > 0) throw new ReaderAccessError(`${who} is not bounded: ${loose.join(', ')}; give it the settings profile in docs/analytics.md, "A read-only user for SQL"`);

  const probe = `SELECT 1 SETTINGS max_execution_time = ${limits.maxExecutionSeconds + 1}`;
  try {
    await (await reader.query({ query: probe, format: 'JSONEachRow' })).json();
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? '');
    if (REFUSED_SETTING.has(code)) return firstLine(error);
    throw new ReaderAccessError(`${who} failed the settings check (${probe}): ${firstLine(error)}`);
  }
  throw new ReaderAccessError(`${who} may raise its own limits (${probe} ran); pin them with readonly = 1 CONST as in docs/analytics.md, "A read-only user for SQL"`);
}

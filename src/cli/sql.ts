/**
 * `trendmon sql "SELECT ..."`: a read-only query against the configured
 * ClickHouse. Embedded chDB belongs to the running app (one process per data
 * directory), so then the query goes through the app's /api/sql.
 */
import type { Config } from '../config/index.js';
import { errorFromAnswer, TrendmonError } from '../errors.js';
import { openClickHouse } from '../store/client.js';
import { queryError } from '../store/errors.js';
import { assertReadOnly } from '../store/statements.js';

export type SqlOutput = 'table' | 'csv' | 'json';

/** Values for the query's `{name:Type}` placeholders. */
export type SqlParams = Readonly<Record<string, string>>;

async function fetchRows(config: Config, query: string, params: SqlParams): Promise<Record<string, unknown>[]> {
  if (config.clickhouse.url) {
    assertReadOnly(query);
    const store = await openClickHouse({ ...config.clickhouse, dataDir: config.dataDir });
    try {
      const result = await store.reader.query({ query, format: 'JSONEachRow', query_params: params });
      return await result.json<Record<string, unknown>>();
    } catch (err) {
      throw queryError(err, 'user');
    } finally {
      await store.close();
    }
  }
  const url = `http://127.0.0.1:${config.http.port}/api/sql`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) },
      body: JSON.stringify({ query, format: 'json', params }),
    });
  } catch {
    throw new TrendmonError('unavailable', `no trendmon app answers at ${url}: start it with \`trendmon start\` (embedded ClickHouse is reached through the app), or set CLICKHOUSE_URL`);
  }
  const text = await response.text();
  if (!response.ok) throw errorFromAnswer(response.status, text);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const cell = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

export function renderRows(rows: readonly Record<string, unknown>[], output: SqlOutput): string {
  if (output === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns = rows.length ? Object.keys(rows[0]!) : [];
  if (output === 'csv') {
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map(quote).join(','), ...rows.map((r) => columns.map((c) => quote(cell(r[c]))).join(','))].join('\n') + '\n';
  }
  if (rows.length === 0) return '(no rows)\n';
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (values: string[]) => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i]!)).join(' | ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n') + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}

export async function runSql(config: Config, query: string, output: SqlOutput, params: SqlParams = {}): Promise<string> {
  return renderRows(await fetchRows(config, query, params), output);
}

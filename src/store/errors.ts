/** What ClickHouse errors mean for trendmon: bad rows to isolate, and failed queries to explain. */
import { TrendmonError } from '../errors.js';

/**
 * ClickHouse error codes raised when a value cannot be parsed or stored:
 * retrying the same rows cannot succeed, so the writer isolates them.
 */
const ROW_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '321', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
]);

export function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code !== undefined && ROW_ERROR_CODES.has(String(code));
}

/**
 * ClickHouse error types (as @clickhouse/client and chdb report them) for
 * the reader's limits, with what the caller can do about each.
 */
const LIMITS: Readonly<Record<string, string>> = {
  TOO_MANY_ROWS_OR_BYTES: 'the result is over the row or byte limit (SQL_MAX_ROWS, SQL_MAX_RESULT_BYTES): aggregate, filter or add LIMIT',
  TIMEOUT_EXCEEDED: 'the query ran past the time limit (SQL_MAX_EXECUTION_TIME): narrow the time range or read the rollup_* tables',
  TOO_SLOW: 'the query would run past the time limit (SQL_MAX_EXECUTION_TIME): narrow the time range or read the rollup_* tables',
  MEMORY_LIMIT_EXCEEDED: 'the query needs more memory than allowed: aggregate less at once or narrow the range',
};
const FORBIDDEN = new Set(['READONLY', 'ACCESS_DENIED', 'SETTING_CONSTRAINT_VIOLATION']);

/** ClickHouse's error type (e.g. `SYNTAX_ERROR`), when `err` is a ClickHouse error. */
function clickHouseType(err: unknown): string | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type !== '' ? type : undefined;
}

/**
 * A failed query, explained: over the reader's limits (`limit_exceeded`,
 * saying which and what to change), refused as a write (`read_only`), a
 * mistake in SQL a user wrote (`query_error`), or a failure of one of
 * trendmon's own queries (`clickhouse_error`). trendmon's own errors pass
 * through as they are.
 */
export function queryError(err: unknown, origin: 'user' | 'app'): TrendmonError {
  if (err instanceof TrendmonError) return err;
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
  const type = clickHouseType(err);
  if (type && LIMITS[type]) return new TrendmonError('limit_exceeded', `${LIMITS[type]} (${message})`, { cause: err });
  if (type && FORBIDDEN.has(type)) return new TrendmonError('read_only', `read-only: ${message}`, { cause: err });
  if (origin === 'user' && type) return new TrendmonError('query_error', `${type}: ${message}`, { cause: err });
  return new TrendmonError('clickhouse_error', `query failed: ${message}`, { cause: err });
}

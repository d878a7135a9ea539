/**
 * HTTP answers for the API's failures: a JSON body `{ error, code }` with a
 * status that says whose move it is. A bad parameter or bad SQL is the
 * caller's (400), a write attempt is forbidden (403), a query over the
 * reader's limits is refused (422, with what to change), and ClickHouse
 * being unreachable or failing our own queries is ours (502).
 */
import type { NextFunction, Request, Response } from 'express';
import { NotReadOnlyError } from '../store/statements.js';

export class BadRequestError extends Error {
  readonly status = 400;
}

/** A failure of SQL the caller wrote (/api/sql), as opposed to the API's own queries. */
export class UserQueryError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'UserQueryError';
  }
}

export interface ErrorBody {
  readonly error: string;
  readonly code: 'bad_request' | 'query_error' | 'read_only' | 'limit_exceeded' | 'clickhouse_error';
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

const firstLine = (message: string) => message.split('\n')[0]!.trim();

export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof BadRequestError) return { status: 400, body: { error: err.message, code: 'bad_request' } };
  if (err instanceof NotReadOnlyError) return { status: 403, body: { error: err.message, code: 'read_only' } };
  const fromUser = err instanceof UserQueryError;
  const cause = fromUser ? err.cause : err;
  const message = firstLine(cause instanceof Error ? cause.message : String(cause));
  const type = clickHouseType(cause);
  if (type && LIMITS[type]) return { status: 422, body: { error: `${LIMITS[type]} (${message})`, code: 'limit_exceeded' } };
  if (type && FORBIDDEN.has(type)) {
    return { status: 403, body: { error: `read-only: ${message}`, code: 'read_only' } };
  }
  if (fromUser && type) return { status: 400, body: { error: `${type}: ${message}`, code: 'query_error' } };
  return { status: 502, body: { error: `query failed: ${message}`, code: 'clickhouse_error' } };
}

/** Express error middleware for the API's routes. */
export function apiErrorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) {
    // Part of a streamed answer is out: cut the connection so it cannot pass for a complete one.
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const { status, body } = errorResponse(err);
  res.status(status).json(body);
}

/**
 * HTTP answers for the API's failures: a JSON body `{ error, code }` (plus
 * `problems` for an alerting configuration), with the status that the
 * error's code says: whose move it is. A bad parameter or bad SQL is the
 * caller's (400), a write attempt is forbidden (403), a query over the
 * reader's limits or an invalid rule file is refused (422, with what to
 * change), and ClickHouse being unreachable or failing our own queries is
 * ours (502).
 */
import type { NextFunction, Request, Response } from 'express';
import { AlertsConfigError, type ConfigProblem } from '../alerts/rule-schema.js';
import { TrendmonError, type ErrorCode } from '../errors.js';
import { queryError } from '../store/errors.js';

export class BadRequestError extends TrendmonError {
  constructor(message: string) {
    super('bad_request', message);
  }
}

/** The HTTP status for each kind of failure. */
const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  usage: 400,
  bad_request: 400,
  query_error: 400,
  invalid_input: 400,
  read_only: 403,
  not_found: 404,
  busy: 409,
  invalid_rule_file: 422,
  invalid_catalog: 422,
  limit_exceeded: 422,
  backtest_failed: 422,
  invalid_config: 500,
  missing_dependency: 500,
  reader_access: 500,
  clickhouse_error: 502,
  unavailable: 503,
  closed: 503,
};

export interface ErrorBody {
  readonly error: string;
  readonly code: ErrorCode;
  /** An alerting configuration's problems, each located. */
  readonly problems?: readonly ConfigProblem[];
}

export function errorResponse(err: unknown): { status: number; body: ErrorBody } {
  // Not one of ours: the API's own queries failing in ClickHouse.
  const known = queryError(err, 'app');
  const body = { error: known.message, code: known.code, ...(known instanceof AlertsConfigError ? { problems: known.problems } : {}) };
  return { status: HTTP_STATUS[known.code], body };
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

/**
 * trendmon's own errors: failures that explain themselves. Each says what is
 * wrong and what to do about it, so it can be shown as it is, and carries a
 * stable `code` for what kind of failure it is. The command line turns codes
 * into exit statuses (src/cli/exit.ts), the API into HTTP statuses with a
 * JSON body `{ error, code }` (src/api/errors.ts).
 *
 * Anything thrown that is not a TrendmonError was not foreseen: the command
 * line prints its stack, the API answers 5xx.
 */

const ERROR_CODES = [
  /** Command-line arguments. */
  'usage',
  /** Environment variables or TRENDMON_CONFIG. */
  'invalid_config',
  /** An alert rule file (ALERTS_CONFIG, a backtest's --rules, the stored API rules). */
  'invalid_rule_file',
  /** The catalog file (CATALOG_PATH). */
  'invalid_catalog',
  /** Data trendmon was given to read: a series to score, an event, a state file it keeps. */
  'invalid_input',
  /** An API request's parameters or body (rules and silences sent to the API included). */
  'bad_request',
  /** Nothing by that name, e.g. a silence id. */
  'not_found',
  /** One thing at a time, and one is running. */
  'busy',
  /** A statement that would write where only reads are allowed. */
  'read_only',
  /** SQL a user wrote that ClickHouse refused. */
  'query_error',
  /** SQL over the reader's limits (rows, bytes, time, memory). */
  'limit_exceeded',
  /** ClickHouse failed a query of trendmon's own. */
  'clickhouse_error',
  /** ClickHouse's read-only reader account is missing, can write or can lift its limits. */
  'reader_access',
  /** A program or package trendmon needs is not installed (nats-server, chdb). */
  'missing_dependency',
  /** A service trendmon needs did not answer (the running app, NATS). */
  'unavailable',
  /** A backtest could not run over the range asked for. */
  'backtest_failed',
  /** Used after close(). */
  'closed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class TrendmonError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

const isErrorCode = (code: unknown): code is ErrorCode => (ERROR_CODES as readonly unknown[]).includes(code);

/**
 * An error answer of trendmon's API (`{ error, code }`, src/api/errors.ts)
 * back as the error it was, for the command line's requests to the running
 * app; `context` goes before the message.
 */
export function errorFromAnswer(status: number, text: string, context = ''): TrendmonError {
  let body: { error?: unknown; code?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON: the text is the message
  }
  const message = typeof body.error === 'string' ? body.error : text.trim() || `HTTP ${status}`;
  const code = isErrorCode(body.code) ? body.code : status >= 500 ? 'unavailable' : 'bad_request';
  return new TrendmonError(code, context + message);
}

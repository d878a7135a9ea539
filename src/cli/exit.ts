/**
 * Ending the command line's process without losing output. Node hands a
 * large write to a pipe over asynchronously: `process.exit()` right after it
 * drops whatever the pipe had not taken yet (`trendmon score big.csv | wc -l`
 * printed 1,780 of 18,051 lines), while a file or terminal gets everything.
 * And what a failure's exit status and message are.
 */
import { TrendmonError, type ErrorCode } from '../errors.js';

/** Resolves once everything written to `stream` so far has been handed to the OS. */
export function written(stream: NodeJS.WriteStream): Promise<void> {
  // Write callbacks run in order, so an empty write's callback marks the end of the earlier ones.
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Exits with `code` once stdout and stderr hold nothing unwritten. */
export async function exitWhenWritten(code: number): Promise<never> {
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}

/**
 * Exit statuses by error code: 2 when what was asked must change (arguments,
 * configuration, a file, the SQL), 3 when something trendmon needs is
 * missing or not answering (install or start it, then run again), 1 for
 * anything else.
 */
const EXIT_STATUS: Readonly<Record<ErrorCode, 1 | 2 | 3>> = {
  usage: 2,
  invalid_config: 2,
  invalid_rule_file: 2,
  invalid_catalog: 2,
  invalid_input: 2,
  bad_request: 2,
  not_found: 2,
  read_only: 2,
  query_error: 2,
  limit_exceeded: 2,
  backtest_failed: 2,
  reader_access: 2,
  missing_dependency: 3,
  unavailable: 3,
  busy: 3,
  clickhouse_error: 3,
  closed: 1,
};

/** Where to read more, after the message, for the codes whose fix is documented. */
const SEE_ALSO: Partial<Readonly<Record<ErrorCode, string>>> = {
  invalid_config: 'README.md, "Configuration"',
  invalid_rule_file: 'docs/alerts.md',
};

/**
 * What the command line says when a command fails, and its exit status:
 * trendmon's own errors as their message (they say what to do), anything
 * unforeseen with its stack.
 */
export function failure(err: unknown): { message: string; status: number } {
  if (!(err instanceof TrendmonError)) return { message: err instanceof Error ? (err.stack ?? err.message) : String(err), status: 1 };
  const see = SEE_ALSO[err.code];
  return { message: see ? `${err.message} (see ${see})` : err.message, status: EXIT_STATUS[err.code] };
}

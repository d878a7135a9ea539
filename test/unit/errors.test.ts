/**
 * One error type, two faces: trendmon's errors carry a code, which the
 * command line turns into an exit status and the API into an HTTP status
 * with `{ error, code }`.
 */
import { describe, expect, it } from 'vitest';
import { AlertsConfigError } from '../../src/alerts/rule-schema.js';
import { parseApiRules } from '../../src/alerts/rules.js';
import { BadRequestError, errorResponse } from '../../src/api/errors.js';
import { failure } from '../../src/cli/exit.js';
import { ConfigError } from '../../src/config/index.js';
import { errorFromAnswer, TrendmonError } from '../../src/errors.js';
import { NotReadOnlyError } from '../../src/store/statements.js';
import { queryError } from '../../src/store/errors.js';

/** A ClickHouse error as @clickhouse/client reports it. */
const clickHouse = (type: string, message: string) => Object.assign(new Error(message), { type, code: '0' });

describe('trendmon errors', () => {
  it('are TrendmonErrors named after their class, with a code', () => {
    const err = new ConfigError(['PORT="x" is not a number']);
    expect(err).toBeInstanceOf(TrendmonError);
    expect(err).toMatchObject({ name: 'ConfigError', code: 'invalid_config', message: 'PORT="x" is not a number' });
  });

  it('end the command line with the message and an exit status by code', () => {
    expect(failure(new ConfigError(['PORT="x" is not a number']))).toEqual({ message: 'PORT="x" is not a number (see README.md, "Configuration")', status: 2 });
    expect(failure(new NotReadOnlyError('read-only: DROP is not a read'))).toEqual({ message: 'read-only: DROP is not a read', status: 2 });
    expect(failure(new TrendmonError('unavailable', 'no trendmon app answers'))).toEqual({ message: 'no trendmon app answers', status: 3 });
    const bug = failure(new TypeError('x is undefined'));
    expect(bug.status).toBe(1);
    expect(bug.message).toMatch(/^TypeError: x is undefined\n\s+at /);
  });

  it('answer the API with a status by code and { error, code }', () => {
    expect(errorResponse(new BadRequestError('to: must be after from'))).toEqual({ status: 400, body: { error: 'to: must be after from', code: 'bad_request' } });
    expect(errorResponse(new NotReadOnlyError('read-only'))).toMatchObject({ status: 403, body: { code: 'read_only' } });
    expect(errorResponse(new TrendmonError('busy', 'a backtest is already running'))).toMatchObject({ status: 409, body: { code: 'busy' } });
  });

  it('add the located problems of an alerting configuration', () => {
    let err: unknown;
    try {
      parseApiRules({ rules: [{ name: 'x', minScore: 'high' }] });
    } catch (caught) {
      err = caught;
    }
    expect(err).toBeInstanceOf(AlertsConfigError);
    expect(errorResponse(err)).toMatchObject({ status: 400, body: { code: 'bad_request', problems: [{ where: 'request body', field: 'rules[0].minScore' }] } });
    expect(errorResponse(new AlertsConfigError([{ where: 'rules.json:3:5', field: 'rules[0].minScore', reason: 'expected number' }]))).toMatchObject({
      status: 422,
      body: { code: 'invalid_rule_file', error: 'rules.json:3:5 rules[0].minScore: expected number' },
    });
  });

  it('explain ClickHouse failures: limits, writes, bad SQL, and our own queries', () => {
    const limit = queryError(clickHouse('TOO_MANY_ROWS_OR_BYTES', 'Limit for result exceeded, max rows: 10\nstack'), 'user');
    expect(limit).toMatchObject({ code: 'limit_exceeded', message: expect.stringMatching(/^the result is over the row or byte limit \(SQL_MAX_ROWS.*\(Limit for result exceeded, max rows: 10\)$/) });
    expect(queryError(clickHouse('READONLY', 'Cannot execute query in readonly mode'), 'user')).toMatchObject({ code: 'read_only', message: 'read-only: Cannot execute query in readonly mode' });
    expect(queryError(clickHouse('SYNTAX_ERROR', 'Syntax error at position 7'), 'user')).toMatchObject({ code: 'query_error', message: 'SYNTAX_ERROR: Syntax error at position 7' });
    expect(queryError(clickHouse('SYNTAX_ERROR', 'Syntax error'), 'app')).toMatchObject({ code: 'clickhouse_error' });
    expect(errorResponse(new Error('connect ECONNREFUSED 127.0.0.1:8123'))).toEqual({ status: 502, body: { error: 'query failed: connect ECONNREFUSED 127.0.0.1:8123', code: 'clickhouse_error' } });
    const ours = new BadRequestError('bad');
    expect(queryError(ours, 'user')).toBe(ours);
  });

  it('come back from an API answer as the error they were', () => {
    const { body } = errorResponse(new NotReadOnlyError('read-only: INSERT is not a read'));
    expect(errorFromAnswer(403, JSON.stringify(body))).toMatchObject({ code: 'read_only', message: 'read-only: INSERT is not a read' });
    expect(errorFromAnswer(401, '{"error":"a token is required"}', 'the app refused: ')).toMatchObject({ code: 'bad_request', message: 'the app refused: a token is required' });
    expect(errorFromAnswer(502, 'Bad Gateway')).toMatchObject({ code: 'unavailable', message: 'Bad Gateway' });
  });
});

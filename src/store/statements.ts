/**
 * A first look at SQL from users before it reaches the read-only reader:
 * one statement, and one that reads. The reader's `readonly` setting is the
 * real guard; this check makes the answer to a write (or to a statement the
 * embedded engine would let through, such as `KILL QUERY` or a `SET` to the
 * current value) a clear "read-only" instead of whatever the engine says.
 */
import { TrendmonError } from '../errors.js';

export class NotReadOnlyError extends TrendmonError {
  constructor(message: string) {
    super('read_only', message);
  }
}

/** Statements that only read. */
const READING = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

/**
 * The SQL with string literals, quoted identifiers and comments blanked
 * out, so that keywords and semicolons can be found without being fooled
 * by `'a;b'` or `-- DROP`.
 */
export function blankLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    let end: number;
    if (c === "'" || c === '"' || c === '`') {
      end = i + 1;
      while (end < sql.length && sql[end] !== c) end += sql[end] === '\\' ? 2 : 1;
      end += 1;
    } else if (two === '--' || c === '#') {
      end = sql.indexOf('\n', i);
      if (end < 0) end = sql.length;
    } else if (two === '/*') {
      end = sql.indexOf('*/', i + 2);
      end = end < 0 ? sql.length : end + 2;
    } else {
      out += c;
      i++;
      continue;
    }
    out += ' '.repeat(Math.min(end, sql.length) - i);
    i = end;
  }
  return out;
}

/** Throws NotReadOnlyError unless `sql` is a single reading statement. */
export function assertReadOnly(sql: string): void {
  const code = blankLiterals(sql);
  const semicolon = code.indexOf(';');
  if (semicolon >= 0 && code.slice(semicolon + 1).trim() !== '') {
    throw new NotReadOnlyError('read-only: send one statement at a time');
  }
  const keyword = /^[\s(]*([A-Za-z]+)/.exec(code)?.[1]?.toUpperCase();
  if (!keyword || !READING.has(keyword)) {
    throw new NotReadOnlyError(`read-only: only ${[...READING].join(', ')} statements may run${keyword ? `, not ${keyword}` : ''}`);
  }
}

import { describe, expect, it } from 'vitest';
import { assertReadOnly, blankLiterals, NotReadOnlyError } from '../../src/store/statements.js';

describe('assertReadOnly', () => {
  it.each([
    'SELECT 1',
    '  select count() FROM trendmon.events_view FINAL',
    'WITH 1 AS x SELECT x',
    '(SELECT 1) UNION ALL (SELECT 2)',
    '-- a comment\nSELECT 1',
    '/* DROP TABLE x */ SELECT 1;',
    "SELECT 'a; DROP TABLE x' AS s",
    'SHOW TABLES FROM trendmon',
    'DESCRIBE trendmon.catalog',
    'EXPLAIN SELECT 1',
    'EXISTS TABLE trendmon.catalog',
  ])('lets %j through', (sql) => {
    expect(() => assertReadOnly(sql)).not.toThrow();
  });

  it.each([
    ['INSERT INTO t VALUES (1)', /not INSERT/],
    ['SET max_result_rows = 0', /not SET/],
    ['SYSTEM STOP MERGES', /not SYSTEM/],
    ['KILL QUERY WHERE 1', /not KILL/],
    ['-- SELECT\nDROP TABLE x', /not DROP/],
    ['SELECT 1; DROP TABLE x', /one statement/],
    ['', /only SELECT/],
  ])('refuses %j', (sql, message) => {
    expect(() => assertReadOnly(sql)).toThrow(NotReadOnlyError);
    expect(() => assertReadOnly(sql)).toThrow(message);
  });
});

describe('blankLiterals', () => {
  it('blanks strings, quoted identifiers and comments, keeping positions', () => {
    const sql = "SELECT 'it\\'s;' AS `a;b`, \"c\" -- x;\n/* ; */ FROM t";
    const blanked = blankLiterals(sql);
    expect(blanked).toHaveLength(sql.length);
    expect(blanked).not.toContain(';');
    expect(blanked).toMatch(/^SELECT\s+AS\s+,\s+FROM t$/);
  });
});

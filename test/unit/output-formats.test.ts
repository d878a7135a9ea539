/** The output formats user SQL may ask for (src/store/output-formats.ts). */
import { describe, expect, it } from 'vitest';
import { contentType, OUTPUT_FORMAT_NAMES, outputFormat } from '../../src/store/output-formats.js';

describe('output formats', () => {
  it("take ClickHouse's names as they are, and the short names for theirs", () => {
    expect(['CSVWithNames', 'TSV', 'JSONEachRow', 'PrettyCompact', 'Markdown'].map(outputFormat)).toEqual(['CSVWithNames', 'TSV', 'JSONEachRow', 'PrettyCompact', 'Markdown']);
    expect(['table', 'csv', 'tsv', 'json'].map(outputFormat)).toEqual(['PrettyCompact', 'CSVWithNames', 'TSVWithNames', 'JSONEachRow']);
  });

  it('refuse what is not offered: binary, unknown, differently spelt, or smuggling SQL', () => {
    for (const name of ['Parquet', 'xml', 'csvwithnames', 'toString', 'constructor', 'CSV SETTINGS readonly = 0', '']) expect(outputFormat(name), name).toBeUndefined();
  });

  it('name a content type for each', () => {
    expect(contentType('CSVWithNames')).toBe('text/csv');
    expect(contentType('JSONEachRow')).toBe('application/x-ndjson');
    expect(contentType('PrettyCompact')).toBe('text/plain');
    for (const name of OUTPUT_FORMAT_NAMES) expect(contentType(outputFormat(name)!)).toMatch(/^\w+\/[\w.+-]+$/);
  });
});

/**
 * Answers to user SQL (`/api/sql`, `trendmon sql`) in ClickHouse's own
 * output formats: which formats may be asked for, by ClickHouse's name or a
 * short one, and the answer as ClickHouse wrote it, as a stream of bytes.
 */
import type { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

const CSV = 'text/csv';
const TSV = 'text/tab-separated-values';
const NDJSON = 'application/x-ndjson';
const JSON_TYPE = 'application/json';
const TEXT = 'text/plain';

/** The formats offered, each with the content type `/api/sql` answers in. */
const OUTPUT_FORMATS = {
  CSV,
  CSVWithNames: CSV,
  CSVWithNamesAndTypes: CSV,
  TSV,
  TSVWithNames: TSV,
  TSVWithNamesAndTypes: TSV,
  TSVRaw: TSV,
  TabSeparated: TSV,
  TabSeparatedWithNames: TSV,
  TabSeparatedWithNamesAndTypes: TSV,
  TabSeparatedRaw: TSV,
  JSONEachRow: NDJSON,
  JSONStringsEachRow: NDJSON,
  JSONCompactEachRow: NDJSON,
  JSONCompactEachRowWithNames: NDJSON,
  JSON: JSON_TYPE,
  JSONCompact: JSON_TYPE,
  JSONStrings: JSON_TYPE,
  Pretty: TEXT,
  PrettyCompact: TEXT,
  PrettyCompactMonoBlock: TEXT,
  PrettySpace: TEXT,
  Vertical: TEXT,
  Markdown: 'text/markdown',
} as const;

export type OutputFormat = keyof typeof OUTPUT_FORMATS;

/** Short names, as `trendmon sql --format` and `/api/sql` took them before ClickHouse's own. */
const SHORT_NAMES: ReadonlyMap<string, OutputFormat> = new Map([
  ['table', 'PrettyCompact'],
  ['csv', 'CSVWithNames'],
  ['tsv', 'TSVWithNames'],
  ['json', 'JSONEachRow'],
]);

/** Every name `outputFormat` knows, short names first. */
export const OUTPUT_FORMAT_NAMES: readonly string[] = [...SHORT_NAMES.keys(), ...Object.keys(OUTPUT_FORMATS)];

/** The ClickHouse format a name stands for (ClickHouse's own or a short one); undefined for one not offered. */
export function outputFormat(name: string): OutputFormat | undefined {
  return Object.hasOwn(OUTPUT_FORMATS, name) ? (name as OutputFormat) : SHORT_NAMES.get(name);
}

export function contentType(format: OutputFormat): string {
  return OUTPUT_FORMATS[format];
}

/**
 * Runs `query` with `FORMAT format`; resolves with the answer's bytes once
 * ClickHouse has accepted the query (a refusal rejects), to be passed on as
 * they come.
 */
export async function queryText(client: ClickHouseClient, query: string, format: OutputFormat, params: Readonly<Record<string, unknown>>): Promise<Readable> {
  const statement = query.trim().replace(/[\s;]+$/, '');
  const { stream } = await client.exec({ query: `${statement}\nFORMAT ${format}`, query_params: params });
  return stream;
}

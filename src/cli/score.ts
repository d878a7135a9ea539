/**
 * `trendmon score FILE.csv`: the live detector's model on one series of
 * `timestamp,value` rows (see src/detect/series.ts), printed as
 * `timestamp,value,anomaly_score`.
 */
import { readFile } from 'node:fs/promises';
import { scoreSeries } from '../detect/series.js';

export class CsvInputError extends Error {}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?|\d{10,14})$/;

interface Row {
  readonly timestamp: string;
  /** The timestamp as epoch ms: zone-less times are UTC, 10-14 digits are epoch ms. */
  readonly ts: number;
  readonly valueText: string;
  readonly value: number;
}

function epochMs(timestamp: string): number {
  if (/^\d+$/.test(timestamp)) return Number(timestamp);
  const iso = timestamp.replace(' ', 'T');
  return Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
}

/** Parses the CSV: an optional header, then `timestamp,value` rows; errors name the line. */
export function parseSeriesCsv(text: string, file: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (cells.length < 2) throw new CsvInputError(`${file}:${i + 1}: expected timestamp,value`);
    const [timestamp, valueText] = cells as [string, string];
    if (rows.length === 0 && !TIMESTAMP.test(timestamp) && !Number.isFinite(Number(valueText))) continue; // header
    if (!TIMESTAMP.test(timestamp)) {
      throw new CsvInputError(`${file}:${i + 1}: "${timestamp}" is not a timestamp (ISO-8601, YYYY-MM-DD HH:MM:SS or epoch ms)`);
    }
    const value = Number(valueText);
    if (valueText === '' || !Number.isFinite(value)) throw new CsvInputError(`${file}:${i + 1}: "${valueText}" is not a finite number`);
    const ts = epochMs(timestamp);
    if (!Number.isFinite(ts)) throw new CsvInputError(`${file}:${i + 1}: "${timestamp}" is not a valid date`);
    rows.push({ timestamp, ts, valueText, value });
  }
  return rows;
}

export async function scoreFile(file: string, write: (chunk: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CsvInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows = parseSeriesCsv(text, file);
  const scores = scoreSeries(rows);
  const out = ['timestamp,value,anomaly_score'];
  rows.forEach((row, i) => out.push(`${row.timestamp},${row.valueText},${scores[i]!.toFixed(4)}`));
  write(out.join('\n') + '\n');
  return rows.length;
}

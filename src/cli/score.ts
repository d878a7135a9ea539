/**
 * `trendmon score FILE... | DIR [--out DIR]`: the live detector's model on
 * series of `timestamp,value` rows (see src/detect/series.ts), each printed
 * as `timestamp,value,anomaly_score`: to stdout for one file, or one file per
 * input under `--out` (a directory's CSV files keep their relative paths).
 * Many files score in one process, with progress on stderr; a file that
 * cannot be scored is named and skipped, and the rest are scored.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { scoreSeries } from '../detect/series.js';
import { TrendmonError } from '../errors.js';

export class CsvInputError extends TrendmonError {
  constructor(message: string) {
    super('invalid_input', message);
  }
}

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

/** The scored CSV of one input file. */
export async function scoreFile(file: string): Promise<{ csv: string; rows: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CsvInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const rows = parseSeriesCsv(text, file);
  const scores = scoreSeries(rows);
  const out = ['timestamp,value,anomaly_score'];
  rows.forEach((row, i) => out.push(`${row.timestamp},${row.valueText},${scores[i]!.toFixed(6)}`));
  return { csv: out.join('\n') + '\n', rows: rows.length };
}

/** One file to score, and where its scores go relative to `--out`. */
export interface ScoreInput {
  readonly file: string;
  readonly outName: string;
}

/** The CSV files named: files as given, directories searched (recursively) for `*.csv`, in name order. */
export async function scoreInputs(paths: readonly string[]): Promise<ScoreInput[]> {
  const inputs: ScoreInput[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new CsvInputError(`cannot read ${path}: no such file or directory`);
    });
    if (!info.isDirectory()) {
      inputs.push({ file: path, outName: path.split(/[\\/]/).pop()! });
      continue;
    }
    const found = (await readdir(path, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.csv'))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    if (found.length === 0) throw new CsvInputError(`${path} holds no .csv files`);
    inputs.push(...found.map((file) => ({ file, outName: relative(path, file) })));
  }
  return inputs;
}

export interface ScoreReport {
  readonly scored: number;
  readonly rows: number;
  /** Files that could not be scored, with why (file:line where it applies). */
  readonly failed: readonly string[];
}

/**
 * Scores every input: one alone to `write` (stdout), several to `outDir`
 * (one output file each). Goes on past a bad file and reports it.
 */
export async function scoreFiles(
  inputs: readonly ScoreInput[],
  options: { outDir?: string; write: (chunk: string) => Promise<void>; progress?: (done: number, total: number, file: string) => void },
): Promise<ScoreReport> {
  const { outDir, write, progress } = options;
  if (!outDir && inputs.length > 1) {
    throw new CsvInputError(`${inputs.length} files to score: name a directory for their scores with --out DIR`);
  }
  let scored = 0;
  let rows = 0;
  const failed: string[] = [];
  for (const [i, input] of inputs.entries()) {
    try {
      const result = await scoreFile(input.file);
      if (outDir) {
        const target = join(outDir, input.outName);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, result.csv);
      } else {
        await write(result.csv);
      }
      scored++;
      rows += result.rows;
    } catch (err) {
      if (!(err instanceof CsvInputError) || !outDir) throw err;
      failed.push(err.message);
    }
    progress?.(i + 1, inputs.length, input.file);
  }
  return { scored, rows, failed };
}

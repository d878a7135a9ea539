import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvInputError, parseSeriesCsv, scoreFile, scoreFiles, scoreInputs } from '../../src/cli/score.js';
import { poisson } from '../../src/cli/eval/sampling.js';
import { anomalyScore, scoreSeries } from '../../src/detect/series.js';
import { Rng } from '../../src/sim/random.js';

const STEP = 300_000;
const T0 = Date.UTC(2024, 2, 1);

/** Two days of 5-minute counts with a daily cycle and, from row `surgeAt`, a x4 surge for 20 rows. */
function countSeries(surgeAt = 500, rows = 600): number[] {
  const rng = new Rng(5);
  return Array.from({ length: rows }, (_, i) => {
    const hour = ((i * STEP) % 86_400_000) / 3_600_000;
    const rate = 120 * (1 + 0.5 * Math.cos((2 * Math.PI * (hour - 19)) / 24)) * (i >= surgeAt && i < surgeAt + 20 ? 4 : 1);
    return poisson(rng, rate);
  });
}

const iso = (i: number) => new Date(T0 + i * STEP).toISOString().replace('T', ' ').slice(0, 19);

async function score(lines: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'trendmon-score-'));
  const file = join(dir, 'series.csv');
  await writeFile(file, lines.join('\n') + '\n');
  const { csv } = await scoreFile(file);
  return csv.trimEnd().split('\n');
}

describe('trendmon score', () => {
  it('prints one row per input row, timestamps and values exactly as given, scores in [0, 1]', async () => {
    const values = countSeries();
    const input = ['timestamp,value', ...values.map((v, i) => `${iso(i)},${v}`)];
    const out = await score(input);
    expect(out[0]).toBe('timestamp,value,anomaly_score');
    expect(out).toHaveLength(input.length);
    out.slice(1).forEach((line, i) => {
      const [timestamp, value, anomaly] = line.split(',');
      expect(`${timestamp},${value}`).toBe(input[i + 1]);
      const s = Number(anomaly);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    });
  });

  it('scores high only where the spike starts or grows', async () => {
    const values = countSeries(500);
    const scores = scoreSeries(values.map((value, i) => ({ ts: T0 + i * STEP, value })));
    const high = scores.flatMap((s, i) => (s >= 0.5 ? [i] : []));
    expect(high[0]).toBe(500); // four times the level is extreme: the first surge row opens it
    // Then while it keeps making new highs; not on the rest of its plateau, nor before or after.
    expect(high.every((i) => i >= 500 && i < 510)).toBe(true);
    expect(Math.max(...scores.slice(0, 500))).toBeLessThan(0.5);
    expect(Math.max(...scores.slice(510))).toBeLessThan(0.5);
  });

  it('is causal: each row is scored from that row and earlier rows only', () => {
    const points = countSeries().map((value, i) => ({ ts: T0 + i * STEP, value }));
    const full = scoreSeries(points);
    for (const cut of [1, 2, 13, 300, 502]) expect(scoreSeries(points.slice(0, cut))).toEqual(full.slice(0, cut));
  });

  it('scores series that are not counts with the plain-value model, from the first such value on', () => {
    const rng = new Rng(9);
    // (The step comes once the record of surprises is no longer young, 36 h after the first day: it scores from its first row.)
    const points = Array.from({ length: 850 }, (_, i) => ({
      ts: T0 + i * STEP,
      value: -3 + 0.2 * Math.sin(i / 30) + 0.05 * rng.normal() + (i >= 750 && i < 760 ? 1.5 : 0),
    }));
    const scores = scoreSeries(points);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.flatMap((s, i) => (s >= 0.5 ? [i] : []))[0]).toBe(750);
    expect(Math.max(...scores.slice(20, 750))).toBeLessThan(0.5);
  });

  it('reads ISO-8601 with a zone, "YYYY-MM-DD HH:MM:SS" as UTC, and epoch ms, with or without a header', () => {
    const rows = parseSeriesCsv(['2024-03-01T10:00:00+02:00,1', '2024-03-01 08:05:00,2', '1709280600000,3'].join('\n'), 'f.csv');
    expect(rows.map((r) => r.ts)).toEqual([Date.UTC(2024, 2, 1, 8, 0), Date.UTC(2024, 2, 1, 8, 5), 1709280600000]);
    expect(parseSeriesCsv('time,count\n2024-03-01 08:05:00,2\n', 'f.csv')).toHaveLength(1);
  });

  it('names the line of a bad row', () => {
    expect(() => parseSeriesCsv('2024-03-01 08:00:00,1\nyesterday,2\n', 'f.csv')).toThrow(new CsvInputError('f.csv:2: "yesterday" is not a timestamp (ISO-8601, YYYY-MM-DD HH:MM:SS or epoch ms)'));
    expect(() => parseSeriesCsv('2024-03-01 08:00:00,1\n2024-03-01 08:05:00,NaN\n', 'f.csv')).toThrow(/f\.csv:2: "NaN" is not a finite number/);
  });

  it('maps the alarm to 0.5 exactly at the threshold, monotone and never reaching 1', () => {
    expect(anomalyScore(0, 10)).toBe(0);
    expect(anomalyScore(10, 10)).toBeCloseTo(0.5, 12);
    expect(anomalyScore(20, 10)).toBeCloseTo(2 / 3, 12);
    const alarms = [0.1, 1, 5, 10, 50, 500, 5000, 50_000];
    const scores = alarms.map((a) => anomalyScore(a, 10));
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeGreaterThan(scores[i - 1]!);
    expect(scores[scores.length - 1]!).toBeLessThan(1);
  });

  it('scores a directory of series into --out, keeping their relative paths, and names a bad file without stopping', async () => {
    const root = await mkdtemp(join(tmpdir(), 'trendmon-score-many-'));
    const dir = join(root, 'in');
    const values = countSeries();
    await mkdir(join(dir, 'shop'), { recursive: true });
    await writeFile(join(dir, 'a.csv'), values.map((v, i) => `${iso(i)},${v}`).join('\n'));
    await writeFile(join(dir, 'shop', 'b.csv'), values.slice(0, 300).map((v, i) => `${iso(i)},${v / 7}`).join('\n'));
    await writeFile(join(dir, 'shop', 'broken.csv'), `${iso(0)},1\nnot a time,2\n`);
    await writeFile(join(dir, 'notes.txt'), 'not a series');
    const inputs = await scoreInputs([dir]);
    expect(inputs.map((i) => i.outName)).toEqual(['a.csv', join('shop', 'b.csv'), join('shop', 'broken.csv')]);
    const out = join(root, 'out');
    const progress: number[] = [];
    const report = await scoreFiles(inputs, { outDir: out, write: async () => undefined, progress: (done) => progress.push(done) });
    expect(report).toMatchObject({ scored: 2, rows: values.length + 300 });
    expect(report.failed).toEqual([`${join(dir, 'shop', 'broken.csv')}:2: "not a time" is not a timestamp (ISO-8601, YYYY-MM-DD HH:MM:SS or epoch ms)`]);
    expect(progress).toEqual([1, 2, 3]);
    const a = (await readFile(join(out, 'a.csv'), 'utf8')).trimEnd().split('\n');
    expect(a).toHaveLength(values.length + 1);
    expect((await readFile(join(out, 'shop', 'b.csv'), 'utf8')).split('\n')[0]).toBe('timestamp,value,anomaly_score');
  });

  it('needs --out for more than one file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trendmon-score-two-'));
    for (const name of ['x.csv', 'y.csv']) await writeFile(join(dir, name), `${iso(0)},1\n`);
    await expect(scoreFiles(await scoreInputs([dir]), { write: async () => undefined })).rejects.toThrow(/2 files to score: name a directory for their scores with --out DIR/);
  });
});

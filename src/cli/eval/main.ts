/**
 * `npm run eval`: the full evaluation of the spike detector on labelled
 * series. Prints the results table, writes it into docs/detection.md
 * (between the eval markers) with the charts next to it, and exits 1 when a
 * target is missed.
 *
 *   npm run eval                      # full run, writes docs/
 *   npm run eval -- --small           # the CI-sized run
 *   npm run eval -- --series 50 --days 5 --seed 3 --no-write
 *   npm run eval -- --projection | --unmet     # the planners' evaluations (src/cli/eval/planning/main.ts)
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { endProgress, progressLine } from '../progress.js';
import { planningEval, wantsPlanningEval } from './planning/main.js';
import { evaluate, FULL_EVAL, missedTargets, SMALL_EVAL, type EvalSettings } from './evaluate.js';
import { exampleChart, markdownTable, resultsChart } from './report.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const BEGIN = '<!-- eval:begin -->';
const END = '<!-- eval:end -->';

async function main(): Promise<number> {
  // The planners' evaluations (projection calibration, unmet demand) have their own flags.
  if (wantsPlanningEval(process.argv.slice(2))) return planningEval(process.argv.slice(2));
  const { values } = parseArgs({
    options: {
      small: { type: 'boolean', default: false },
      series: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const base = values.small ? SMALL_EVAL : FULL_EVAL;
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  const settings: EvalSettings = {
    ...base,
    series: positive('series', values.series, base.series),
    days: positive('days', values.days, base.days),
    seed: positive('seed', values.seed, base.seed),
  };

  const started = performance.now();
  const report = evaluate(settings, (done, total, scenario) => {
    if (done % 10 === 0 || done === total) progressLine(`eval ${done}/${total} series (${scenario})`);
  });
  endProgress();
  const table = markdownTable(report);
  process.stdout.write(`${table}\n\n${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  if (!values['no-write']) {
    const docPath = join(DOCS, 'detection.md');
    const doc = await readFile(docPath, 'utf8');
    const begin = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    if (begin < 0 || end < begin) throw new Error(`${docPath} lacks the ${BEGIN} ... ${END} markers`);
    const command = `npm run eval${values.small ? ' -- --small' : ''}`;
    const section = `${BEGIN}\nResults of \`${command}\`:\n\n${table}\n\n![Results per scenario](detection-results.svg)\n\n![An example series](detection-example.svg)\n`;
    await writeFile(docPath, doc.slice(0, begin) + section + doc.slice(end));
    await writeFile(join(DOCS, 'detection-results.svg'), resultsChart(report));
    await writeFile(join(DOCS, 'detection-example.svg'), exampleChart(report));
    process.stdout.write(`wrote docs/detection.md, docs/detection-results.svg, docs/detection-example.svg\n`);
  }

  const missed = missedTargets(report);
  for (const line of missed) process.stderr.write(`target missed: ${line}\n`);
  return missed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`eval: ${err.message}\n`);
    process.exit(2);
  },
);

/**
 * `npm run eval -- --projection` and `npm run eval -- --unmet`: the
 * planners' evaluations (src/cli/eval/planning). Prints the tables, writes them
 * into docs/planning.md (between its markers) with the charts next to it,
 * and exits 1 when the projection misses its coverage target.
 *
 *   npm run eval -- --projection            # full run, writes docs/
 *   npm run eval -- --projection --small    # the CI-sized run
 *   npm run eval -- --unmet [--small] [--seed 3] [--no-write]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { endProgress, progressLine } from '../../progress.js';
import { evaluateProjection, FULL_PROJECTION_EVAL, missedCoverage, SMALL_PROJECTION_EVAL } from './projection.js';
import { calibrationChart, leadChart, projectionTable, unmetTable } from './report.js';
import { evaluateUnmet, FULL_UNMET_EVAL, SMALL_UNMET_EVAL } from './unmet.js';

const DOCS = fileURLToPath(new URL('../../../../docs/', import.meta.url));

/** Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in docs/planning.md. */
async function writeSection(name: string, body: string): Promise<void> {
  const path = join(DOCS, 'planning.md');
  const doc = await readFile(path, 'utf8');
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} lacks the ${begin} ... ${end} markers`);
  await writeFile(path, `${doc.slice(0, from)}${begin}\n${body}\n${doc.slice(to)}`);
}

/** Whether these arguments ask for a planners' evaluation. */
export const wantsPlanningEval = (args: readonly string[]) => args.includes('--projection') || args.includes('--unmet');

export async function planningEval(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      projection: { type: 'boolean', default: false },
      unmet: { type: 'boolean', default: false },
      small: { type: 'boolean', default: false },
      seed: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  const write = !values['no-write'];
  const command = (flag: string) => `npm run eval -- ${flag}${values.small ? ' --small' : ''}${seed !== undefined ? ` --seed ${seed}` : ''}`;
  let code = 0;
  if (values.projection) {
    const base = values.small ? SMALL_PROJECTION_EVAL : FULL_PROJECTION_EVAL;
    const report = evaluateProjection({ ...base, ...(seed !== undefined ? { seed } : {}) }, (done, total, stage) => {
      if (done % 20 === 0 || done === total) progressLine(`projection eval ${done}/${total} series (${stage})`);
    });
    endProgress();
    const table = projectionTable(report);
    process.stdout.write(`${table}\n\n`);
    if (write) {
      await writeSection(
        'projection',
        `Results of \`${command('--projection')}\`:\n\n${table}\n\n![Calibration per surge shape](planning-calibration.svg)\n\n![Sales peak after the first alert](planning-lead.svg)\n`,
      );
      await writeFile(join(DOCS, 'planning-calibration.svg'), calibrationChart(report));
      await writeFile(join(DOCS, 'planning-lead.svg'), leadChart(report));
      process.stdout.write('wrote docs/planning.md, docs/planning-calibration.svg, docs/planning-lead.svg\n');
    }
    const missed = missedCoverage(report);
    for (const line of missed) process.stderr.write(`target missed: ${line}\n`);
    if (missed.length) code = 1;
  }
  if (values.unmet) {
    const base = values.small ? SMALL_UNMET_EVAL : FULL_UNMET_EVAL;
    const report = evaluateUnmet({ ...base, ...(seed !== undefined ? { seed } : {}) }, (done, total) => progressLine(`unmet eval ${done}/${total} shops`));
    endProgress();
    const table = unmetTable(report);
    process.stdout.write(`${table}\n\n`);
    if (write) {
      await writeSection('unmet', `Results of \`${command('--unmet')}\`:\n\n${table}\n`);
      process.stdout.write('wrote docs/planning.md\n');
    }
  }
  return code;
}

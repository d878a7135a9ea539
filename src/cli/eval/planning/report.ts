/**
 * The planners' evaluations as people read them: markdown tables for
 * docs/planning.md and two SVG charts (calibration per surge shape; lead
 * time of the first alert over the sales peak per shape). Plain strings.
 */
import { line, rect, svgOpen, text } from '../report.js';
import { SURGE_SHAPE_KINDS } from '../../../sim/shapes.js';
import { COVERAGE_TARGET, type ProjectionReport, type ShapeMetrics } from './projection.js';
import type { UnmetFamilyMetrics, UnmetReport } from './unmet.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');
const hours = (ms: number) => (Number.isFinite(ms) ? `${(ms / 3_600_000).toFixed(1)} h` : '–');
const minutes = (ms: number) => (Number.isFinite(ms) ? `${(ms / 60_000).toFixed(1)} min` : '–');

/** Calibration and error per surge shape, then overall. */
export function projectionTable(report: ProjectionReport): string {
  const { settings } = report;
  const header =
    '| surge shape | surges | alerted | 80% interval holds, 24 h | 80% interval holds, 7 d | later checks, 24 h / 7 d | MdAPE 24 h | MdAPE 7 d | first alert after onset | sales peak after first alert (median) |\n' +
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const row = (name: string, m: ShapeMetrics) =>
    `| ${name} | ${m.surges} | ${m.found} | ${pct(m.coverage24h)} | ${pct(m.coverage7d)} | ${pct(m.laterCoverage24h)} / ${pct(m.laterCoverage7d)} (${m.checkpoints}) | ` +
    `${pct(m.mdape24h)} | ${pct(m.mdape7d)} | ${hours(m.medianDelayMs)} | ${hours(m.medianLeadMs)} |`;
  return [
    `Seed ${settings.seed}; ${settings.categories} categories with ${settings.trainingPerCategory} past surges each (${report.library} of them alerted, and make the history); ` +
      `${settings.surges} surges projected; ${settings.stepMs / 60_000}-minute windows; the first alert of each surge (default rule: every spike).`,
    '',
    header,
    ...SURGE_SHAPE_KINDS.map((kind) => row(kind, report.byShape[kind])),
    row('**all shapes**', report.overall),
    '',
    `Target: the 80% interval holds ${COVERAGE_TARGET.min * 100}-${COVERAGE_TARGET.max * 100}% of what really sold, per shape and overall. ` +
      '"Later checks" are the same projections 1 h, 6 h and 24 h into the alert while it still fires (in brackets: how many). ' +
      'MdAPE: median of |projected median - sold| / sold.',
  ].join('\n');
}

/** Recall and delay of unmet demand per family. */
export function unmetTable(report: UnmetReport): string {
  const { settings } = report;
  const row = (name: string, m: UnmetFamilyMetrics) =>
    `| ${name} | ${m.planned} | ${m.found} | ${pct(m.recall)} | ${minutes(m.medianDelayMs)} | ${minutes(m.p90DelayMs)} |`;
  return [
    `Seed ${settings.seed}; ${settings.runs} simulated shops of ${settings.hours} h at ${settings.ratePerSec} events/s, ${settings.plans} unmet searches each; ` +
      `${settings.windows.sizeMs / 60_000}-minute windows every ${settings.windows.slideMs / 1000} s; ${Math.round(report.events).toLocaleString('en-US')} events in ${report.seconds.toFixed(0)} s.`,
    '',
    '| family | planned | found | recall | delay p50 | delay p90 |',
    '|---|--:|--:|--:|--:|--:|',
    row('emerging (searched by a trickle before)', report.byFamily.emerging),
    row('new (never searched before)', report.byFamily.new),
    row('**all**', report.overall),
    '',
    `False unmet-demand alerts (about nothing planned): ${report.falseAlerts}. Delay: from the start of the searches' rise to the first \`unmet="true"\` alert.`,
  ].join('\n');
}

/** Coverage of the 80% interval per shape, 24 h and 7 d, against the 75-85% target band. */
export function calibrationChart(report: ProjectionReport): string {
  const rows: [string, ShapeMetrics][] = [...SURGE_SHAPE_KINDS.map((k) => [k, report.byShape[k]] as [string, ShapeMetrics]), ['all shapes', report.overall]];
  const label = 110;
  const panel = 300;
  const rowH = 40;
  const top = 56;
  const width = label + panel + 200;
  const height = top + rows.length * rowH + 40;
  const x = (v: number) => label + v * panel;
  const out = [
    svgOpen(width, height),
    text(label, 20, 'Share of real outcomes inside the 80% interval (first alert)', 'start', 13, 'bold'),
    rect(x(COVERAGE_TARGET.min), top - 14, x(COVERAGE_TARGET.max) - x(COVERAGE_TARGET.min), rows.length * rowH + 8, '#dff3e3'),
    text((x(COVERAGE_TARGET.min) + x(COVERAGE_TARGET.max)) / 2, top - 18, 'target 75-85%', 'middle', 10, 'normal', '#2e7d32'),
  ];
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(line(x(v), top - 8, x(v), top + rows.length * rowH, '#ddd', 1));
    out.push(text(x(v), top + rows.length * rowH + 14, pct(v), 'middle', 10, 'normal', '#666'));
  }
  rows.forEach(([name, m], i) => {
    const y = top + i * rowH;
    out.push(text(label - 8, y + 18, name, 'end', 12));
    out.push(rect(label, y + 4, Math.max(0, m.coverage24h || 0) * panel, 12, '#2e86c1'));
    out.push(rect(label, y + 18, Math.max(0, m.coverage7d || 0) * panel, 12, '#e67e22'));
    out.push(text(x(1) + 8, y + 14, `24 h ${pct(m.coverage24h)}  MdAPE ${pct(m.mdape24h)}`, 'start', 10));
    out.push(text(x(1) + 8, y + 28, `7 d ${pct(m.coverage7d)}  MdAPE ${pct(m.mdape7d)}  (n=${m.found})`, 'start', 10));
  });
  out.push(rect(label, height - 16, 10, 10, '#2e86c1'), text(label + 14, height - 7, '24 h', 'start', 10));
  out.push(rect(label + 60, height - 16, 10, 10, '#e67e22'), text(label + 74, height - 7, '7 d', 'start', 10));
  out.push('</svg>');
  return out.join('\n');
}

/** How long after the first alert each shape's sales peaked within the day (median): searches leading sales, as a number. */
export function leadChart(report: ProjectionReport): string {
  const rows: [string, ShapeMetrics][] = [...SURGE_SHAPE_KINDS.map((k) => [k, report.byShape[k]] as [string, ShapeMetrics]), ['all shapes', report.overall]];
  const label = 110;
  const panel = 360;
  const rowH = 26;
  const top = 40;
  const maxHours = Math.max(1, ...rows.map(([, m]) => (Number.isFinite(m.medianLeadMs) ? m.medianLeadMs / 3_600_000 : 0)));
  const width = label + panel + 80;
  const height = top + rows.length * rowH + 30;
  const x = (h: number) => label + (h / maxHours) * panel;
  const out = [svgOpen(width, height), text(label, 20, 'Sales peak after the first alert (median hours)', 'start', 13, 'bold')];
  rows.forEach(([name, m], i) => {
    const y = top + i * rowH;
    const h = Number.isFinite(m.medianLeadMs) ? m.medianLeadMs / 3_600_000 : 0;
    out.push(text(label - 8, y + 15, name, 'end', 12));
    out.push(rect(label, y + 4, x(h) - label, rowH - 8, '#5e9e6e'));
    out.push(text(x(h) + 6, y + 15, Number.isFinite(m.medianLeadMs) ? hours(m.medianLeadMs) : 'no alert', 'start', 11));
  });
  out.push('</svg>');
  return out.join('\n');
}

/**
 * The evaluation's outputs: a markdown table for docs/detection.md and two
 * SVG charts (results per scenario; one labelled series as the detector
 * saw it). Plain strings, no dependencies.
 */
import { hashSeed } from '../../hash.js';
import type { KeyStep } from '../../detect/key-model.js';
import { anomalyScore } from '../../detect/series.js';
import { FAMILY_TARGETS, runSeries, TARGETS, type EvalReport, type Metrics, type ScenarioResult } from './evaluate.js';
import type { LabelledSeries } from './labelled.js';
import { SCENARIOS } from './scenarios.js';

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const count = (x: number) => new Intl.NumberFormat('en-US').format(Math.round(x));

/** The results as a markdown table, one row per scenario, then the pooled rows. */
export function markdownTable(report: EvalReport): string {
  const { settings } = report;
  const header =
    '| scenario | series | key-days | rises found | falls found | false alarms | precision | recall | delay p50 / p90 (rises) | delay p50 (falls) | false alarms / 100 key-days | window score |\n' +
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const found = (d: Metrics['rises']) => (d.labels ? `${d.found} / ${d.labels}` : '–');
  const row = (name: string, m: Metrics, windowScore?: number) =>
    `| ${name} | ${m.series} | ${count(m.keyDays)} | ${found(m.rises)} | ${found(m.falls)} | ${m.falseAlarms} | ${fixed(m.precision, 3)} | ` +
    `${fixed(m.recall, 3)} | ${fixed(m.rises.medianDelay, 0)} / ${fixed(m.rises.p90Delay, 0)} | ${fixed(m.falls.medianDelay, 0)} | ` +
    `${fixed(m.falseAlarmsPer100KeyDays, 2)} | ${windowScore === undefined ? '' : fixed(windowScore, 1)} |`;
  const name = (r: ScenarioResult) => (r.scenario.group === 'reported' ? `${r.scenario.name} *` : r.scenario.group === 'family' ? `**${r.scenario.name}**` : r.scenario.name);
  return [
    `Seed ${settings.seed}; ${settings.series} series of ${settings.days} days per scenario; ` +
      `${settings.stepMs / 60_000}-minute windows, one per slide; detector defaults.`,
    '',
    header,
    ...report.scenarios.map((r) => row(name(r), r, r.windowScore)),
    row('**all shop scenarios**', report.overall),
    row('**shop scenarios without rises**', report.quiet),
    '',
    '\\* reported, not part of the targets (see "Limits"); **bold**: the real-world families of issue 15.',
    '',
    `Targets: on the shop scenarios' rises recall >= ${TARGETS.recall}, precision >= ${TARGETS.precision}, median delay <= ${TARGETS.medianDelay} slide, ` +
      `<= ${TARGETS.falseAlarmsPer100KeyDays} false alarm per 100 key-days without rises; each family recall >= ${FAMILY_TARGETS.recall} ` +
      `and <= ${FAMILY_TARGETS.falseAlarmsPer100KeyDays} false alarm per 100 key-days. Window score: labelled windows (Numenta Anomaly ` +
      `Benchmark method, standard profile) at one threshold for every series, ${fixed(report.windows.threshold, 3)} (best); ` +
      `overall ${fixed(report.windows.score, 1)} (0: never detect, 100: every window at its first row).`,
  ].join('\n');
}

/** Found share of labels and false alarms per 100 key-days, per scenario. */
export function resultsChart(report: EvalReport): string {
  const rows = report.scenarios;
  const rowH = 22;
  const top = 48;
  const label = 130;
  const panel = 260;
  const gap = 40;
  const width = label + 2 * panel + gap + 20;
  const height = top + rows.length * rowH + 30;
  /** The false-alarm axis stops at five times the target; beyond it bars are marked off scale. */
  const faMax = 5 * TARGETS.falseAlarmsPer100KeyDays;
  const out: string[] = [
    svgOpen(width, height),
    text(label, 18, 'share of labelled rises and falls found (recall)', 'start', 13, 'bold'),
    text(label + panel + gap, 18, `false alarms per 100 key-days (axis to ${fixed(faMax, 0)})`, 'start', 13, 'bold'),
    text(label + panel + gap + (TARGETS.falseAlarmsPer100KeyDays / faMax) * panel, top - 12, 'target', 'middle', 10, 'normal', '#c0392b'),
  ];
  const recallX = (v: number) => label + v * panel;
  const faX = (v: number) => label + panel + gap + (Math.min(v, faMax) / faMax) * panel;
  out.push(line(recallX(TARGETS.recall), top - 8, recallX(TARGETS.recall), top + rows.length * rowH, '#c0392b', 1, '4 3'));
  out.push(text(recallX(TARGETS.recall), top - 12, 'target', 'middle', 10, 'normal', '#c0392b'));
  out.push(line(faX(TARGETS.falseAlarmsPer100KeyDays), top - 8, faX(TARGETS.falseAlarmsPer100KeyDays), top + rows.length * rowH, '#c0392b', 1, '4 3'));
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const name = r.scenario.group === 'reported' ? `${r.scenario.name} *` : r.scenario.name;
    out.push(text(label - 8, y + 15, name, 'end', 12));
    out.push(rect(label, y + 3, panel, rowH - 6, '#f0f0f0'));
    if (Number.isFinite(r.recall)) {
      out.push(rect(label, y + 3, r.recall * panel, rowH - 6, r.scenario.group !== 'reported' ? '#2e86c1' : '#aab7c4'));
      out.push(text(recallX(r.recall) - 4, y + 15, fixed(r.recall, 3), 'end', 11, 'normal', '#fff'));
    } else {
      out.push(text(label + 6, y + 15, 'no labels', 'start', 11, 'normal', '#888'));
    }
    const fa = r.falseAlarmsPer100KeyDays;
    out.push(rect(label + panel + gap, y + 3, panel, rowH - 6, '#f0f0f0'));
    out.push(rect(label + panel + gap, y + 3, faX(fa) - (label + panel + gap), rowH - 6, r.scenario.group !== 'reported' ? '#e67e22' : '#d5b895'));
    if (fa > faMax) out.push(text(faX(fa) - 4, y + 15, `${fixed(fa, 2)} (off scale)`, 'end', 11));
    else out.push(text(faX(fa) + 4, y + 15, fixed(fa, 2), 'start', 11));
  });
  out.push(text(label, height - 8, '* reported, not targeted', 'start', 11, 'normal', '#666'));
  out.push('</svg>');
  return out.join('\n');
}

/**
 * One labelled series from the `surges-cycles` scenario around its first
 * surge: counts, the true rate, what the detector expected, its open
 * spikes, and the `trendmon score` anomaly score underneath.
 */
export function exampleChart(report: EvalReport): string {
  const scenario = SCENARIOS.find((s) => s.name === 'surges-cycles')!;
  const { settings } = report;
  let series: LabelledSeries | undefined;
  for (let i = 0; !series?.labels.length; i++) {
    series = scenario.generate(hashSeed(settings.seed, scenario.name, i), settings.days, settings.stepMs);
  }
  const steps: KeyStep[] = runSeries(series, settings.options);
  const surge = series.labels[0]!;
  const perDay = Math.round(86_400_000 / settings.stepMs);
  const from = Math.max(0, surge.onset - perDay);
  const to = Math.min(series.values.length, surge.onset + perDay / 2);

  const width = 900;
  const left = 60;
  const plotW = width - left - 20;
  const top = 40;
  const mainH = 260;
  const scoreTop = top + mainH + 30;
  const scoreH = 70;
  const height = scoreTop + scoreH + 40;
  const x = (i: number) => left + ((i - from) / (to - from - 1)) * plotW;
  const yMax = Math.max(...series.values.slice(from, to), ...series.rate.slice(from, to)) * 1.05;
  const y = (v: number) => top + mainH - (v / yMax) * mainH;
  const ys = (v: number) => scoreTop + scoreH - v * scoreH;
  const path = (values: readonly number[], map: (v: number) => number) =>
    values
      .slice(from, to)
      .map((v, k) => `${k ? 'L' : 'M'}${x(from + k).toFixed(1)},${map(v).toFixed(1)}`)
      .join(' ');

  const out: string[] = [svgOpen(width, height)];
  out.push(text(left, 20, `Example: a ${fixed(surge.height, 1)}x surge on a key with a daily cycle (scenario surges-cycles)`, 'start', 13, 'bold'));
  // Open spikes, shaded: from the window that opened each to the one that ended it.
  const spans: [number, number][] = [];
  steps.forEach((s, i) => {
    if (s.opened) spans.push([i, steps.length - 1]);
    if (s.status === 'ended') spans[spans.length - 1]![1] = i;
  });
  for (const [a, b] of spans) {
    if (b < from || a >= to) continue;
    out.push(rect(x(Math.max(a, from)), top, x(Math.min(b, to - 1)) - x(Math.max(a, from)), mainH, '#fdebd0'));
  }
  out.push(rect(left, top, plotW, mainH, 'none', '#999'));
  out.push(`<path d="${path(series.values, y)}" fill="none" stroke="#2e86c1" stroke-width="1.2"/>`);
  out.push(`<path d="${path(series.rate, y)}" fill="none" stroke="#555" stroke-width="1" stroke-dasharray="3 3"/>`);
  out.push(`<path d="${path(steps.map((s) => s.expected), y)}" fill="none" stroke="#27ae60" stroke-width="1.8"/>`);
  out.push(line(x(surge.onset), top, x(surge.onset), scoreTop + scoreH, '#c0392b', 1, '4 3'));
  out.push(text(x(surge.onset) + 4, top + 14, 'surge starts', 'start', 11, 'normal', '#c0392b'));
  out.push(text(left - 6, top + 10, count(yMax), 'end', 10));
  out.push(text(left - 6, top + mainH, '0', 'end', 10));
  const legend = [
    ['#2e86c1', 'events per window'],
    ['#555', 'true rate'],
    ['#27ae60', 'expected (baseline)'],
    ['#fdebd0', 'spike open'],
  ] as const;
  legend.forEach(([color, name], k) => {
    out.push(rect(left + 10 + k * 170, top + mainH + 8, 12, 8, color));
    out.push(text(left + 26 + k * 170, top + mainH + 16, name, 'start', 11));
  });
  out.push(rect(left, scoreTop, plotW, scoreH, 'none', '#999'));
  out.push(line(left, ys(0.5), left + plotW, ys(0.5), '#999', 1, '2 3'));
  out.push(`<path d="${path(steps.map((s) => anomalyScore(s.alarm, settings.options.openScore)), ys)}" fill="none" stroke="#8e44ad" stroke-width="1.4"/>`);
  out.push(text(left - 6, scoreTop + 10, '1', 'end', 10));
  out.push(text(left - 6, ys(0.5) + 4, '0.5', 'end', 10));
  out.push(text(left, scoreTop + scoreH + 18, 'anomaly score (trendmon score): high only where a spike opens or grows', 'start', 11, 'normal', '#8e44ad'));
  out.push(text(left + plotW, scoreTop + scoreH + 32, `${settings.stepMs / 60_000}-minute windows, ${to - from} shown`, 'end', 10, 'normal', '#666'));
  out.push('</svg>');
  return out.join('\n');
}

export function svgOpen(width: number, height: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="Helvetica, Arial, sans-serif"><rect width="100%" height="100%" fill="#fff"/>`
  );
}

export function text(x: number, y: number, value: string, anchor: string, size: number, weight = 'normal', fill = '#222'): string {
  const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="${size}" font-weight="${weight}" fill="${fill}">${escaped}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string, stroke = 'none'): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}" stroke="${stroke}"/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, width: number, dash = ''): string {
  return (
    `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}" ` +
    `stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`
  );
}

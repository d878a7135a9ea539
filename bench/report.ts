/**
 * The results of one run: the table printed on stdout, the markdown block
 * in docs/performance.md (between the `bench:results` markers) and the SVG
 * charts beside it, all from the JSON the run writes.
 *
 *   npx tsx bench/report.ts [bench/results/latest.json]   # re-render docs from a saved run
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CeilingResult, IngestResult } from './ingest.js';
import type { LatencyResult, StageResult } from './latency.js';
import type { Machine } from './lib/util.js';
import type { MemoryResult } from './memory.js';
import type { SteadyResult } from './steady.js';
import type { StoreResult } from './store.js';

export interface Results {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  /** How the children ran the code. */
  readonly runtime?: string;
  readonly machine: Machine;
  readonly events: number;
  readonly ceiling: CeilingResult;
  readonly ingest: IngestResult;
  readonly ratioToCeiling: number;
  readonly cardinality: readonly IngestResult[];
  readonly latency: LatencyResult;
  /** The same at a rate the instance keeps up with. */
  readonly lowLatency?: LatencyResult;
  /** 1/5/15-minute load averages when the run started and ended (other work on the machine skews results). */
  readonly loadAverage?: { readonly before: readonly number[]; readonly after: readonly number[] };
  readonly sweep: readonly StageResult[];
  readonly memory: readonly MemoryResult[];
  readonly store: readonly StoreResult[];
  /** `start --simulate` at rest (absent from results of runs before it was measured). */
  readonly steady?: SteadyResult;
  readonly seconds: number;
}

export const TARGETS = {
  ratio: 0.7,
  /** p99 latency <= SLIDE + 250 ms. */
  latencyP99Ms: 1_000 + 250,
  loopP99Ms: 50,
  rss1MMb: 512,
  /** `start --simulate` (~200 events/s) in steady state, share of one core. */
  steadyCores: 0.1,
} as const;

const n = (value: number | undefined | null, digits = 0) =>
  value === undefined || value === null || Number.isNaN(value) ? 'n/a' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'yes' : '**no**');

const latencyRows = (l: LatencyResult): string[][] => [
  [
    `Publish -> \`spike\` on /ws at ${n(l.stage.offeredPerSec)} events/s, p50 / p95 / p99 (${l.surges.length - l.missed}/${l.surges.length} surges seen)`,
    `${n(l.p50Ms)} / ${n(l.p95Ms)} / ${n(l.p99Ms)} ms`,
    '',
    '',
  ],
  ['  of which after the watermark passed the window, p50 / p99', `${n(l.processingP50Ms)} / ${n(l.processingP99Ms)} ms`, '', ''],
];

/** The headline rows: what, measured, target, met. */
export function headline(r: Results): string[][] {
  const mem1M = r.memory.find((m) => m.distinct === 1_000_000);
  const p99 = r.latency.missed > 0 ? NaN : r.latency.p99Ms;
  return [
    ['Ceiling: bare JetStream consumer, receive + JSON.parse', `${n(r.ceiling.eventsPerSec)} events/s`, '', ''],
    ['Ceiling with an ack per message', `${n(r.ceiling.withAckEventsPerSec)} events/s`, '', ''],
    ['trendmon end to end (validate, windows, detect, ClickHouse, ack)', `${n(r.ingest.eventsPerSec)} events/s`, '', ''],
    ['Ratio to the ceiling', n(r.ratioToCeiling, 2), `>= ${TARGETS.ratio}`, verdict(r.ratioToCeiling >= TARGETS.ratio)],
    ['Ratio to the ceiling with acks', n(r.ingest.eventsPerSec / r.ceiling.withAckEventsPerSec, 2), '', ''],
    [
      `Publish -> \`spike\` on /ws at ${n(r.latency.stage.offeredPerSec)} events/s, p50 / p95 / p99 (${r.latency.surges.length - r.latency.missed}/${r.latency.surges.length} surges seen)`,
      `${n(r.latency.p50Ms)} / ${n(r.latency.p95Ms)} / ${n(r.latency.p99Ms)} ms`,
      `p99 <= ${n(TARGETS.latencyP99Ms)} ms`,
      verdict(p99 <= TARGETS.latencyP99Ms),
    ],
    ['  of which after the watermark passed the window (ingest, close, detect, feed), p50 / p99', `${n(r.latency.processingP50Ms)} / ${n(r.latency.processingP99Ms)} ms`, '', ''],
    ...(r.lowLatency ? latencyRows(r.lowLatency) : []),
    ...(r.lowLatency ? [[`Event-loop delay p99 in the app at ${n(r.lowLatency.stage.offeredPerSec)} events/s`, `${n(r.lowLatency.stage.loopP99Ms, 1)} ms`, '', '']] : []),
    [`Event-loop delay p99 in the app at ${n(r.latency.stage.offeredPerSec)} events/s`, `${n(r.latency.stage.loopP99Ms, 1)} ms`, `< ${TARGETS.loopP99Ms} ms`, verdict(r.latency.stage.loopP99Ms < TARGETS.loopP99Ms)],
    ...r.memory.map((m) => [
      `RSS with ${n(m.distinct)} distinct queries in the window`,
      `${n(m.rssMb)} MB (heap ${n(m.heapUsedMb)} MB)`,
      m.distinct === 1_000_000 ? `< ${TARGETS.rss1MMb} MB` : '',
      m.distinct === 1_000_000 ? verdict(m.rssMb < TARGETS.rss1MMb) : '',
    ]),
    ...(mem1M ? [] : [['RSS with 1,000,000 distinct queries', 'not measured', `< ${TARGETS.rss1MMb} MB`, '']]),
    ...(r.steady
      ? [
          [
            `\`start --simulate\` at rest (${n(r.steady.eventsPerSec)} events/s): CPU, share of one core (${r.steady.threads
              .slice(0, 3)
              .map((t) => `${t.name} ${n(t.share * 100)}%`)
              .join(', ')})`,
            `${n(r.steady.cpuCores * 100, 1)}%`,
            `< ${n(TARGETS.steadyCores * 100)}%`,
            verdict(r.steady.cpuCores < TARGETS.steadyCores),
          ],
        ]
      : []),
  ];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function cardinalityRows(r: Results): string[][] {
  return r.cardinality.map((c) => [
    `${c.scale}x`,
    `${n(c.cardinality.skus)} / ${n(c.cardinality.queries)} / ${n(c.cardinality.users)}`,
    n(c.eventsPerSec),
    n(c.eventsPerSec / r.cardinality[0]!.eventsPerSec, 2),
    n(c.rssMb),
  ]);
}

export function sweepRows(r: Results): string[][] {
  const rows = r.sweep.map((s) => [
    n(s.offeredPerSec),
    `${n(s.publishedPerSec)} / ${n(s.storedPerSec)}`,
    n(s.ackedPerSec),
    n(s.backlog),
    n(s.cpuCores, 2),
    n(s.loopP99Ms, 1),
    n(s.rssMb),
  ]);
  rows.push([`max (backlog of ${n(r.events)})`, 'pre-published', n(r.ingest.eventsPerSec), '0', '', '', n(r.ingest.rssMb)]);
  return rows;
}

export function storeRows(r: Results): string[][] {
  return r.store.map((s) => [s.table === 'events_view' ? 'events_view (+ rollup views)' : 'same table, no views', s.format, n(s.batchRows), n(s.rowsPerSec), n(s.msPerInsert, 1), n(s.loopMaxMs, 1)]);
}

/** The plain-text report for stdout. */
export function printTable(r: Results): string {
  const lines: string[] = [];
  const pad = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  };
  lines.push(`trendmon benchmark ${r.quick ? '(--quick) ' : ''}${r.date}: ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, node ${r.machine.node}, nats-server ${r.machine.natsServer}, chDB ${r.machine.chdb}${r.loadAverage ? `, load average ${r.loadAverage.before[0]} -> ${r.loadAverage.after[0]}` : ''}`);
  lines.push('');
  lines.push(...pad([['measure', 'result', 'target', 'met'], ...headline(r).map((row) => row.map((c) => c.replace(/\*\*/g, '').replace(/`/g, '')))]));
  lines.push('', 'Scaling with key cardinality (pre-published backlog of ' + n(r.events) + ' events):');
  lines.push(...pad([['cardinality', 'skus / queries / users', 'events/s', 'vs 1x', 'RSS MB'], ...cardinalityRows(r)]));
  lines.push('', 'Scaling with offered load (live generator):');
  lines.push(...pad([['offered/s', 'published / stored per s', 'acked/s', 'backlog', 'CPU cores', 'loop p99 ms', 'RSS MB'], ...sweepRows(r)]));
  lines.push('', 'Store: rows/s into ClickHouse by batch size and format:');
  lines.push(...pad([['table', 'format', 'rows/insert', 'rows/s', 'ms/insert', 'loop max ms'], ...storeRows(r)]));
  lines.push('', `(${Math.round(r.seconds)} s)`);
  return lines.join('\n');
}

/** The generated block of docs/performance.md. */
export function markdown(r: Results): string {
  const m = r.machine;
  return [
    `Latest run: ${r.date.slice(0, 16).replace('T', ' ')} UTC, \`${r.command}\`${r.quick ? ' (quick: smaller samples)' : ''}, ${Math.round(r.seconds)} s${r.loadAverage ? `; load average ${r.loadAverage.before[0]} at the start, ${r.loadAverage.after[0]} at the end (anything above ~2 on this machine is other work competing)` : ''}.`,
    '',
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GB RAM, ${m.os}; Node ${m.node}; nats-server ${m.natsServer}; chDB ${m.chdb} (ClickHouse ${m.clickhouse}), embedded. Everything (nats-server, the generator, trendmon) shares these ${m.cpus} cores. Code: ${r.runtime ?? 'tsx'}.`,
    '',
    table(['measure', 'result', 'target', 'met'], headline(r)),
    '',
    `### Scaling with key cardinality`,
    '',
    `A pre-published backlog of ${n(r.events)} events (40% searches, 50% views, 10% sales, ~110 bytes each, event times as dense as 100k events/s), consumed by trendmon with the default WINDOW=5m, SLIDE=10s, BATCH_MAX_ROWS=10000, BATCH_MAX_WAIT=2s; cardinality multiplies skus, distinct queries and shoppers. Rates (here and for the ceiling) are timed until 50,000 events of the backlog are left (see "Backlog tail" below).`,
    '',
    table(['cardinality', 'skus / queries / users', 'events/s', 'vs 1x', 'RSS MB'], cardinalityRows(r)),
    '',
    `### Scaling with offered load`,
    '',
    `A live generator (its own process) publishing at the offered rate; WINDOW=10s, SLIDE=1s, ALLOWED_LATENESS=250ms; "published / stored" is what the generator sent and what the stream stored per second (the check that the generator kept up); "acked" is what trendmon validated, counted, stored and acked per second; backlog is what it had not acked at the end of the stage.`,
    '',
    table(['offered/s', 'published / stored per s', 'acked/s', 'backlog', 'CPU cores', 'loop p99 ms', 'RSS MB'], sweepRows(r)),
    '',
    '![Scaling](performance-scaling.svg)',
    '',
    `### Store`,
    '',
    `One insert at a time into \`events_view\` (which feeds the per-minute rollup materialized views) and into a copy of it without views; "loop max" is the longest the inserting process's event loop was blocked.`,
    '',
    table(['table', 'format', 'rows/insert', 'rows/s', 'ms/insert', 'loop max ms'], storeRows(r)),
    '',
    '![Store](performance-store.svg)',
  ].join('\n');
}

interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A small line chart as SVG (no dependencies). */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], options: { logX?: boolean } = {}): string {
  const W = 520;
  const H = 300;
  const L = 70;
  const R = 20;
  const T = 40;
  const B = 50;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const fx = options.logX ? Math.log10 : (v: number) => v;
  const x0 = fx(Math.min(...xs));
  const x1 = fx(Math.max(...xs));
  const top = Math.max(...ys) * 1.05 || 1;
  const step = 10 ** Math.floor(Math.log10(top));
  const y1 = Math.ceil(top / (step / 2)) * (step / 2);
  const px = (x: number) => L + ((fx(x) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number) => H - B - (y / y1) * (H - T - B);
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#333"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${xLabel}</text>`,
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (y1 / 4) * i;
    out.push(`<line x1="${L - 4}" y1="${py(v)}" x2="${W - R}" y2="${py(v)}" stroke="#eee"/>`);
    out.push(`<text x="${L - 6}" y="${py(v) + 4}" text-anchor="end">${n(v)}</text>`);
  }
  for (const x of [...new Set(xs)]) out.push(`<text x="${px(x)}" y="${H - B + 15}" text-anchor="middle">${n(x)}</text>`);
  series.forEach((s, i) => {
    const color = colors[i % colors.length]!;
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    out.push(`<rect x="${L + 10}" y="${T + 4 + i * 16}" width="10" height="10" fill="${color}"/><text x="${L + 25}" y="${T + 13 + i * 16}">${s.name}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const BEGIN = '<!-- bench:results:begin (generated by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

/** Rewrites the generated block of docs/performance.md and the charts. */
export function writeDocs(r: Results, docsDir: string): void {
  const path = join(docsDir, 'performance.md');
  const block = `${BEGIN}\n${markdown(r)}\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Performance\n\n${BEGIN}\n${END}\n`;
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
  const bySize = (format: string, table = 'events_view') => r.store.filter((s) => s.format === format && s.table === table).map((s) => [s.batchRows, s.rowsPerSec] as const);
  writeFileSync(
    join(docsDir, 'performance-store.svg'),
    lineChart('ClickHouse (chDB) inserts', 'rows per insert', 'rows/s', [
      ...[...new Set(r.store.filter((s) => s.table === 'events_view').map((s) => s.format))].map((f) => ({ name: `events_view, ${f}`, points: bySize(f) })),
      { name: 'no views, JSONEachRow', points: bySize('JSONEachRow', 'bench_view_plain') },
    ], { logX: true }),
  );
  writeFileSync(
    join(docsDir, 'performance-scaling.svg'),
    lineChart('trendmon under live load', 'offered events/s', 'events/s', [
      { name: 'offered', points: r.sweep.map((s) => [s.offeredPerSec, s.offeredPerSec] as const) },
      { name: 'published by the generator', points: r.sweep.map((s) => [s.offeredPerSec, s.publishedPerSec] as const) },
      { name: 'acked by trendmon', points: r.sweep.map((s) => [s.offeredPerSec, s.ackedPerSec] as const) },
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? join(import.meta.dirname, 'results', 'latest.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  console.log(printTable(results));
  writeDocs(results, join(import.meta.dirname, '..', 'docs'));
}

/**
 * Runs the live detector's per-key model over labelled series and scores
 * its alarms. An alarm is a spike opening; it finds the first labelled
 * surge whose range [onset, until) holds it, and is a false alarm
 * otherwise (outside every surge, or a second opening for the same surge:
 * flapping counts against the detector). Delay is the opening's window
 * minus the surge's first window, in slides.
 */
import { hashSeed } from '../../hash.js';
import { DEFAULT_KEY_OPTIONS, KeyModel, type KeyModelOptions, type KeyStep } from '../../detect/key-model.js';
import { SCENARIOS, type LabelledSeries, type Scenario } from './scenarios.js';

const DAY_MS = 86_400_000;

export interface EvalSettings {
  readonly seed: number;
  /** Series per scenario. */
  readonly series: number;
  /** Length of each series. */
  readonly days: number;
  /** Window length (tumbling: one window per slide). */
  readonly stepMs: number;
  readonly options: KeyModelOptions;
}

export const FULL_EVAL: EvalSettings = { seed: 1, series: 200, days: 7, stepMs: 300_000, options: DEFAULT_KEY_OPTIONS };
export const SMALL_EVAL: EvalSettings = { ...FULL_EVAL, seed: 11, series: 40 };

/** The targets of issue 5. */
export const TARGETS = { recall: 0.95, precision: 0.9, medianDelay: 1, falseAlarmsPer100KeyDays: 1 };

export interface Tally {
  series: number;
  keyDays: number;
  surges: number;
  found: number;
  falseAlarms: number;
  /** Spikes still open when their series ended. */
  stuck: number;
  delays: number[];
}

export interface Metrics extends Tally {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly medianDelay: number;
  readonly p90Delay: number;
  readonly falseAlarmsPer100KeyDays: number;
}

export interface ScenarioResult extends Metrics {
  readonly scenario: Scenario;
}

export interface EvalReport {
  readonly settings: EvalSettings;
  readonly scenarios: readonly ScenarioResult[];
  /** Pooled over the targeted scenarios. */
  readonly overall: Metrics;
  /** Pooled over the targeted no-surge scenarios. */
  readonly quiet: Metrics;
}

/** One series through a fresh KeyModel, as the live detector steps a key. */
export function runSeries(series: LabelledSeries, options: KeyModelOptions): KeyStep[] {
  const model = new KeyModel(options);
  return series.events.map((events, i) =>
    model.step({
      end: series.startMs + (i + 1) * series.stepMs,
      at: series.startMs + (i + 0.5) * series.stepMs,
      dtMs: series.stepMs,
      events,
      actors: series.actors[i]!,
      anonymous: series.anonymous[i]!,
    }),
  );
}

/** Matches one series' openings against its labels. */
export function score(series: LabelledSeries, steps: readonly KeyStep[], options: KeyModelOptions): Tally {
  const tally = emptyTally();
  tally.series = 1;
  tally.keyDays = (Math.max(0, steps.length - options.warmupWindows) * series.stepMs) / DAY_MS;
  tally.surges = series.surges.length;
  const matched = new Set<number>();
  steps.forEach((step, i) => {
    if (!step.opened) return;
    const index = series.surges.findIndex((s) => i >= s.onset && i < s.until);
    if (index < 0 || matched.has(index)) {
      tally.falseAlarms++;
      return;
    }
    matched.add(index);
    tally.found++;
    tally.delays.push(i - series.surges[index]!.onset);
  });
  const last = steps[steps.length - 1];
  if (last?.status && last.status !== 'ended') tally.stuck++;
  return tally;
}

export function evaluate(settings: EvalSettings, onProgress?: (done: number, total: number, scenario: string) => void): EvalReport {
  const total = SCENARIOS.length * settings.series;
  let done = 0;
  const scenarios = SCENARIOS.map((scenario): ScenarioResult => {
    const tally = emptyTally();
    for (let i = 0; i < settings.series; i++) {
      const series = scenario.generate(hashSeed(settings.seed, scenario.name, i), settings.days, settings.stepMs);
      add(tally, score(series, runSeries(series, settings.options), settings.options));
      onProgress?.(++done, total, scenario.name);
    }
    return { scenario, ...metrics(tally) };
  });
  const pool = (results: readonly ScenarioResult[]) => metrics(results.reduce((sum, r) => add(sum, r), emptyTally()));
  const targeted = scenarios.filter((r) => r.scenario.target);
  return {
    settings,
    scenarios,
    overall: pool(targeted),
    quiet: pool(targeted.filter((r) => !r.scenario.positive)),
  };
}

/** Which targets a report misses, as readable lines (empty when all are met). */
export function missedTargets(report: EvalReport): string[] {
  const { overall, quiet } = report;
  const missed: string[] = [];
  if (!(overall.recall >= TARGETS.recall)) missed.push(`recall ${overall.recall.toFixed(3)} < ${TARGETS.recall}`);
  if (!(overall.precision >= TARGETS.precision)) missed.push(`precision ${overall.precision.toFixed(3)} < ${TARGETS.precision}`);
  if (!(overall.medianDelay <= TARGETS.medianDelay)) missed.push(`median delay ${overall.medianDelay} > ${TARGETS.medianDelay}`);
  if (!(quiet.falseAlarmsPer100KeyDays <= TARGETS.falseAlarmsPer100KeyDays)) {
    missed.push(`${quiet.falseAlarmsPer100KeyDays.toFixed(2)} false alarms per 100 key-days > ${TARGETS.falseAlarmsPer100KeyDays}`);
  }
  return missed;
}

function emptyTally(): Tally {
  return { series: 0, keyDays: 0, surges: 0, found: 0, falseAlarms: 0, stuck: 0, delays: [] };
}

function add(into: Tally, from: Tally): Tally {
  into.series += from.series;
  into.keyDays += from.keyDays;
  into.surges += from.surges;
  into.found += from.found;
  into.falseAlarms += from.falseAlarms;
  into.stuck += from.stuck;
  into.delays.push(...from.delays);
  return into;
}

function metrics(t: Tally): Metrics {
  const precision = t.found + t.falseAlarms > 0 ? t.found / (t.found + t.falseAlarms) : NaN;
  const recall = t.surges > 0 ? t.found / t.surges : NaN;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : NaN;
  const sorted = [...t.delays].sort((a, b) => a - b);
  const quantile = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  return {
    ...t,
    delays: sorted,
    precision,
    recall,
    f1,
    medianDelay: quantile(0.5),
    p90Delay: quantile(0.9),
    falseAlarmsPer100KeyDays: t.keyDays > 0 ? (100 * t.falseAlarms) / t.keyDays : NaN,
  };
}

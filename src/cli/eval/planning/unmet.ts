/**
 * How fast and how reliably unmet demand is found: the simulator's shop
 * (src/sim) with searches for things its catalog lacks, replayed event by
 * event through the live pipeline's pure operators, unmet-demand tracker
 * and default alert rule (src/backtest/replay.ts). A planned unmet search
 * is found when an alert labelled `unmet="true"` fires for a query holding
 * its missing words, or for one of those words as a term, between its start
 * and ten minutes after its end; the delay is from its start to that alert.
 * Any other `unmet="true"` alert is a false one.
 *
 * Two families: `emerging` (a trickle of shoppers searched for it all
 * along, one search every ten seconds, before it took off) and `new`
 * (nobody had ever searched for it).
 */
import { hashSeed } from '../../../hash.js';
import { Replay, type BacktestAlert } from '../../../backtest/replay.js';
import type { TrendEvent } from '../../../domain.js';
import { SearchLinker } from '../../../detect/linking.js';
import { createTraffic, generateCatalog, unmetIdeas, withVariants, type UnmetPlan } from '../../../sim/index.js';
import { Rng } from '../../../sim/random.js';
import { EMPTY_HISTORY } from '../../../alerts/planning.js';
import { parseApiRules } from '../../../alerts/rules.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2025, 2, 3, 8);
/** The `emerging` family's searches before it takes off. */
const EMERGING_BACKGROUND_PER_SEC = 0.1;

export interface UnmetEvalSettings {
  readonly seed: number;
  /** Simulated shops, each with its own catalog and plans. */
  readonly runs: number;
  readonly hours: number;
  /** Baseline events per second. */
  readonly ratePerSec: number;
  /** Unmet searches planned per run (half emerging, half new). */
  readonly plans: number;
  readonly windows: { readonly sizeMs: number; readonly slideMs: number; readonly allowedLatenessMs: number };
}

export const FULL_UNMET_EVAL: UnmetEvalSettings = {
  seed: 1,
  runs: 3,
  hours: 3,
  ratePerSec: 40,
  plans: 8,
  windows: { sizeMs: 5 * MINUTE, slideMs: 10_000, allowedLatenessMs: 5_000 },
};
export const SMALL_UNMET_EVAL: UnmetEvalSettings = { ...FULL_UNMET_EVAL, seed: 5, runs: 1, hours: 2, ratePerSec: 20, plans: 4 };

export type UnmetFamily = 'emerging' | 'new';

export interface UnmetCase {
  readonly family: UnmetFamily;
  readonly phrase: string;
  readonly missing: readonly string[];
  readonly found: boolean;
  readonly delayMs?: number;
}

export interface UnmetFamilyMetrics {
  readonly planned: number;
  readonly found: number;
  readonly recall: number;
  readonly medianDelayMs: number;
  readonly p90DelayMs: number;
}

export interface UnmetReport {
  readonly settings: UnmetEvalSettings;
  readonly cases: readonly UnmetCase[];
  readonly byFamily: Readonly<Record<UnmetFamily, UnmetFamilyMetrics>>;
  readonly overall: UnmetFamilyMetrics;
  readonly falseAlerts: number;
  readonly events: number;
  readonly seconds: number;
}

/** Whether an unmet alert is about a plan: a query holding its missing words, or one of them as a term. */
function about(alert: BacktestAlert, missing: readonly string[], linker: SearchLinker): boolean {
  const words = linker.coverage(alert.key).missing;
  return alert.dimension === 'term' ? missing.some((m) => words.includes(m)) : missing.every((m) => words.includes(m));
}

function runOne(settings: UnmetEvalSettings, run: number): { cases: UnmetCase[]; falseAlerts: number; events: number } {
  const seed = hashSeed(settings.seed, 'unmet-run', run);
  const rng = new Rng(seed);
  const catalog = withVariants(generateCatalog(seed), seed);
  const linker = new SearchLinker(catalog);
  const ideas = unmetIdeas(catalog, rng).slice(0, settings.plans);
  // After an hour of warm-up, one every (hours - 1.5) / plans hours, lasting 15 minutes each.
  const spacing = ((settings.hours - 1.5) * HOUR) / ideas.length;
  const plans: (UnmetPlan & { family: UnmetFamily })[] = ideas.map((idea, i) => ({
    ...idea,
    family: i % 2 ? 'new' : 'emerging',
    startMs: START + HOUR + Math.round(i * spacing),
    durationMs: 15 * MINUTE,
    rampMs: Math.round(rng.uniform(2, 8) * MINUTE),
    peakPerSec: rng.uniform(0.2, 1),
    ...(i % 2 ? {} : { backgroundPerSec: EMERGING_BACKGROUND_PER_SEC }),
  }));
  const traffic = createTraffic({ seed, catalog, ratePerSec: settings.ratePerSec, unmet: plans, diurnal: { amplitude: 0.3 } });
  const end = START + settings.hours * HOUR;
  const replay = new Replay({
    windows: { ...settings.windows, capacity: { query: 10_000, term: 10_000 } },
    fromMs: START + settings.windows.sizeMs * 2,
    toMs: end,
    rules: { rules: parseApiRules({ rules: [{ name: 'trend' }] }), projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs: 5 * MINUTE },
    catalog,
    history: EMPTY_HISTORY,
  });
  for (let t = START; t < end; t += MINUTE) {
    replay.push(traffic.eventsBetween(t, t + MINUTE).map((e) => ({ kind: e.kind, ...e.payload }) as TrendEvent));
  }
  const events = replay.progress.events;
  const unmetAlerts = replay.finish().filter((a) => a.labels.unmet === 'true');
  const claimed = new Set<BacktestAlert>();
  const cases = plans.map((plan): UnmetCase => {
    const missing = linker.coverage(plan.phrase).missing;
    const mine = unmetAlerts.filter((a) => about(a, missing, linker));
    for (const a of mine) claimed.add(a);
    const first = mine.find((a) => a.firedAt >= plan.startMs && a.firedAt <= plan.startMs + plan.durationMs + 10 * MINUTE);
    return { family: plan.family, phrase: plan.phrase, missing, found: first !== undefined, ...(first ? { delayMs: first.firedAt - plan.startMs } : {}) };
  });
  return { cases, falseAlerts: unmetAlerts.filter((a) => !claimed.has(a)).length, events };
}

export function evaluateUnmet(settings: UnmetEvalSettings, onProgress?: (done: number, total: number) => void): UnmetReport {
  const started = performance.now();
  const cases: UnmetCase[] = [];
  let falseAlerts = 0;
  let events = 0;
  for (let run = 0; run < settings.runs; run++) {
    const result = runOne(settings, run);
    cases.push(...result.cases);
    falseAlerts += result.falseAlerts;
    events += result.events;
    onProgress?.(run + 1, settings.runs);
  }
  const metrics = (list: readonly UnmetCase[]): UnmetFamilyMetrics => {
    const delays = list.flatMap((c) => (c.delayMs === undefined ? [] : [c.delayMs])).sort((a, b) => a - b);
    const at = (q: number) => (delays.length ? delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]! : NaN);
    const found = list.filter((c) => c.found).length;
    return { planned: list.length, found, recall: list.length ? found / list.length : NaN, medianDelayMs: at(0.5), p90DelayMs: at(0.9) };
  };
  return {
    settings,
    cases,
    byFamily: { emerging: metrics(cases.filter((c) => c.family === 'emerging')), new: metrics(cases.filter((c) => c.family === 'new')) },
    overall: metrics(cases),
    falseAlerts,
    events,
    seconds: (performance.now() - started) / 1000,
  };
}

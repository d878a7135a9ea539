/**
 * The failure classes seen when the detector met real-world series (issue
 * 15), each a family of labelled series the detector is held to: values
 * that are not counts, near-deterministic daily shapes, one-window bursts
 * of extreme surprise, sparse over-dispersed counts, and falls. The
 * generators draw each series' kind, scale, noise and effects at random,
 * so the detector meets a spread of shapes rather than one of each.
 */
import { Rng } from '../../sim/random.js';
import {
  DAY_MS,
  drawnSurprise,
  EVAL_START_MS,
  HOUR_MS,
  isRealFall,
  logUniform,
  onsets,
  perDays,
  rateAt,
  render,
  stepsOf,
  TAIL_STEPS,
  traffic,
  trueSurprise,
  REAL_Z,
  type Label,
  type LabelledSeries,
  type Scenario,
} from './labelled.js';
import { gamma } from './sampling.js';

/** Student's t with `nu` degrees of freedom, scaled to a robust sd (MAD / 0.6745) of 1. */
function studentT(rng: Rng, nu: number): number {
  const t = rng.normal() / Math.sqrt((2 * gamma(rng, nu / 2)) / nu);
  return t / T_ROBUST_SD[nu]!;
}
/** Robust sd (MAD / 0.6745) of Student's t, for the degrees of freedom used. */
const T_ROBUST_SD: Record<number, number> = { 3: 1.1341 };

/**
 * The way back at the end of a step that does not last: a change as well,
 * so an opening for it counts neither way.
 */
function returning(label: Label, at: number, steps: number): Label {
  const direction = label.direction === 'rising' ? 'falling' : 'rising';
  return { direction, onset: Math.min(at, steps), until: Math.min(at, steps) + TAIL_STEPS, height: 1 / label.height, riseSteps: 0, real: false };
}

/** A plain value series' effect: a step or excursion on its own natural scale. */
interface ValueEffect {
  readonly onset: number;
  readonly length: number;
  /** Signed shift in noise sds. */
  readonly k: number;
}

/**
 * Values that are not counts: response times and prices (positive,
 * multiplicative noise), utilisation percentages (bounded 0-100), signed
 * levels (additive) and slowly wandering readings (a smooth random walk with
 * a daily cycle, as temperatures are). Half the series have heavy-tailed
 * noise (Student's t, 3 degrees of freedom): their lone outliers are
 * routine. Effects are shifts up or down of 3 to 20 noise sds, lasting one
 * row to a day; a shift is real when it is at least 6 sds for 3 rows or
 * more, or at least 25 sds.
 */
function valueSeries(seed: number, days: number, stepMs: number): LabelledSeries {
  const rng = new Rng(seed);
  const steps = stepsOf(days, stepMs);
  const kind = rng.pick(['ratio', 'percent', 'level', 'drift'] as const);
  const heavy = kind !== 'drift' && rng.chance(0.5);
  const noise = () => (heavy ? studentT(rng, 3) : rng.normal());
  const diurnal = rng.chance(0.6) ? rng.uniform(0.1, 0.6) : 0;
  const peakHour = rng.uniform(0, 24);
  const daily = (step: number) => {
    const hour = ((EVAL_START_MS + step * stepMs) % DAY_MS) / HOUR_MS;
    return Math.cos((2 * Math.PI * (hour - peakHour)) / 24);
  };

  const effects: ValueEffect[] = [];
  const labels: Label[] = [];
  const count = perDays(days, 2.5);
  onsets(rng, days, stepMs, count).forEach((onset, i) => {
    const shape = rng.pick(['spike', 'shift', 'shift', i === count - 1 ? 'lasting' : 'shift'] as const);
    const length = shape === 'spike' ? rng.int(1, 6) : shape === 'lasting' ? steps - onset : rng.int(6, Math.round(DAY_MS / stepMs));
    const k = logUniform(rng, 3, 20) * (rng.chance(0.5) ? 1 : -1);
    effects.push({ onset, length, k });
  });
  const shiftAt = (step: number) => effects.reduce((sum, e) => (step >= e.onset && step < e.onset + e.length ? sum + e.k : sum), 0);
  let level: (step: number) => number;

  // Per kind: the level without effects, and how a level reads in noise sds against it.
  let plain: (step: number) => number;
  let inSds: (level: number, step: number) => number;
  let draw: (level: number) => number;
  if (kind === 'ratio') {
    const base = logUniform(rng, 1e-3, 1e5);
    const sigma = logUniform(rng, 0.02, 0.3);
    plain = (step) => base * Math.exp(diurnal * daily(step));
    inSds = (level, step) => Math.log(level / plain(step)) / sigma;
    draw = (level) => level * Math.exp(sigma * noise());
    level = (step) => plain(step) * Math.exp(sigma * shiftAt(step));
  } else if (kind === 'percent') {
    const base = rng.uniform(5, 60);
    const sd = rng.uniform(0.5, 6);
    const clip = (v: number) => Math.min(100, Math.max(0, v));
    plain = (step) => clip(base * (1 + 0.5 * diurnal * daily(step)));
    inSds = (value, step) => (value - plain(step)) / sd;
    draw = (value) => clip(value + sd * noise());
    level = (step) => clip(plain(step) + sd * shiftAt(step));
  } else if (kind === 'level') {
    const offset = rng.uniform(-100, 100);
    const sd = logUniform(rng, 0.1, 10);
    plain = (step) => offset + 3 * sd * diurnal * daily(step);
    inSds = (value, step) => (value - plain(step)) / sd;
    draw = (value) => value + sd * noise();
    level = (step) => plain(step) + sd * shiftAt(step);
  } else {
    // A reading that wanders (AR(1)) around a daily cycle; a shift of k reads as k/2 of the wander's sd.
    const phi = rng.uniform(0.98, 0.995);
    const innovation = logUniform(rng, 0.05, 1);
    const wander = innovation / Math.sqrt(1 - phi * phi);
    const mean = rng.uniform(10, 90);
    let ar = 0;
    plain = (step) => mean + 2 * wander * diurnal * daily(step);
    inSds = (value, step) => (2 * (value - plain(step))) / wander;
    draw = (value) => value + (ar = phi * ar + innovation * rng.normal());
    level = (step) => plain(step) + (wander * shiftAt(step)) / 2;
  }
  const rate: number[] = [];
  const values: number[] = [];
  for (let step = 0; step < steps; step++) {
    rate.push(level(step));
    values.push(draw(rate[step]!));
  }
  for (const e of effects) {
    // Percentages are clipped at 0 and 100: judge the shift that happened.
    const k = inSds(rate[e.onset]!, e.onset);
    const real = (Math.abs(k) >= 6 && e.length >= 3) || Math.abs(k) >= 25;
    labels.push({ direction: k > 0 ? 'rising' : 'falling', onset: e.onset, until: e.onset + e.length + TAIL_STEPS, height: k, riseSteps: 0, real });
    labels.push(returning(labels[labels.length - 1]!, e.onset + e.length, steps));
  }
  return { scenario: 'values', startMs: EVAL_START_MS, stepMs, counts: false, rate, values, labels };
}

/**
 * Near-deterministic daily shapes: the same day every day (steps between
 * two to four levels, a sine, or ramps up and down), with no noise or up
 * to 1%, so the spread learned from routine days goes to zero. Effects: the
 * shape jumps up or down by 30% to x3 for 2 to 12 hours, or flattens to
 * the day's mean (its end, the day coming back, counts neither way, as a
 * jump's way back does).
 */
function dailyShapeSeries(seed: number, days: number, stepMs: number): LabelledSeries {
  const rng = new Rng(seed);
  const steps = stepsOf(days, stepMs);
  const base = logUniform(rng, 10, 1000);
  const kind = rng.pick(['steps', 'sine', 'ramps'] as const);
  const relNoise = rng.chance(0.4) ? 0 : logUniform(rng, 0.0005, 0.01);
  // The day as a function of the hour, averaging about 1.
  const levels = Array.from({ length: rng.int(2, 4) }, () => logUniform(rng, 0.3, 3));
  const cuts = levels.map(() => rng.uniform(0, 24)).sort((a, b) => a - b);
  const shift = rng.uniform(0, 24);
  const day = (hour: number): number => {
    if (kind === 'sine') return 1 + 0.6 * Math.sin((2 * Math.PI * (hour - shift)) / 24);
    if (kind === 'ramps') {
      const h = (hour - shift + 24) % 24;
      return h < 8 ? 0.4 + (1.6 * h) / 8 : h < 12 ? 2 : h < 20 ? 2 - (1.6 * (h - 12)) / 8 : 0.4;
    }
    let i = cuts.findIndex((c) => hour < c);
    if (i < 0) i = 0;
    return levels[i]!;
  };
  const template = (step: number) => base * day((((EVAL_START_MS + step * stepMs) % DAY_MS) / HOUR_MS));
  const dayMean = base * Array.from({ length: 96 }, (_, i) => day(i / 4)).reduce((a, b) => a + b, 0) / 96;

  const labels: Label[] = [];
  const effects: ((step: number, value: number) => number)[] = [];
  for (const onset of onsets(rng, days, stepMs, perDays(days, 3))) {
    const length = Math.round((rng.uniform(2, 12) * HOUR_MS) / stepMs);
    const flat = rng.chance(0.3);
    if (flat) {
      // The day's pattern goes missing: a flat line at its mean, from a time where that is far off.
      let at = onset;
      while (at < steps - length && Math.abs(template(at) / dayMean - 1) < 0.3) at++;
      // Flattened, the day goes the other way too where its shape crosses the mean: that counts neither way.
      effects.push((step, value) => (step >= at && step < at + length ? dayMean : value));
      const direction = dayMean > template(at) ? 'rising' : 'falling';
      const span = { onset: at, until: at + length + TAIL_STEPS, height: dayMean / template(at), riseSteps: 0 };
      labels.push({ ...span, direction, real: at < steps - length });
      labels.push({ ...span, direction: direction === 'rising' ? 'falling' : 'rising', real: false });
      // Its end is the day coming back, whichever way its shape lies from the mean there: neither way counts.
      const end = Math.min(at + length, steps);
      for (const back of ['rising', 'falling'] as const) labels.push({ direction: back, onset: end, until: end + TAIL_STEPS, height: 1, riseSteps: 0, real: false });
    } else {
      const factor = logUniform(rng, 1.3, 3) ** (rng.chance(0.5) ? 1 : -1);
      effects.push((step, value) => (step >= onset && step < onset + length ? value * factor : value));
      labels.push({ direction: factor > 1 ? 'rising' : 'falling', onset, until: onset + length + TAIL_STEPS, height: factor, riseSteps: 0, real: true });
      labels.push(returning(labels[labels.length - 1]!, onset + length, steps));
    }
  }
  const rate: number[] = [];
  const values: number[] = [];
  for (let step = 0; step < steps; step++) {
    const level = effects.reduce((value, effect) => effect(step, value), template(step));
    rate.push(level);
    values.push(Math.round(level * (1 + relNoise * rng.normal()) * 100) / 100);
  }
  return { scenario: 'daily-shape', startMs: EVAL_START_MS, stepMs, counts: false, rate, values, labels };
}

/**
 * One window of extreme surprise (20 to 170 sds against the key's own
 * noise) on counts or plain values, then back to normal at once.
 */
function burstSeries(seed: number, days: number, stepMs: number): LabelledSeries {
  const rng = new Rng(seed);
  const steps = stepsOf(days, stepMs);
  const at = onsets(rng, days, stepMs, perDays(days, 2));
  if (rng.chance(0.5)) {
    const t = traffic(rng, logUniform(rng, 5, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
    const labels: Label[] = [];
    for (const onset of at) {
      const rate = rateAt(t, onset, steps, stepMs);
      const z = rng.uniform(20, 170);
      // The height whose surprise is z (the surprise grows with the height): bisection.
      let lo = 1;
      let hi = 2;
      while (trueSurprise(t, rate, hi) < z && hi < 1e6) hi *= 2;
      for (let i = 0; i < 50; i++) {
        const mid = (lo + hi) / 2;
        if (trueSurprise(t, rate, mid) < z) lo = mid;
        else hi = mid;
      }
      t.effects.push((step) => (step === onset ? hi : 1));
      labels.push({ direction: 'rising', onset, until: onset + 1 + TAIL_STEPS, height: hi, riseSteps: 0, real: true });
    }
    return { ...render(rng, 'bursts', t, days, stepMs, labels) };
  }
  const base = logUniform(rng, 1e-2, 1e4);
  const sigma = logUniform(rng, 0.01, 0.2);
  const rate: number[] = [];
  const values: number[] = [];
  const labels: Label[] = at.map((onset) => ({ direction: 'rising' as const, onset, until: onset + 1 + TAIL_STEPS, height: rng.uniform(20, 170), riseSteps: 0, real: true }));
  for (let step = 0; step < steps; step++) {
    const burst = labels.find((l) => l.onset === step);
    const level = base * Math.exp(burst ? sigma * burst.height : 0);
    rate.push(level);
    values.push(level * Math.exp(sigma * rng.normal()));
  }
  return { scenario: 'bursts', startMs: EVAL_START_MS, stepMs, counts: false, rate, values, labels };
}

/**
 * Sparse, over-dispersed counts: 0.05 to 1 event per window with bursty
 * noise (gamma-Poisson, phi 0.2 to 1), and bursts that reach 10 to 22
 * events for 1 to 3 windows. A burst is real when its windows together are
 * at least 8 sds above the key's own noise.
 */
function sparseSeries(seed: number, days: number, stepMs: number): LabelledSeries {
  const rng = new Rng(seed);
  const steps = stepsOf(days, stepMs);
  const t = traffic(rng, logUniform(rng, 0.05, 1), { cycles: rng.chance(0.5), phi: [0.2, 1] });
  const labels: Label[] = [];
  /** Each label's base rate. */
  const bases: number[] = [];
  for (const onset of onsets(rng, days, stepMs, perDays(days, 2))) {
    const rate = rateAt(t, onset, steps, stepMs);
    const peak = rng.int(10, 22);
    const length = rng.int(1, 3);
    const height = peak / rate;
    t.effects.push((step) => (step >= onset && step < onset + length ? height : 1));
    const real = trueSurprise(t, rate, height, length) >= REAL_Z;
    labels.push({ direction: 'rising', onset, until: onset + length + TAIL_STEPS, height, riseSteps: 0, real });
    bases.push(rate);
  }
  const series = render(rng, 'sparse', t, days, stepMs, labels);
  // Held to what was drawn, as real-world labels are: an over-dispersed draw can leave a planned peak of 17 at 0 events.
  const shown = (label: Label, i: number) => {
    const length = label.until - TAIL_STEPS - label.onset;
    const events = series.values.slice(label.onset, label.onset + length).reduce((a, b) => a + b, 0);
    return drawnSurprise(t, bases[i]!, events, length) >= REAL_Z;
  };
  return { ...series, labels: series.labels.map((label, i) => ({ ...label, real: label.real && shown(label, i) })) };
}

/**
 * Falls of an item that was selling: a stock-out (to 0-3%) or a broken
 * listing or price error (to 10-50%), for 2 hours to 2 days, then back
 * (a restock is no surge). A fall is real when it at least halves the rate
 * and its first two hours are at least 8 sds below the key's noise.
 */
function dropSeries(seed: number, days: number, stepMs: number): LabelledSeries {
  const rng = new Rng(seed);
  const steps = stepsOf(days, stepMs);
  const t = traffic(rng, logUniform(rng, 1, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
  const labels: Label[] = [];
  const starts = onsets(rng, days, stepMs, perDays(days, 3), 1);
  for (const [i, onset] of starts.entries()) {
    const room = (starts[i + 1] ?? steps) - onset - Math.round((6 * HOUR_MS) / stepMs);
    const length = Math.max(1, Math.min(Math.round((logUniform(rng, 2, 48) * HOUR_MS) / stepMs), room));
    const depth = rng.chance(0.5) ? rng.uniform(0, 0.03) : rng.uniform(0.1, 0.5);
    t.effects.push((step) => (step >= onset && step < onset + length ? depth : 1));
    const real = isRealFall(t, rateAt(t, onset, steps, stepMs), depth, length, stepMs);
    labels.push({ direction: 'falling', onset, until: onset + length + TAIL_STEPS, height: depth, riseSteps: 0, real });
  }
  return render(rng, 'drops', t, days, stepMs, labels);
}

export const FAMILIES: readonly Scenario[] = [
  {
    name: 'values',
    description: 'not counts: prices and response times, percentages, signed levels, wandering readings; half heavy-tailed',
    group: 'family',
    positive: true,
    generate: valueSeries,
  },
  {
    name: 'daily-shape',
    description: 'the same daily shape every day, noise-free or nearly: jumps, falls and flattened days',
    group: 'family',
    positive: true,
    generate: dailyShapeSeries,
  },
  {
    name: 'bursts',
    description: 'one window of extreme surprise (20-170 sd), counts or values',
    group: 'family',
    positive: true,
    generate: burstSeries,
  },
  {
    name: 'sparse',
    description: 'sparse over-dispersed counts (0.05-1 per window) with bursts to 10-22 events for 1-3 windows',
    group: 'family',
    positive: true,
    generate: sparseSeries,
  },
  {
    name: 'drops',
    description: 'an item that was selling falls: stock-outs and broken listings for 2 h to 2 days',
    group: 'family',
    positive: true,
    generate: dropSeries,
  },
];

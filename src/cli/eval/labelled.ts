/**
 * Labelled series for the evaluation: what a scenario generates, and the
 * pieces every generator shares (traffic of shoppers rendered into window
 * counts, onsets, realness of a surge or a fall). Everything is a pure
 * function of the seed.
 */
import type { Direction } from '../../domain.js';
import type { Rng } from '../../sim/random.js';
import { countSurprise } from '../../detect/stats.js';
import { gamma, poisson, sketchActors } from './sampling.js';

/** Something the detector must find: a rise (surge, level shift, burst) or a fall (stock-out, drop). */
export interface Label {
  readonly direction: Direction;
  /** First step of the effect. */
  readonly onset: number;
  /** An opening in [onset, until) in `direction` finds it; later ones there are duplicates. */
  readonly until: number;
  /** Peak multiple of the normal rate (below 1 for a fall); for plain values, the peak shift in noise sds. */
  readonly height: number;
  /** Steps from onset to full height. */
  readonly riseSteps: number;
  /**
   * Strong enough that the targets hold the detector to finding it. An
   * opening for a label that is not real is neither found nor false.
   */
  readonly real: boolean;
}

export interface LabelledSeries {
  readonly scenario: string;
  readonly startMs: number;
  readonly stepMs: number;
  /** Counts (the live detector's windows) or plain values (what `trendmon score` also reads). */
  readonly counts: boolean;
  /** The noise-free signal: the rate events were drawn at, or the value before noise. */
  readonly rate: readonly number[];
  /** Events per window, or the series' values. */
  readonly values: readonly number[];
  /** Counts: the windows' sketch estimate of distinct named shoppers, and events that named none. */
  readonly actors?: readonly number[];
  readonly anonymous?: readonly number[];
  readonly labels: readonly Label[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /**
   * `shop`: the shop traffic the live detector was built for, pooled into
   * the overall targets; `family`: a failure class seen on real-world
   * series, held to its own targets; `reported`: shown, not targeted.
   */
  readonly group: 'shop' | 'family' | 'reported';
  /** Whether its series hold labels (for a no-label scenario every opening is a false alarm). */
  readonly positive: boolean;
  readonly generate: (seed: number, days: number, stepMs: number) => LabelledSeries;
}

/** Series start on a Monday, 00:00 UTC. */
export const EVAL_START_MS = Date.UTC(2025, 0, 6);
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** Openings this many steps after an effect is over still count for it. */
export const TAIL_STEPS = 6;
/** A surge or fall is real when its evidence against the true rate, in the series' own noise, is at least this (sd)... */
export const REAL_Z = 8;
/** ...a surge's peak holds at least this many events, and at least doubles the rate... */
export const REAL_PEAK = 40;
export const REAL_HEIGHT = 2;
/** ...and a fall at least halves it. */
export const REAL_DEPTH = 0.5;

export const logUniform = (rng: Rng, lo: number, hi: number) => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
export const stepsOf = (days: number, stepMs: number) => Math.round((days * DAY_MS) / stepMs);
export const perDays = (days: number, every: number) => Math.max(1, Math.round(days / every));

/** Onset steps for `count` effects, spread over days 2.. with at least `gapDays` between them. */
export function onsets(rng: Rng, days: number, stepMs: number, count: number, gapDays = 0.5): number[] {
  const steps = stepsOf(days, stepMs);
  const first = Math.round(DAY_MS / stepMs);
  const gap = Math.round((gapDays * DAY_MS) / stepMs);
  const slot = Math.floor((steps - first - gap) / count);
  return Array.from({ length: count }, (_, i) => first + i * slot + rng.int(0, Math.max(0, slot - gap)));
}

/** How a key's shopper traffic is drawn. */
export interface Traffic {
  /** Events per window at the daily mean. */
  base: number;
  diurnal: number;
  peakHour: number;
  weekly: number;
  /** Total growth factor over the series (1 = flat). */
  growth: number;
  /** Gamma over-dispersion of shopper arrivals. */
  phi: number;
  /** Mean events per shopper per window (1 = each event a new shopper). */
  repeat: number;
  /** Share of shoppers naming no user or session. */
  anonymous: number;
  /** Rate multipliers by step (surges, shifts, outages, blips). */
  readonly effects: ((step: number) => number)[];
  /** Extra events by step from one bot. */
  readonly bots: ((step: number) => number)[];
}

export function traffic(rng: Rng, base: number, options: { cycles?: boolean; pure?: boolean; phi?: [number, number] } = {}): Traffic {
  return {
    base,
    diurnal: options.cycles ? rng.uniform(0.3, 0.8) : 0,
    peakHour: rng.uniform(12, 22),
    weekly: options.cycles ? rng.uniform(0, 0.25) : 0,
    growth: 1,
    phi: options.phi ? logUniform(rng, ...options.phi) : 0,
    repeat: options.pure ? 1 : rng.uniform(1, 1.6),
    anonymous: options.pure ? 0 : rng.uniform(0, 0.3),
    effects: [],
    bots: [],
  };
}

/** Expected events per window at `step` before any effect. */
export function rateAt(t: Traffic, step: number, steps: number, stepMs: number): number {
  const time = EVAL_START_MS + (step + 0.5) * stepMs;
  const hour = (time % DAY_MS) / HOUR_MS;
  const day = time / DAY_MS;
  const daily = 1 + t.diurnal * Math.cos((2 * Math.PI * (hour - t.peakHour)) / 24);
  const weekly = 1 + t.weekly * Math.cos((2 * Math.PI * (day - 5.5)) / 7);
  return t.base * daily * weekly * t.growth ** (step / steps);
}

/** Draws window counts: shoppers arrive (gamma-Poisson), each makes 1 + Poisson(repeat - 1) events. */
export function render(rng: Rng, name: string, t: Traffic, days: number, stepMs: number, labels: Label[]): LabelledSeries {
  const steps = stepsOf(days, stepMs);
  const rates: number[] = [];
  const values: number[] = [];
  const actors: number[] = [];
  const anonymous: number[] = [];
  for (let step = 0; step < steps; step++) {
    let rate = rateAt(t, step, steps, stepMs);
    for (const effect of t.effects) rate *= effect(step);
    rates.push(rate);
    const noise = t.phi > 0 ? gamma(rng, 1 / t.phi) * t.phi : 1;
    const shoppers = (rate * noise) / t.repeat;
    const named = poisson(rng, shoppers * (1 - t.anonymous));
    const anon = poisson(rng, shoppers * t.anonymous);
    const extra = (n: number) => (t.repeat > 1 ? poisson(rng, (t.repeat - 1) * n) : 0);
    let bot = 0;
    for (const b of t.bots) bot += b(step);
    const anonEvents = anon + extra(anon);
    values.push(named + extra(named) + anonEvents + bot);
    actors.push(sketchActors(rng, named + (bot > 0 ? 1 : 0)));
    anonymous.push(anonEvents);
  }
  return { scenario: name, startMs: EVAL_START_MS, stepMs, counts: true, rate: rates, values, actors, anonymous, labels };
}

/**
 * Surprise of `windows` windows at `height` times `rate` against `rate`, in
 * the series' own noise (sd; negative for a fall). Repeat events inflate
 * the variance by c = E[X^2]/E[X] for X = 1 + Poisson(repeat - 1); windows
 * pooled share one gamma draw each, so their dispersion adds up as phi / n.
 */
export function trueSurprise(t: Traffic, rate: number, height: number, windows = 1): number {
  return drawnSurprise(t, rate, windows * height * rate, windows);
}

/** The same for `events` actually drawn in those windows: what the data shows, whatever was planned. */
export function drawnSurprise(t: Traffic, rate: number, events: number, windows = 1): number {
  const q = t.repeat - 1;
  const c = 1 + q + q / (1 + q);
  return countSurprise(events / c, (windows * rate) / c, (t.phi * c) / windows);
}

/** Whether a surge of `height` at `rate` is one the targets hold the detector to. */
export const isRealSurge = (t: Traffic, rate: number, height: number) =>
  height >= REAL_HEIGHT && height * rate >= REAL_PEAK && trueSurprise(t, rate, height) >= REAL_Z;

/** Whether a fall to `depth` of `rate` lasting `windows` is one: it at least halves the rate and its first two hours (or all of it) are strong evidence. */
export function isRealFall(t: Traffic, rate: number, depth: number, windows: number, stepMs: number): boolean {
  const judged = Math.min(windows, Math.round((2 * HOUR_MS) / stepMs));
  return depth <= REAL_DEPTH && -trueSurprise(t, rate, depth, judged) >= REAL_Z;
}

/** Rate multiplier of a surge: linear rise, plateau, linear fall. */
export function surgeShape(onset: number, height: number, rise: number, plateau: number, fall: number): (step: number) => number {
  return (step) => {
    let j = step - onset;
    if (j < 0) return 1;
    if (j < rise) return 1 + ((height - 1) * (j + 1)) / (rise + 1);
    j -= rise;
    if (j < plateau) return height;
    j -= plateau;
    if (j < fall) return 1 + (height - 1) * (1 - (j + 1) / (fall + 1));
    return 1;
  };
}

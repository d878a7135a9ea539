/**
 * Labelled series for the evaluation: one key's window counts (5-minute
 * tumbling windows by default) with known answers. Each series draws a
 * shopper traffic model (level, daily and weekly cycles, growth,
 * over-dispersion, repeat events per shopper, anonymous share) and
 * injects effects: real surges and level shifts (which must be found) and
 * noise the detector must ignore (blips, bot bursts, restocks, falls).
 * Everything is a pure function of the seed.
 */
import { Rng } from '../../sim/random.js';
import { countSurprise } from '../../detect/stats.js';
import { gamma, poisson, sketchActors } from './sampling.js';

/** A labelled positive: a surge or level shift an alarm must find. */
export interface Surge {
  readonly kind: 'surge' | 'shift';
  /** First step with extra traffic. */
  readonly onset: number;
  /** An opening in [onset, until) finds it; later ones in that range are duplicates. */
  readonly until: number;
  /** Peak multiple of the expected rate. */
  readonly height: number;
  /** Steps from onset to full height. */
  readonly riseSteps: number;
}

export interface LabelledSeries {
  readonly scenario: string;
  readonly startMs: number;
  readonly stepMs: number;
  /** The rate the events were drawn at (noise-free, effects included), events per window. */
  readonly rate: readonly number[];
  readonly events: readonly number[];
  /** Sketch estimate of distinct named shoppers per window. */
  readonly actors: readonly number[];
  readonly anonymous: readonly number[];
  readonly surges: readonly Surge[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Counted in the overall figures and the targets; false: reported only. */
  readonly target: boolean;
  /** Whether its series hold surges (true) or are no-surge series for the false-alarm rate. */
  readonly positive: boolean;
  readonly generate: (seed: number, days: number, stepMs: number) => LabelledSeries;
}

/** Series start on a Monday, 00:00 UTC. */
export const EVAL_START_MS = Date.UTC(2025, 0, 6);
const DAY_MS = 86_400_000;
/** Openings this many steps after a surge's traffic is back to normal still count for it. */
const TAIL_STEPS = 6;
/** A surge is real when its peak window is at least this surprising against the true rate... */
const REAL_Z = 8;
/** ...holds at least this many events, and at least doubles the rate. */
const REAL_PEAK = 40;
const REAL_HEIGHT = 2;

/** How a series' traffic is drawn. */
interface Traffic {
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

const logUniform = (rng: Rng, lo: number, hi: number) => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));

function traffic(rng: Rng, base: number, options: { cycles?: boolean; pure?: boolean; phi?: [number, number] } = {}): Traffic {
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
function rateAt(t: Traffic, step: number, steps: number, stepMs: number): number {
  const time = EVAL_START_MS + (step + 0.5) * stepMs;
  const hour = (time % DAY_MS) / 3_600_000;
  const day = time / DAY_MS;
  const daily = 1 + t.diurnal * Math.cos((2 * Math.PI * (hour - t.peakHour)) / 24);
  const weekly = 1 + t.weekly * Math.cos((2 * Math.PI * (day - 5.5)) / 7);
  return t.base * daily * weekly * t.growth ** (step / steps);
}

/** Draws the series: shoppers arrive (gamma-Poisson), each makes 1 + Poisson(repeat - 1) events. */
function render(rng: Rng, name: string, t: Traffic, days: number, stepMs: number, surges: Surge[]): LabelledSeries {
  const steps = Math.round((days * DAY_MS) / stepMs);
  const rates: number[] = [];
  const events: number[] = [];
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
    events.push(named + extra(named) + anonEvents + bot);
    actors.push(sketchActors(rng, named + (bot > 0 ? 1 : 0)));
    anonymous.push(anonEvents);
  }
  return { scenario: name, startMs: EVAL_START_MS, stepMs, rate: rates, events, actors, anonymous, surges };
}

/** Surprise of a window at `height` times `rate`, against `rate`, in the series' own noise. */
function trueSurprise(t: Traffic, rate: number, height: number): number {
  // Repeat events inflate the variance by c = E[X^2]/E[X] for X = 1 + Poisson(repeat - 1).
  const q = t.repeat - 1;
  const c = 1 + q + q / (1 + q);
  return countSurprise((height * rate) / c, rate / c, t.phi * c);
}

/** Whether a surge of `height` at `rate` is one the targets hold the detector to. */
const isReal = (t: Traffic, rate: number, height: number) =>
  height >= REAL_HEIGHT && height * rate >= REAL_PEAK && trueSurprise(t, rate, height) >= REAL_Z;

/** Onset steps for `count` effects, spread over days 2.. with at least half a day between them. */
function onsets(rng: Rng, days: number, stepMs: number, count: number): number[] {
  const steps = Math.round((days * DAY_MS) / stepMs);
  const first = Math.round(DAY_MS / stepMs);
  const gap = Math.round(DAY_MS / 2 / stepMs);
  const slot = Math.floor((steps - first - gap) / count);
  return Array.from({ length: count }, (_, i) => first + i * slot + rng.int(0, Math.max(0, slot - gap)));
}

const perDays = (days: number, every: number) => Math.max(1, Math.round(days / every));

/** Rate multiplier of a surge: linear rise, plateau, linear fall. */
function surgeShape(onset: number, height: number, rise: number, plateau: number, fall: number): (step: number) => number {
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

const RISES = [0, 0, 1, 1, 2, 3, 5, 8];

/** Real surges (or, `marginal`, weak ones) on flat or cyclic traffic. */
function surgeSeries(name: string, cycles: boolean, marginal: boolean) {
  return (seed: number, days: number, stepMs: number): LabelledSeries => {
    const rng = new Rng(seed);
    const t = traffic(rng, logUniform(rng, 3, 3000), { cycles, phi: [0.005, 0.1] });
    const steps = Math.round((days * DAY_MS) / stepMs);
    const surges: Surge[] = [];
    for (const onset of onsets(rng, days, stepMs, perDays(days, 3))) {
      const rate = rateAt(t, onset, steps, stepMs);
      let height = 0;
      for (let tries = 0; tries < 50 && !height; tries++) {
        const h = marginal ? logUniform(rng, 1.4, 3) : logUniform(rng, 2, 10);
        const z = trueSurprise(t, rate, h);
        const wanted = marginal ? !isReal(t, rate, h) && z >= 3 && h * rate >= 25 : isReal(t, rate, h);
        if (wanted) height = h;
      }
      if (!height) continue;
      const rise = rng.pick(RISES);
      const plateau = rng.int(3, 24);
      const fall = rng.pick([0, 2, 6]);
      t.effects.push(surgeShape(onset, height, rise, plateau, fall));
      surges.push({ kind: 'surge', onset, until: onset + rise + plateau + fall + TAIL_STEPS, height, riseSteps: rise });
    }
    return render(rng, name, t, days, stepMs, surges);
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'poisson',
    description: 'flat Poisson counts, 0.2 to 3,000 events per window',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      return render(rng, 'poisson', traffic(rng, logUniform(rng, 0.2, 3000), { pure: true }), days, stepMs, []);
    },
  },
  {
    name: 'overdispersed',
    description: 'flat, gamma-Poisson (phi 0.01-0.15), shoppers repeating events',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      return render(rng, 'overdispersed', traffic(rng, logUniform(rng, 0.2, 3000), { phi: [0.01, 0.15] }), days, stepMs, []);
    },
  },
  {
    name: 'cycles',
    description: 'daily cycle (amplitude 0.3-0.8) and weekly cycle (up to 0.25)',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 0.2, 3000), { cycles: true, phi: [0.005, 0.05] });
      return render(rng, 'cycles', t, days, stepMs, []);
    },
  },
  {
    name: 'growth',
    description: 'cycles plus steady growth, x1.5 to x4 over the series',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 0.2, 2000), { cycles: true, phi: [0.005, 0.05] });
      t.growth = rng.uniform(1.5, 4);
      return render(rng, 'growth', t, days, stepMs, []);
    },
  },
  {
    name: 'blips',
    description: 'single-window blips: x1.3 to x4 on any key, +2 to +10 events on sparse ones',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 0.2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = Math.round((days * DAY_MS) / stepMs);
      for (const at of onsets(rng, days, stepMs, perDays(days, 1))) {
        const rate = rateAt(t, at, steps, stepMs);
        const factor = rate < 2 ? 1 + rng.int(2, 10) / rate : logUniform(rng, 1.3, 4);
        t.effects.push((step) => (step === at ? factor : 1));
      }
      return render(rng, 'blips', t, days, stepMs, []);
    },
  },
  {
    name: 'bots',
    description: 'one shopper adds x2-x20 the volume (+20-100) for 1-12 windows, keys under 40 shoppers',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => botSeries('bots', seed, days, stepMs, [0.5, 30]),
  },
  {
    name: 'restocks',
    description: 'out of stock (x0.02) for 2 h to 36 h, then back with a catch-up of up to +30%',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const starts = onsets(rng, days, stepMs, perDays(days, 3));
      const hour = 3_600_000 / stepMs;
      for (const [i, at] of starts.entries()) {
        // Each outage ends at least 6 hours before the next one starts.
        const room = (starts[i + 1] ?? Infinity) - at - 6 * hour;
        const length = Math.round(Math.min(rng.uniform(2, 36) * hour, room));
        const catchUp = rng.uniform(0, 0.3);
        t.effects.push((step) => {
          const j = step - at;
          if (j < 0) return 1;
          if (j < length) return 0.02;
          return j < length + 6 ? 1 + catchUp * (1 - (j - length) / 6) : 1;
        });
      }
      return render(rng, 'restocks', t, days, stepMs, []);
    },
  },
  {
    name: 'shift-down',
    description: 'a lasting fall to x0.3-x0.7',
    target: true,
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const [at] = onsets(rng, days, stepMs, 1) as [number];
      const factor = rng.uniform(0.3, 0.7);
      t.effects.push((step) => (step >= at ? factor : 1));
      return render(rng, 'shift-down', t, days, stepMs, []);
    },
  },
  {
    name: 'surges',
    description: 'real surges x2-x10, rising over 0-8 windows, lasting 3-24 windows, flat traffic',
    target: true,
    positive: true,
    generate: surgeSeries('surges', false, false),
  },
  {
    name: 'surges-cycles',
    description: 'real surges on traffic with daily and weekly cycles',
    target: true,
    positive: true,
    generate: surgeSeries('surges-cycles', true, false),
  },
  {
    name: 'shift-up',
    description: 'a lasting rise to x2-x4 (a new normal): found once, then quiet',
    target: true,
    positive: true,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 3, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = Math.round((days * DAY_MS) / stepMs);
      const [at] = onsets(rng, days, stepMs, 1) as [number];
      const rate = rateAt(t, at, steps, stepMs);
      let height = logUniform(rng, 2, 4);
      while (!isReal(t, rate, height) && height < 64) height *= 1.5;
      const rise = rng.pick([0, 1, 3]);
      t.effects.push((step) => (step < at ? 1 : step - at < rise ? 1 + ((height - 1) * (step - at + 1)) / (rise + 1) : height));
      return render(rng, 'shift-up', t, days, stepMs, [{ kind: 'shift', onset: at, until: steps, height, riseSteps: rise }]);
    },
  },
  {
    name: 'marginal',
    description: 'weak surges (below x2, or under 8 sd at their peak): reported, not targeted',
    target: false,
    positive: true,
    generate: surgeSeries('marginal', false, true),
  },
  {
    name: 'bots-busy',
    description: 'bot bursts on keys with 40-300 shoppers per window, where the sketch saturates: reported, not targeted',
    target: false,
    positive: false,
    generate: (seed, days, stepMs) => botSeries('bots-busy', seed, days, stepMs, [40, 300]),
  },
];

function botSeries(name: string, seed: number, days: number, stepMs: number, base: [number, number]): LabelledSeries {
  const rng = new Rng(seed);
  const t = traffic(rng, logUniform(rng, ...base), { phi: [0.005, 0.05] });
  for (const at of onsets(rng, days, stepMs, perDays(days, 1))) {
    const length = rng.int(1, 12);
    const extra = Math.round(t.base * rng.uniform(2, 20) + rng.uniform(20, 100));
    t.bots.push((step) => (step >= at && step < at + length ? extra : 0));
  }
  return render(rng, name, t, days, stepMs, []);
}

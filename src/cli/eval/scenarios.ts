/**
 * The shop scenarios: one key's window counts (5-minute tumbling windows by
 * default) from the shopper traffic the live detector watches, with known
 * answers. Real surges, level shifts and falls must be found; blips, bots,
 * cycles and growth must not raise an alarm. The failure classes seen on
 * real-world series are in families.ts.
 */
import { Rng } from '../../sim/random.js';
import { FAMILIES } from './families.js';
import {
  isRealFall,
  isRealSurge,
  logUniform,
  onsets,
  perDays,
  rateAt,
  render,
  stepsOf,
  surgeShape,
  TAIL_STEPS,
  traffic,
  trueSurprise,
  type Label,
  type LabelledSeries,
  type Scenario,
} from './labelled.js';

const RISES = [0, 0, 1, 1, 2, 3, 5, 8];
/** Blips are at most this surprising against the true rate (sd): moderate, where one window proves nothing. */
const BLIP_Z = 6;

/** Real surges (or, `marginal`, weak ones) on flat or cyclic traffic. */
function surgeSeries(name: string, cycles: boolean, marginal: boolean) {
  return (seed: number, days: number, stepMs: number): LabelledSeries => {
    const rng = new Rng(seed);
    const t = traffic(rng, logUniform(rng, 3, 3000), { cycles, phi: [0.005, 0.1] });
    const steps = stepsOf(days, stepMs);
    const labels: Label[] = [];
    for (const onset of onsets(rng, days, stepMs, perDays(days, 3))) {
      const rate = rateAt(t, onset, steps, stepMs);
      let height = 0;
      for (let tries = 0; tries < 50 && !height; tries++) {
        const h = marginal ? logUniform(rng, 1.4, 3) : logUniform(rng, 2, 10);
        const z = trueSurprise(t, rate, h);
        const wanted = marginal ? !isRealSurge(t, rate, h) && z >= 3 && h * rate >= 25 : isRealSurge(t, rate, h);
        if (wanted) height = h;
      }
      if (!height) continue;
      const rise = rng.pick(RISES);
      const plateau = rng.int(3, 24);
      const fall = rng.pick([0, 2, 6]);
      t.effects.push(surgeShape(onset, height, rise, plateau, fall));
      labels.push({ direction: 'rising', onset, until: onset + rise + plateau + fall + TAIL_STEPS, height, riseSteps: rise, real: true });
    }
    return render(rng, name, t, days, stepMs, labels);
  };
}

const SHOP: readonly Scenario[] = [
  {
    name: 'poisson',
    description: 'flat Poisson counts, 0.2 to 3,000 events per window',
    group: 'shop',
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      return render(rng, 'poisson', traffic(rng, logUniform(rng, 0.2, 3000), { pure: true }), days, stepMs, []);
    },
  },
  {
    name: 'overdispersed',
    description: 'flat, gamma-Poisson (phi 0.01-0.15), shoppers repeating events',
    group: 'shop',
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      return render(rng, 'overdispersed', traffic(rng, logUniform(rng, 0.2, 3000), { phi: [0.01, 0.15] }), days, stepMs, []);
    },
  },
  {
    name: 'cycles',
    description: 'daily cycle (amplitude 0.3-0.8) and weekly cycle (up to 0.25)',
    group: 'shop',
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
    group: 'shop',
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
    description: 'single-window blips of moderate surprise (under 6 sd): x1.3 to x4 on any key, +2 to +10 events on sparse ones',
    group: 'shop',
    positive: false,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 0.2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = stepsOf(days, stepMs);
      for (const at of onsets(rng, days, stepMs, perDays(days, 1))) {
        const rate = rateAt(t, at, steps, stepMs);
        // One window of extreme surprise is an anomaly to find (family `bursts`): blips stay well below it.
        let factor = 1;
        for (let tries = 0; tries < 50 && factor === 1; tries++) {
          const f = rate < 2 ? 1 + rng.int(2, 10) / rate : logUniform(rng, 1.3, 4);
          if (trueSurprise(t, rate, f) < BLIP_Z) factor = f;
        }
        t.effects.push((step) => (step === at ? factor : 1));
      }
      return render(rng, 'blips', t, days, stepMs, []);
    },
  },
  {
    name: 'bots',
    description: 'one shopper adds x2-x20 the volume (+20-100) for 1-12 windows, keys under 40 shoppers',
    group: 'shop',
    positive: false,
    generate: (seed, days, stepMs) => botSeries('bots', seed, days, stepMs, [0.5, 30]),
  },
  {
    name: 'restocks',
    description: 'out of stock (x0.02) for 2 h to 36 h, a fall to find, then back with a catch-up of up to +30% that is no surge',
    group: 'shop',
    positive: true,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = stepsOf(days, stepMs);
      const starts = onsets(rng, days, stepMs, perDays(days, 3));
      const hour = 3_600_000 / stepMs;
      const labels: Label[] = [];
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
        const real = isRealFall(t, rateAt(t, at, steps, stepMs), 0.02, length, stepMs);
        labels.push({ direction: 'falling', onset: at, until: at + length + TAIL_STEPS, height: 0.02, riseSteps: 0, real });
      }
      return render(rng, 'restocks', t, days, stepMs, labels);
    },
  },
  {
    name: 'shift-down',
    description: 'a lasting fall to x0.3-x0.7: found when it at least halves the rate',
    group: 'shop',
    positive: true,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 2, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = stepsOf(days, stepMs);
      const [at] = onsets(rng, days, stepMs, 1) as [number];
      const factor = rng.uniform(0.3, 0.7);
      t.effects.push((step) => (step >= at ? factor : 1));
      const real = isRealFall(t, rateAt(t, at, steps, stepMs), factor, steps - at, stepMs);
      return render(rng, 'shift-down', t, days, stepMs, [{ direction: 'falling', onset: at, until: steps, height: factor, riseSteps: 0, real }]);
    },
  },
  {
    name: 'surges',
    description: 'real surges x2-x10, rising over 0-8 windows, lasting 3-24 windows, flat traffic',
    group: 'shop',
    positive: true,
    generate: surgeSeries('surges', false, false),
  },
  {
    name: 'surges-cycles',
    description: 'real surges on traffic with daily and weekly cycles',
    group: 'shop',
    positive: true,
    generate: surgeSeries('surges-cycles', true, false),
  },
  {
    name: 'shift-up',
    description: 'a lasting rise to x2-x4 (a new normal): found once, then quiet',
    group: 'shop',
    positive: true,
    generate: (seed, days, stepMs) => {
      const rng = new Rng(seed);
      const t = traffic(rng, logUniform(rng, 3, 3000), { cycles: rng.chance(0.5), phi: [0.005, 0.05] });
      const steps = stepsOf(days, stepMs);
      const [at] = onsets(rng, days, stepMs, 1) as [number];
      const rate = rateAt(t, at, steps, stepMs);
      let height = logUniform(rng, 2, 4);
      while (!isRealSurge(t, rate, height) && height < 64) height *= 1.5;
      const rise = rng.pick([0, 1, 3]);
      t.effects.push((step) => (step < at ? 1 : step - at < rise ? 1 + ((height - 1) * (step - at + 1)) / (rise + 1) : height));
      return render(rng, 'shift-up', t, days, stepMs, [{ direction: 'rising', onset: at, until: steps, height, riseSteps: rise, real: true }]);
    },
  },
  {
    name: 'marginal',
    description: 'weak surges (below x2, or under 8 sd at their peak): reported, not targeted',
    group: 'reported',
    positive: true,
    generate: surgeSeries('marginal', false, true),
  },
  {
    name: 'bots-busy',
    description: 'bot bursts on keys with 40-300 shoppers per window, where the sketch saturates: reported, not targeted',
    group: 'reported',
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

/** Every scenario of the evaluation: the shop's, then the real-world families. */
export const SCENARIOS: readonly Scenario[] = [...SHOP, ...FAMILIES];

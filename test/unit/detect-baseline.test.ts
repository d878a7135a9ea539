import { describe, expect, it } from 'vitest';
import { CountBaseline } from '../../src/detect/baseline.js';
import { ValueBaseline } from '../../src/detect/value-baseline.js';
import { seriesOptions } from '../../src/detect/series.js';
import { gamma, poisson } from '../../src/cli/eval/sampling.js';
import { DEFAULT_KEY_OPTIONS } from '../../src/detect/key-model.js';
import { DailyProfile, DailyResiduals, DAY_MS } from '../../src/detect/season.js';
import { Rng } from '../../src/sim/random.js';

const STEP = 300_000;
const T0 = Date.UTC(2025, 0, 6);
const at = (i: number) => T0 + (i + 0.5) * STEP;

/** Learns `rate(i)`-distributed counts (gamma-Poisson with `phi`) for `n` windows. */
function train(baseline: CountBaseline, n: number, rate: (i: number) => number, phi = 0, seed = 1): void {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const noise = phi > 0 ? gamma(rng, 1 / phi) * phi : 1;
    const x = poisson(rng, rate(i) * noise);
    baseline.learn(at(i), STEP, x, baseline.predict(at(i)), i >= 12, false);
  }
}

describe('DailyProfile', () => {
  it('interpolates between bin centres and keeps factors averaging 1', () => {
    const profile = new DailyProfile(6 * 3_600_000); // 4 bins, centres at 03:00, 09:00, 15:00, 21:00
    // Teach bin 1 (09:00) that it sees twice the level, with no prior.
    profile.learn(T0 + 9 * 3_600_000, 2, 1, 1, 0);
    for (const hour of [3, 15, 21]) profile.learn(T0 + hour * 3_600_000, 1, 1, 1, 0);
    const f = (hour: number) => profile.factorAt(T0 + hour * 3_600_000);
    expect(f(9)).toBeCloseTo(2 / 1.25, 9);
    expect(f(3)).toBeCloseTo(1 / 1.25, 9);
    expect(f(6)).toBeCloseTo((f(3) + f(9)) / 2, 9);
    const mean = [3, 9, 15, 21].reduce((sum, hour) => sum + f(hour), 0) / 4;
    expect(mean).toBeCloseTo(1, 9);
    expect(f(0)).toBeCloseTo((f(21) + f(3)) / 2, 9); // wraps at midnight
  });

  it('rejects bins that do not divide a day', () => {
    expect(() => new DailyProfile(7 * 3_600_000)).toThrow(RangeError);
  });

  it('is shrunk towards 1 by its prior until the data outweighs it', () => {
    const profile = new DailyProfile(12 * 3_600_000); // bins centred at 06:00 and 18:00
    const morning = T0 + 6 * 3_600_000;
    profile.learn(morning, 3, 1, 1, 10); // one window at three times the level, against 10 of prior
    expect(profile.factorAt(morning)).toBeLessThan(1.2);
    for (let i = 0; i < 100; i++) profile.learn(morning, 3, 1, 1, 10);
    expect(profile.factorAt(morning)).toBeGreaterThan(1.4);
  });
});

describe('DailyResiduals', () => {
  const HOUR_MS = 3_600_000;
  /** Records an hour of 5-minute windows from `fromHour` (hours since T0), all missing by `residual`. */
  const record = (r: DailyResiduals, fromHour: number, hours: number, residual: number, excursion: boolean) => {
    for (let t = T0 + fromHour * HOUR_MS; t < T0 + (fromHour + hours) * HOUR_MS; t += STEP) r.record(t, residual, excursion);
  };

  it('takes a miss for routine when yesterday missed the same way at that time, the key ordinary in between', () => {
    const r = new DailyResiduals(HOUR_MS);
    record(r, 0, 9, 0, false);
    record(r, 9, 2, 1, true); // a daily step at 09:00, taken for a spike
    record(r, 11, 22, 0, false);
    expect(r.recurs(T0 + 33.5 * HOUR_MS, 1)).toBe(true);
    expect(r.recurs(T0 + 33.5 * HOUR_MS, -1)).toBe(false);
  });

  it('does not take one excursion that has lasted since yesterday for routine (a stock-out of a day and a half)', () => {
    const r = new DailyResiduals(HOUR_MS);
    record(r, 0, 10, 0, false);
    record(r, 10, 26, -3, true); // out of stock from 10:00 on day one to 12:00 on day two
    expect(r.recurs(T0 + 35.5 * HOUR_MS, -3)).toBe(false);
  });
});

describe('CountBaseline', () => {
  it('learns a flat Poisson level and finds no over-dispersion', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS);
    train(b, 2000, () => 200);
    const p = b.predict(at(2000));
    expect(p.mean).toBeGreaterThan(190);
    expect(p.mean).toBeLessThan(210);
    expect(p.phi).toBeLessThan(0.006);
  });

  it('estimates negative-binomial over-dispersion', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS);
    train(b, 3000, () => 500, 0.05);
    const { phi } = b.predict(at(3000));
    expect(phi).toBeGreaterThan(0.035);
    expect(phi).toBeLessThan(0.07);
  });

  it('learns the time-of-day cycle once it has a day of history', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS);
    const rate = (i: number) => 400 * (1 + 0.7 * Math.cos((2 * Math.PI * ((at(i) % DAY_MS) / 3_600_000 - 20)) / 24));
    const perDay = DAY_MS / STEP;
    train(b, 5 * perDay, rate);
    // Day 6, one window ahead as the detector predicts: within a few percent of the true rate
    // at every hour, from the 0.3x trough to the 1.7x peak.
    const rng = new Rng(2);
    const errors: number[] = [];
    for (let i = 5 * perDay; i < 6 * perDay; i++) {
      const p = b.predict(at(i));
      errors.push(Math.abs(p.mean / rate(i) - 1));
      b.learn(at(i), STEP, poisson(rng, rate(i)), p, true, false);
    }
    expect(errors.reduce((sum, e) => sum + e, 0) / errors.length).toBeLessThan(0.05);
    expect(Math.max(...errors)).toBeLessThan(0.15);
  });

  it('is not dragged up by a single huge window', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS);
    train(b, 300, () => 100);
    const before = b.predict(at(300));
    b.learn(at(300), STEP, 5000, before, true, false);
    const after = b.predict(at(301)).mean;
    // At most learnClip standard deviations, weighted by one window's share.
    expect(after - before.mean).toBeLessThan(DEFAULT_KEY_OPTIONS.learnClip * Math.sqrt(before.variance));
  });

  it('expects a key that appears late near zero, so its first burst is a surprise', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS, 500);
    b.learn(at(0), STEP, 80, b.predict(at(0)), true, false);
    expect(b.predict(at(1)).mean).toBeLessThan(10);
  });

  it('adopts a new level at once', () => {
    const b = new CountBaseline(DEFAULT_KEY_OPTIONS);
    train(b, 300, () => 100);
    b.adopt(at(300), 250);
    expect(b.predict(at(300)).mean).toBeCloseTo(250, 6);
  });
});

describe('ValueBaseline', () => {
  const options = seriesOptions(STEP);
  const learnAll = (b: ValueBaseline, values: (i: number) => number, from: number, to: number) => {
    for (let i = from; i < to; i++) b.learn(at(i), STEP, values(i), b.predict(at(i)), i >= 12, false);
  };

  it('learns the spread of a plain series from the data, with no Poisson floor', () => {
    const b = new ValueBaseline(options);
    const rng = new Rng(3);
    learnAll(b, () => 0.5 + 0.01 * rng.normal(), 0, 500);
    const p = b.predict(at(500));
    expect(p.mean).toBeCloseTo(0.5, 2);
    expect(b.surprise(0.52, p)).toBeLessThan(3);
    expect(b.surprise(0.6, p)).toBeGreaterThan(5);
  });

  it('is scale-free: the same series in other units is equally surprising', () => {
    const surprises = [1e-3, 1, 1e6].map((unit) => {
      const b = new ValueBaseline(options);
      const rng = new Rng(4);
      learnAll(b, () => unit * (20 + rng.normal()), 0, 600);
      return b.surprise(unit * 30, b.predict(at(600)));
    });
    expect(surprises[1]).toBeGreaterThan(5);
    for (const s of surprises) expect(s).toBeCloseTo(surprises[1]!, 6);
  });

  it('is not fooled by heavy tails into a small spread: the robust scale is the bulk of the data', () => {
    const b = new ValueBaseline(options);
    const rng = new Rng(5);
    // Mostly 100 +- 1, with one window in twenty 30 away.
    learnAll(b, (i) => 100 + rng.normal() + (i % 20 === 7 ? 30 : 0), 0, 1000);
    const p = b.predict(at(1000));
    expect(b.surprise(103, p)).toBeLessThan(4);
    expect(b.surprise(108, p)).toBeGreaterThan(6);
  });

  it('predicts a noise-free daily shape exactly from its second day on, steps and all', () => {
    const b = new ValueBaseline(options);
    const perDay = DAY_MS / STEP;
    const shape = (i: number) => ((i % perDay) >= 97 && (i % perDay) < 200 ? 360 : 557);
    learnAll(b, shape, 0, perDay + 96);
    for (const i of [perDay + 96, perDay + 97, perDay + 199, perDay + 200]) {
      const p = b.predict(at(i));
      expect(p.mean, `row ${i}`).toBeCloseTo(shape(i), 0);
      b.learn(at(i), STEP, shape(i), p, true, false);
    }
  });

  it('never claims a spread of zero: a routine wobble of a flat series is not a catastrophe', () => {
    const b = new ValueBaseline(options);
    learnAll(b, () => 50, 0, 600);
    const p = b.predict(at(600));
    expect(Number.isFinite(b.surprise(50.2, p))).toBe(true);
    expect(b.surprise(50.2, p)).toBeLessThan(DEFAULT_KEY_OPTIONS.openScore); // 0.4% of the level
    expect(b.surprise(60, p)).toBeGreaterThan(10); // 20%
  });

  it('holds a reading far from its units\' zero to its own noise, not to a share of its level', () => {
    // A signed level at 90 with 0.1 of noise: a jump of 2 is 20 sd, though only 2% of the level.
    const rng = new Rng(3);
    const b = new ValueBaseline(options);
    learnAll(b, () => 90 + 0.1 * rng.normal(), 0, 600);
    const p = b.predict(at(600));
    expect(b.surprise(p.mean + 2, p)).toBeGreaterThan(10);
    expect(Math.abs(b.surprise(p.mean + 0.1, p))).toBeLessThan(2);
  });

  it('reads a series on the scale that has predicted it better: additive noise plainly, multiplicative on a log scale', () => {
    // Both start clear of zero (a log scale is tried first), then move between levels 60 and 6 every six hours.
    const level = (i: number) => (Math.floor(i / 72) % 2 === 0 ? 60 : 6);
    const rng = new Rng(8);
    const additive = new ValueBaseline(options);
    learnAll(additive, (i) => level(i) + 0.5 * rng.normal(), 0, 4 * 288);
    expect(additive.log).toBe(false);
    const multiplicative = new ValueBaseline(options);
    learnAll(multiplicative, (i) => level(i) * Math.exp(0.05 * rng.normal()), 0, 4 * 288);
    expect(multiplicative.log).toBe(true);
    // Read plainly, routine noise at the low level is routine: 1.5 above 6 is 3 sd, not the 5 a log scale learned at 60 would say.
    const p = additive.predict(at(4 * 288));
    expect(Math.abs(additive.surprise(p.mean + 1.5, p))).toBeLessThan(4);
  });

  it('models a series that crosses zero as it is, and one clear of zero on a log scale', () => {
    const signed = new ValueBaseline(options);
    const rng = new Rng(6);
    learnAll(signed, () => rng.normal(), 0, 400);
    expect(signed.surprise(5, signed.predict(at(400)))).toBeGreaterThan(3);
    expect(signed.surprise(-5, signed.predict(at(400)))).toBeLessThan(-3);
    const positive = new ValueBaseline(options);
    learnAll(positive, () => 200 * Math.exp(0.05 * rng.normal()), 0, 400);
    // x1.5 and /1.5 are about as surprising: the scale is multiplicative.
    const p = positive.predict(at(400));
    const up = positive.surprise(300, p);
    const down = -positive.surprise(200 / 1.5, p);
    expect(up).toBeGreaterThan(3);
    expect(down / up).toBeGreaterThan(0.8);
    expect(down / up).toBeLessThan(1.3);
  });
});

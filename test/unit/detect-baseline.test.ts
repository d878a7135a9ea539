import { describe, expect, it } from 'vitest';
import { Baseline } from '../../src/detect/baseline.js';
import { gamma, poisson } from '../../src/cli/eval/sampling.js';
import { DEFAULT_KEY_OPTIONS } from '../../src/detect/key-model.js';
import { DailyProfile, DAY_MS } from '../../src/detect/season.js';
import { Rng } from '../../src/sim/random.js';

const STEP = 300_000;
const T0 = Date.UTC(2025, 0, 6);
const at = (i: number) => T0 + (i + 0.5) * STEP;

/** Learns `rate(i)`-distributed counts (gamma-Poisson with `phi`) for `n` windows. */
function train(baseline: Baseline, n: number, rate: (i: number) => number, phi = 0, seed = 1): void {
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const noise = phi > 0 ? gamma(rng, 1 / phi) * phi : 1;
    const x = poisson(rng, rate(i) * noise);
    baseline.learn(at(i), STEP, x, baseline.predict(at(i)), i >= 12);
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

describe('Baseline', () => {
  it('learns a flat Poisson level and finds no over-dispersion', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true);
    train(b, 2000, () => 200);
    const p = b.predict(at(2000));
    expect(p.mean).toBeGreaterThan(190);
    expect(p.mean).toBeLessThan(210);
    expect(p.phi).toBeLessThan(0.006);
  });

  it('estimates negative-binomial over-dispersion', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true);
    train(b, 3000, () => 500, 0.05);
    const { phi } = b.predict(at(3000));
    expect(phi).toBeGreaterThan(0.035);
    expect(phi).toBeLessThan(0.07);
  });

  it('learns the time-of-day cycle once it has a day of history', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true);
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
      b.learn(at(i), STEP, poisson(rng, rate(i)), p, true);
    }
    expect(errors.reduce((sum, e) => sum + e, 0) / errors.length).toBeLessThan(0.05);
    expect(Math.max(...errors)).toBeLessThan(0.15);
  });

  it('is not dragged up by a single huge window', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true);
    train(b, 300, () => 100);
    const before = b.predict(at(300));
    b.learn(at(300), STEP, 5000, before, true);
    const after = b.predict(at(301)).mean;
    // At most learnClip standard deviations, weighted by one window's share.
    expect(after - before.mean).toBeLessThan(DEFAULT_KEY_OPTIONS.learnClip * Math.sqrt(before.variance));
  });

  it('expects a key that appears late near zero, so its first burst is a surprise', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true, 500);
    b.learn(at(0), STEP, 80, b.predict(at(0)), true);
    expect(b.predict(at(1)).mean).toBeLessThan(10);
  });

  it('learns the spread of a plain series from the data, with no Poisson floor', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, false);
    const rng = new Rng(3);
    for (let i = 0; i < 500; i++) b.learn(at(i), STEP, 0.5 + 0.01 * rng.normal(), b.predict(at(i)), i >= 12);
    const p = b.predict(at(500));
    expect(p.mean).toBeCloseTo(0.5, 2);
    expect(Math.sqrt(p.variance)).toBeLessThan(0.02);
    expect(b.surprise(0.6, p)).toBeGreaterThan(5);
  });

  it('adopts a new level at once', () => {
    const b = new Baseline(DEFAULT_KEY_OPTIONS, true);
    train(b, 300, () => 100);
    b.adopt(at(300), 250);
    expect(b.predict(at(300)).mean).toBeCloseTo(250, 6);
  });
});

/** CalibratedTail: the evidence of a surprise, as the key's own record says it really is. */
import { describe, expect, it } from 'vitest';
import { normalEvidence } from '../../src/detect/stats.js';
import { CalibratedTail } from '../../src/detect/tail.js';
import { Rng } from '../../src/sim/random.js';

const keep = 1 - 1 / 2016;

/** Student's t with 3 degrees of freedom, scaled to a robust sd of 1. */
const studentT3 = (rng: Rng) => {
  let chi = 0;
  for (let i = 0; i < 3; i++) chi += rng.normal() ** 2;
  return rng.normal() / Math.sqrt(chi / 3) / 1.134;
};

describe('CalibratedTail', () => {
  it('is the model where the key behaves as the model says', () => {
    const tail = new CalibratedTail(normalEvidence, 50);
    const rng = new Rng(1);
    for (let i = 0; i < 2016; i++) tail.learn(rng.normal(), keep);
    for (const z of [3, 4.5, 8, 20]) {
      expect(tail.evidence(z)).toBeGreaterThan(0.95 * normalEvidence(z));
      expect(tail.evidence(z)).toBeLessThanOrEqual(normalEvidence(z));
    }
  });

  it('shrinks the evidence of a heavy tail to what the key shows: a t3 outlier of 8 sd is routine', () => {
    const tail = new CalibratedTail(normalEvidence, 50);
    const rng = new Rng(2);
    for (let i = 0; i < 2016; i++) tail.learn(studentT3(rng), keep);
    // For a t3, P(Z >= 8 robust sd) is about 1.4e-3 (evidence 2.85); the model says 15.2.
    expect(tail.evidence(8)).toBeGreaterThan(2);
    expect(tail.evidence(8)).toBeLessThan(4.5);
  });

  it('is unmoved by one odd window far out', () => {
    const tail = new CalibratedTail(normalEvidence, 50);
    const rng = new Rng(3);
    for (let i = 0; i < 2016; i++) tail.learn(i === 1000 ? 17 : rng.normal(), keep);
    expect(tail.evidence(12)).toBeGreaterThan(0.95 * normalEvidence(12));
  });

  it('grows with z without a cap, and is 0 at or below 0', () => {
    const tail = new CalibratedTail(normalEvidence, 50);
    const rng = new Rng(4);
    for (let i = 0; i < 2016; i++) tail.learn(studentT3(rng), keep);
    expect(tail.evidence(0)).toBe(0);
    expect(tail.evidence(-3)).toBe(0);
    let previous = 0;
    for (let z = 0.1; z < 200; z *= 1.1) {
      const e = tail.evidence(z);
      expect(e).toBeGreaterThanOrEqual(previous);
      previous = e;
    }
    expect(tail.evidence(170)).toBeGreaterThan(tail.evidence(20));
  });
});

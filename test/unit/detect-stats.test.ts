import { describe, expect, it } from 'vitest';
import { logGamma } from '../../src/cli/eval/sampling.js';
import { countDeviance, countSurprise, decayWeight, normalEvidence, valueSurprise } from '../../src/detect/stats.js';

/** The normal quantile of an upper tail probability (bisection on erfc; tests only). */
function normalQuantile(tail: number): number {
  const upper = (z: number) => 0.5 * erfc(z / Math.SQRT2);
  let lo = -10;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (upper(mid) > tail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** erfc by its continued fraction / series (Numerical Recipes erfcc, rel. error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * P(X >= x) for a negative binomial with mean mu and dispersion phi (phi = 0:
 * Poisson): the pmf at x in log space, then the upper terms by their ratios.
 */
function exactUpperTail(x: number, mu: number, phi: number): number {
  const r = 1 / phi;
  const q = mu / (mu + r);
  const logPmf =
    phi === 0
      ? x * Math.log(mu) - mu - logGamma(x + 1)
      : logGamma(x + r) - logGamma(r) - logGamma(x + 1) + r * Math.log1p(-q) + x * Math.log(q);
  let term = 1;
  let sum = 0;
  for (let k = x; term > 1e-17 * sum || k < x + 10; k++) {
    sum += term;
    term *= phi === 0 ? mu / (k + 1) : ((k + r) / (k + 1)) * q;
  }
  return Math.exp(logPmf) * sum;
}

describe('decayWeight', () => {
  it('weighs a new observation so that old ones halve every half-life', () => {
    expect(decayWeight(60_000, 60_000)).toBeCloseTo(0.5, 12);
    expect(decayWeight(0, 60_000)).toBe(0);
    // Two steps of half a half-life keep the same share of the past as one whole step.
    const half = 1 - decayWeight(30_000, 60_000);
    expect(half * half).toBeCloseTo(1 - decayWeight(60_000, 60_000), 12);
  });
});

describe('countSurprise', () => {
  it('is zero at the mean and signed either side', () => {
    expect(countSurprise(10, 10, 0)).toBe(0);
    expect(countSurprise(20, 10, 0)).toBeGreaterThan(0);
    expect(countSurprise(3, 10, 0)).toBeLessThan(0);
  });

  it.each([
    [1, 6],
    [1, 9],
    [10, 25],
    [10, 35],
    [100, 150],
    [2000, 2200],
  ])('is close to the exact Poisson tail quantile (mu %d, x %d)', (mu, x) => {
    const exact = normalQuantile(exactUpperTail(x, mu, 0));
    expect(Math.abs(countSurprise(x, mu, 0) - exact)).toBeLessThan(0.25);
  });

  it.each([
    [5, 20, 0.1],
    [50, 150, 0.05],
    [500, 1500, 0.02],
  ])('is close to the exact negative-binomial tail quantile (mu %d, x %d, phi %d)', (mu, x, phi) => {
    const exact = normalQuantile(exactUpperTail(x, mu, phi));
    expect(Math.abs(countSurprise(x, mu, phi) - exact)).toBeLessThan(0.3);
  });

  it('does not overstate small counts the way a plain z-score does', () => {
    // 6 events where 1 was expected: a z-score says 5 sd, the tail says about 3.
    expect((6 - 1) / Math.sqrt(1)).toBe(5);
    expect(countSurprise(6, 1, 0)).toBeLessThan(3.6);
  });

  it('is less surprised by the same jump when counts are over-dispersed', () => {
    expect(countSurprise(300, 100, 0.05)).toBeLessThan(countSurprise(300, 100, 0));
    expect(countDeviance(300, 100, 1e-12)).toBeCloseTo(countDeviance(300, 100, 0), 6);
  });
});

describe('valueSurprise', () => {
  it('is a plain z-score', () => {
    expect(valueSurprise(14, 10, 4)).toBe(2);
  });
});

describe('normalEvidence', () => {
  it('is -log10 of the normal upper tail, accurate far out where the tail underflows', () => {
    for (const z of [-1, 0, 1, 2, 3, 4.5, 6]) expect(normalEvidence(z)).toBeCloseTo(-Math.log10(0.5 * erfc(z / Math.SQRT2)), 4);
    expect(normalEvidence(4.5)).toBeCloseTo(5.4688, 3);
    expect(normalEvidence(8)).toBeCloseTo(15.2061, 2);
    // Past where P underflows: log P(Z >= z) ~ -z^2/2 - log(z sqrt(2 pi)).
    const z = 170;
    expect(normalEvidence(z)).toBeCloseTo((z * z / 2 + Math.log(z * Math.sqrt(2 * Math.PI))) / Math.LN10, 1);
    // Smooth where the two methods meet.
    expect(Math.abs(normalEvidence(5.0001) - normalEvidence(4.9999))).toBeLessThan(0.01);
  });
});

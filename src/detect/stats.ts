/**
 * The detector's arithmetic: event-time EWMA weights and the surprise of a
 * window count. Pure functions, no state; docs/detection.md has the formulas.
 */

/**
 * Weight of a new observation that arrives `dtMs` after the previous one,
 * for an exponentially weighted average with half-life `halfLifeMs`:
 * 1 - 2^(-dt/H). In event time, so a gap between windows (an idle stream)
 * counts for what it lasted, and half-lives mean the same at any slide.
 */
export function decayWeight(dtMs: number, halfLifeMs: number): number {
  return 1 - 2 ** (-Math.max(0, dtMs) / halfLifeMs);
}

/** Below this the negative binomial is computed as its Poisson limit. */
const POISSON_LIMIT = 1e-9;

/**
 * The deviance of count `x` against a negative binomial with mean `mu` and
 * dispersion `phi` (variance mu + phi * mu^2):
 *   D = 2 [ x ln(x/mu) - (x + 1/phi) ln((1 + phi x) / (1 + phi mu)) ]
 * which at phi -> 0 is the Poisson deviance 2 [ x ln(x/mu) - (x - mu) ].
 */
export function countDeviance(x: number, mu: number, phi: number): number {
  const xlog = x > 0 ? x * Math.log(x / mu) : 0;
  if (phi < POISSON_LIMIT) return Math.max(0, 2 * (xlog - (x - mu)));
  return Math.max(0, 2 * (xlog - (x + 1 / phi) * (Math.log1p(phi * x) - Math.log1p(phi * mu))));
}

/**
 * How surprising count `x` is against mean `mu` and dispersion `phi`, in
 * standard deviations: the signed root of the deviance, which is close to
 * the normal quantile of the exact tail probability even for small counts
 * (where a plain z-score overstates upward surprises several-fold). Upward
 * counts get a half-event continuity correction, as tail P(X >= x) of a
 * discrete count needs.
 */
export function countSurprise(x: number, mu: number, phi: number): number {
  if (x > mu) return Math.sqrt(countDeviance(Math.max(mu, x - 0.5), mu, phi));
  if (x < mu) return -Math.sqrt(countDeviance(Math.max(0, x), mu, phi));
  return 0;
}

/** A plain z-score, for series that are not counts. */
export function valueSurprise(x: number, mu: number, variance: number): number {
  return (x - mu) / Math.sqrt(variance);
}

/** erfc by Numerical Recipes' erfcc: relative error below 1.2e-7 everywhere. */
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

const LN10 = Math.log(10);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The evidence a z-score carries: -log10 P(Z >= z) for a standard normal Z,
 * accurate far into the tail (z = 170 gives about 6,280), where the
 * probability itself underflows. 0.30 at z = 0, 5.47 at 4.5, 15.1 at 8.
 */
export function normalEvidence(z: number): number {
  if (z < 5) return -Math.log10(0.5 * erfc(z / Math.SQRT2));
  // Mills' ratio: log P(Z >= z) = log phi(z) - log z + log(1 - 1/z^2 + 3/z^4 - 15/z^6 + 105/z^8)
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / z2 ** 2 - 15 / z2 ** 3 + 105 / z2 ** 4;
  return (z2 / 2 + HALF_LOG_2PI + Math.log(z) - Math.log(series)) / LN10;
}

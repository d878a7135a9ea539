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

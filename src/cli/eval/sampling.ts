/**
 * Random variates the evaluation's series need on top of src/sim/random.ts:
 * Poisson counts in O(1) for large means (the harness draws millions of
 * windows with means in the thousands), gamma noise for over-dispersion,
 * and the windows' 32-bucket distinct-shopper sketch.
 */
import type { Rng } from '../../sim/random.js';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Poisson(mean): exact; Knuth's method below 10, Hörmann's PTRS transformed rejection above. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 10) return rng.poisson(mean);
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
  }
}

/** Gamma(shape, scale 1) (Marsaglia-Tsang; boosted for shape < 1). */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

const SKETCH_BUCKETS = 32;
/** Beyond this many shoppers every bucket is taken for all practical purposes (P(empty) < 1e-4). */
const SKETCH_FULL = 400;

/**
 * What the windows' distinct-shopper sketch reports for `distinct`
 * shoppers: 32-bucket linear counting, -m ln(empty / m), with an empty
 * count of 0 read as 0.5 (src/windows/hopping.ts).
 */
export function sketchActors(rng: Rng, distinct: number): number {
  if (distinct <= 0) return 0;
  let empty = 0;
  if (distinct < SKETCH_FULL) {
    let mask = 0;
    for (let i = 0; i < distinct; i++) mask |= 1 << Math.floor(rng.next() * SKETCH_BUCKETS);
    for (let bit = 0; bit < SKETCH_BUCKETS; bit++) if ((mask & (1 << bit)) === 0) empty++;
  }
  return Math.round(-SKETCH_BUCKETS * Math.log(Math.max(empty, 0.5) / SKETCH_BUCKETS));
}

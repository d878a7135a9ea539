/**
 * How surges play out over time, for the simulator and the projection's
 * evaluation: one shared model of a trend's life, so the event-level
 * traffic (`trendmon simulate`) and the window-level series of the eval
 * draw the same shapes.
 *
 * A surge multiplies an item's rate by `1 + excess(age)`:
 *
 *   rise     excess grows from 0 to `peak - 1` over `riseMs` (smoothstep:
 *            slow start, fastest in the middle, easing into the peak);
 *   plateau  holds for `plateauMs`;
 *   decay    then falls towards `settle` x (peak - 1), halving its distance
 *            every `decayHalfLifeMs`; `settle` > 0 is a new normal that
 *            stays.
 *
 * Shoppers search first, then view, then buy: views follow the searches'
 * shape `viewLagMs` later, sales `saleLagMs` later (the funnel), so
 * searches lead sales by a share of the rise time.
 *
 * The four families are what merchandisers describe: fast fads (up within
 * hours, down over a day or two), slow builders (up over half a day to
 * three days, down over days), plateaus that become a new normal, and
 * flops (a short burst that goes nowhere).
 */
import type { Signal } from '../domain.js';
import type { Rng } from './random.js';

export type SurgeShapeKind = 'fad' | 'builder' | 'new-normal' | 'flop';
export const SURGE_SHAPE_KINDS: readonly SurgeShapeKind[] = ['fad', 'builder', 'new-normal', 'flop'];

export interface SurgeShape {
  readonly kind: SurgeShapeKind;
  /** The rate multiplier at the peak (>= 1). */
  readonly peak: number;
  readonly riseMs: number;
  readonly plateauMs: number;
  /** Half-life of the excess's fall after the plateau (towards `settle`). */
  readonly decayHalfLifeMs: number;
  /** Share of the peak excess that stays for good: 0 for a surge that fades, > 0 for a new normal. */
  readonly settle: number;
  /** Views follow the searches this much later... */
  readonly viewLagMs: number;
  /** ...and sales this much later. */
  readonly saleLagMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The share of a surge's peak excess at `ageMs` after its searches began (0 before). */
export function excessShare(shape: SurgeShape, ageMs: number): number {
  if (ageMs <= 0) return 0;
  if (ageMs < shape.riseMs) {
    const u = ageMs / shape.riseMs;
    return u * u * (3 - 2 * u);
  }
  const fallingFor = ageMs - shape.riseMs - shape.plateauMs;
  if (fallingFor <= 0) return 1;
  return shape.settle + (1 - shape.settle) * 2 ** (-fallingFor / shape.decayHalfLifeMs);
}

/** How much later than the searches a signal follows the surge. */
export function signalLag(shape: SurgeShape, signal: Signal): number {
  return signal === 'search' ? 0 : signal === 'view' ? shape.viewLagMs : shape.saleLagMs;
}

/** The rate multiplier of `signal` at `ageMs` after the surge began. */
export function surgeMultiplier(shape: SurgeShape, signal: Signal, ageMs: number): number {
  return 1 + (shape.peak - 1) * excessShare(shape, ageMs - signalLag(shape, signal));
}

const logUniform = (rng: Rng, lo: number, hi: number) => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));

/**
 * Draws one surge of a family. `timeScale` stretches every duration: 1 for
 * a shop's real pace (hours to days), e.g. 1/60 for a live demo where a
 * fad plays out in minutes.
 */
export function drawSurgeShape(kind: SurgeShapeKind, rng: Rng, timeScale = 1): SurgeShape {
  const funnel = (riseMs: number) => {
    // Shoppers who buy do so a while after searching: a share of the rise, at most half a day.
    const saleLagMs = Math.min(12 * HOUR, rng.uniform(0.15, 0.35) * riseMs);
    return { viewLagMs: saleLagMs * rng.uniform(0.2, 0.5), saleLagMs };
  };
  let shape: Omit<SurgeShape, 'viewLagMs' | 'saleLagMs'>;
  switch (kind) {
    case 'fad':
      shape = {
        kind,
        peak: logUniform(rng, 3, 15),
        riseMs: logUniform(rng, 0.5, 4) * HOUR,
        plateauMs: rng.uniform(0, 6) * HOUR,
        decayHalfLifeMs: logUniform(rng, 4, 24) * HOUR,
        settle: rng.uniform(0, 0.08),
      };
      break;
    case 'builder':
      shape = {
        kind,
        peak: logUniform(rng, 2, 6),
        riseMs: logUniform(rng, 12, 72) * HOUR,
        plateauMs: rng.uniform(0, 2) * DAY,
        decayHalfLifeMs: logUniform(rng, 1, 5) * DAY,
        settle: rng.uniform(0, 0.25),
      };
      break;
    case 'new-normal':
      shape = {
        kind,
        peak: logUniform(rng, 2, 5),
        riseMs: logUniform(rng, 0.5, 12) * HOUR,
        plateauMs: rng.uniform(0, 12) * HOUR,
        decayHalfLifeMs: logUniform(rng, 6, 48) * HOUR,
        settle: rng.uniform(0.5, 0.95),
      };
      break;
    case 'flop':
      shape = {
        kind,
        peak: logUniform(rng, 2, 5),
        riseMs: logUniform(rng, 0.25, 2) * HOUR,
        plateauMs: rng.uniform(0, 1) * HOUR,
        decayHalfLifeMs: logUniform(rng, 0.5, 3) * HOUR,
        settle: 0,
      };
      break;
  }
  const scaled = {
    ...shape,
    riseMs: shape.riseMs * timeScale,
    plateauMs: shape.plateauMs * timeScale,
    decayHalfLifeMs: shape.decayHalfLifeMs * timeScale,
  };
  return { ...scaled, ...funnel(scaled.riseMs) };
}

/** How long a surge's events are worth generating: until its excess is within 1% of where it settles. */
export function surgeSpanMs(shape: SurgeShape): number {
  const fade = shape.settle > 0 ? Infinity : shape.decayHalfLifeMs * Math.log2(100);
  return shape.riseMs + shape.plateauMs + fade + shape.saleLagMs;
}

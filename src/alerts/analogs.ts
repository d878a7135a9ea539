/**
 * Forecasting a surge from how similar surges went: analog (nearest
 * neighbour) forecasting on past surge curves (src/alerts/surge-curves.ts).
 *
 * At age `a` of a spike (time since it opened) with excess x(a) events per
 * ms over its latest window, each past surge i is scaled to match it now,
 * A_i = x(a) / rho_i(a), where rho_i(a) is that surge's excess rate over
 * the same window of its own life, and continued:
 *
 *   extra units_i(a, a + H) = A_i * (U_i(a + H) - U_i(a)) * k / k_i,

 * with U_i its units sold above baseline and k / k_i the ratio of the two
 * keys' usual units per event.
 *
 * The past surges most like this one are those whose scaled path also
 * matches the spike's earlier path (at ages a/2, a/4, ... on the log
 * scale) and that stood as high above their own baseline at this age; the
 * k nearest, k = max(20, 2 sqrt(n)), are the forecast's
 * ensemble, and its quantiles are the interval. Peers are taken from the
 * most specific group with enough of them (the key's own past surges, then
 * its category's, its attributes', its dimension's, any), and when there
 * is no history, from a broad prior family of shapes scaled by the
 * configured persistence.
 *
 * Pure; tested in test/unit/planning-analogs.test.ts and measured by
 * `npm run eval -- --projection`.
 */
import { surgeMultiplier, type SurgeShape } from '../sim/shapes.js';
import { CURVE_AGES, CURVE_LAST_AGE, cumulativeAt, excessRate, type SurgeCurve, type SurgeOrigin } from './surge-curves.js';
import type { SurgeTrack } from './surge-track.js';

const HOUR = 3_600_000;

/** Fewest peers a forecast is made from; below it the next broader group is added. */
export const MIN_PEERS = 20;

/** One group of past surges, from the most specific (the key's own) to the broadest. */
export interface PeerGroup {
  readonly name: 'key' | 'category' | 'attribute' | 'dimension' | 'any' | 'prior';
  readonly curves: readonly SurgeCurve[];
}

export interface AnalogForecast {
  /** Per horizon (same order as asked): the ensemble's extra units, sorted ascending. */
  readonly ensembles: readonly (readonly number[])[];
  /** Peers in the ensemble. */
  readonly peers: number;
  /** The broadest group the ensemble needed. */
  readonly group: PeerGroup['name'];
}

/** The spike's excess events per ms over ages [from, to), from its windows (each covering `windowMs` before its end). */
function trackRate(track: SurgeTrack, windowMs: number, from: number, to: number): number {
  const inside = track.points.filter((p) => p.end - windowMs >= track.startedAt + from - 1 && p.end <= track.startedAt + to);
  if (inside.length > 0) return inside.reduce((sum, p) => sum + p.excess, 0) / inside.length / windowMs;
  // Spans shorter than the windows' spacing: the window ending nearest `to`.
  const nearest = track.points.reduce((best, p) => (Math.abs(p.end - track.startedAt - to) < Math.abs(best.end - track.startedAt - to) ? p : best));
  return nearest.excess / windowMs;
}

/** A past surge's excess units (or events) to `age`, continued beyond its data at its latest rate (a younger record than the horizon). */
function continued(curve: SurgeCurve, age: number, series: 'events' | 'units'): number {
  if (age <= curve.toAge) return cumulativeAt(curve, age, series);
  const recent = Math.max(curve.fromAge, curve.toAge / 2);
  const rate = curve.toAge > recent ? excessRate(curve, recent, curve.toAge, series) : 0;
  return cumulativeAt(curve, curve.toAge, series) + rate * (age - curve.toAge);
}

/**
 * A peer's extra units over (age, age + h], scaled to this spike: its
 * units above baseline, times the events scale, times the ratio of the two
 * keys' usual units per event. Units carry the funnel's lag (sales follow
 * searches and views), which events alone would lose. A peer that never
 * sold is read in events at this key's units per event.
 */
function peerUnits(curve: SurgeCurve, scale: number, age: number, h: number, unitsPerEvent: number): number {
  const own = curve.baselineRate > 0 ? curve.baselineUnitsRate / curve.baselineRate : 0;
  if (own > 0) return ((scale * unitsPerEvent) / own) * (continued(curve, age + h, 'units') - cumulativeAt(curve, age, 'units'));
  return scale * unitsPerEvent * (continued(curve, age + h, 'events') - cumulativeAt(curve, age, 'events'));
}

/**
 * Forecasts the spike's extra units over each horizon from now (the
 * track's latest window end), given the key's usual units per event, or
 * undefined when there is nothing above baseline to project.
 */
export function forecastFromPeers(
  track: SurgeTrack,
  windowMs: number,
  horizonsMs: readonly number[],
  groups: readonly PeerGroup[],
  unitsPerEvent: number,
): AnalogForecast | undefined {
  const latest = track.points[track.points.length - 1];
  if (!latest || latest.excess <= 0) return undefined;
  const age = latest.end - track.startedAt;
  const now = latest.excess / windowMs;
  // How far above its baseline the spike is: a x10 fad and a x2 flop look alike in their first windows otherwise.
  const height = latest.expected > 0 ? latest.excess / latest.expected : undefined;
  // Earlier points of the path: halving the age back to one window, each over a third of its age.
  const path: { from: number; to: number; rate: number }[] = [];
  for (let at = age / 2; at >= windowMs && at > track.points[0]!.end - track.startedAt - windowMs; at /= 2) {
    const span = Math.max(windowMs, at / 3);
    path.push({ from: at - span, to: at, rate: trackRate(track, windowMs, at - span, at) });
  }
  const floor = 0.05 * now;
  const log = (x: number) => Math.log(Math.max(x, floor));

  const scored: { curve: SurgeCurve; scale: number; distance: number }[] = [];
  let group: PeerGroup['name'] = 'prior';
  for (const g of groups) {
    for (const curve of g.curves) {
      // The peer must have data for now and enough after it to say where it went.
      if (age - windowMs < curve.fromAge || curve.toAge < Math.max(2 * age, age + HOUR)) continue;
      const rho = excessRate(curve, age - windowMs, age);
      if (!(rho > 0)) continue; // it was over by this age, while this spike is not
      const scale = now / rho;
      let distance = 0;
      let terms = 0;
      for (const p of path) {
        distance += (log(p.rate) - log(scale * excessRate(curve, p.from, p.to))) ** 2;
        terms++;
      }
      if (height !== undefined && curve.baselineRate > 0) {
        distance += Math.log(height / (rho / curve.baselineRate)) ** 2;
        terms++;
      }
      scored.push({ curve, scale, distance: terms ? distance / terms : 0 });
    }
    group = g.name;
    if (scored.length >= MIN_PEERS) break;
  }
  if (scored.length === 0) return undefined;
  // Past surges are matched; the prior is a prior: all of it stands (matching would favour its long shapes,
  // which look flattest over the first windows).
  const k = group === 'prior' ? scored.length : Math.max(MIN_PEERS, Math.ceil(2 * Math.sqrt(scored.length)));
  scored.sort((a, b) => a.distance - b.distance);
  const cut = scored[Math.min(k, scored.length) - 1]!.distance;
  const nearest = scored.filter((s) => s.distance <= cut);
  const ensembles = horizonsMs.map((h) => nearest.map((s) => peerUnits(s.curve, s.scale, age, h, unitsPerEvent)).sort((a, b) => a - b));
  return { ensembles, peers: nearest.length, group };
}

/** The `p` quantile of sorted values (linear between order statistics). */
export function quantile(sorted: readonly number[], p: number): number {
  return atPosition(sorted, p * (sorted.length - 1));
}

/**
 * Where a new draw falls below with probability `p`, from n sorted draws
 * of the same kind: the order statistic at (n + 1) p (1-based). With 20
 * peers the plain 10% and 90% quantiles hold only about 72% of new cases
 * between them; these hold 80%, whatever the distribution.
 */
export function predictiveQuantile(sorted: readonly number[], p: number): number {
  return atPosition(sorted, Math.min(sorted.length - 1, Math.max(0, (sorted.length + 1) * p - 1)));
}

function atPosition(sorted: readonly number[], at: number): number {
  if (sorted.length === 0) return NaN;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Time scales in the prior: log-spaced from one detector window to the persistence. */
const PRIOR_SCALES = 11;

/**
 * The prior when there is no history: surges of every time scale T from the
 * detector's window (a burst of seconds) to a planning assumption of how
 * long surges last (`persistenceMs`, the rule file's
 * `projection.persistence`), equally likely on the log scale. Each rises
 * over T/4, may hold up to T/4, then halves every T/2; one in four settles
 * at half its peak for good (a new normal). Age 0 is where a shape first
 * reaches 30% of its peak excess, about where a detector opens a spike.
 * Without history nobody knows whether a spike lasts seconds or weeks: the
 * median is a surge of middling length (the geometric middle of the range)
 * and the interval spans the rest.
 */
export function priorCurves(persistenceMs: number, windowMs: number, origin: SurgeOrigin): SurgeCurve[] {
  const top = Math.max(windowMs, persistenceMs);
  const curves: SurgeCurve[] = [];
  for (let i = 0; i < PRIOR_SCALES; i++) {
    const scale = windowMs * (top / windowMs) ** (i / (PRIOR_SCALES - 1));
    for (const [plateau, settle] of [[0, 0], [1 / 8, 0], [1 / 4, 0], [1 / 4, 0.5]] as const) {
      const shape: SurgeShape = { kind: 'fad', peak: 2, riseMs: scale / 4, plateauMs: plateau * scale, decayHalfLifeMs: scale / 2, settle, viewLagMs: 0, saleLagMs: 0 };
      curves.push(shapeCurve(shape, origin));
    }
  }
  return curves;
}

/** A shape's curve with unit peak excess, integrated numerically between the sample ages. */
function shapeCurve(shape: SurgeShape, origin: SurgeOrigin): SurgeCurve {
  const excess = (t: number) => surgeMultiplier(shape, 'search', t) - 1;
  // Age 0: 30% of the peak, on the smoothstep rise (u^2 (3 - 2u) = 0.3 at u = 0.3641).
  const onset = 0.3641 * shape.riseMs;
  const integral = (from: number, to: number) => {
    const steps = 24;
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += excess(onset + from + ((i + 0.5) * (to - from)) / steps);
    return (sum * (to - from)) / steps;
  };
  const cumulative: number[] = [];
  let total = 0;
  const zero = CURVE_AGES.indexOf(0);
  for (let i = zero; i < CURVE_AGES.length; i++) {
    if (i > zero) total += integral(CURVE_AGES[i - 1]!, CURVE_AGES[i]!);
    cumulative[i] = total;
  }
  total = 0;
  for (let i = zero - 1; i >= 0; i--) {
    total -= integral(CURVE_AGES[i]!, CURVE_AGES[i + 1]!);
    cumulative[i] = total;
  }
  // Unit peak excess on a baseline of one: a prior surge doubles its key at the peak. It says nothing of units.
  return { origin, startedAt: 0, cumulative, units: cumulative.map(() => 0), baselineRate: 1 / HOUR, baselineUnitsRate: 0, fromAge: CURVE_AGES[0]!, toAge: CURVE_LAST_AGE };
}

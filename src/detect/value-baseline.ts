/**
 * The baseline of a plain series (rates, percentages, response times,
 * prices, readings: anything that is not an event count), for `trendmon
 * score`. Scale-free: nothing in it depends on the units.
 *
 * - **Scale.** Its first `SCALE_WINDOWS` values choose the scales it is
 *   tried on: a log scale, y = ln(x + c) with c a tenth of their median,
 *   when they are all positive (a price or a response time varies in
 *   proportion to its level; continued as a straight line below -c/2, so a
 *   later zero or negative value is a deep fall, not a singularity), and
 *   the plain one, y = x. Each keeps its own predictors; the one whose
 *   predictions have made the series likelier lately (a decayed log
 *   likelihood in x's own units) speaks, so a percentage with additive
 *   noise that falls towards zero is not read as a fall of its log.
 * - **Expected.** Four predictors compete, and each window is predicted by
 *   the one that has erred least lately: the last value learned (a reading
 *   that wanders, which any mean lags; it must have erred less than half as
 *   much as the best other); the level alone (a decayed mean:
 *   a series with no daily rhythm); the same time on earlier days, one slot
 *   per row (a shape that repeats itself, steps and all; a slot's first
 *   value is the median of three rows, so a wild one is not repeated); and the same hour
 *   on earlier days (a noisy daily cycle). The two daily ones carry their
 *   own recent deviation, so a level that moves keeps its shape. Ties go to
 *   the finer one: a sharp shape cannot wait to be proven. At a time of day
 *   where the chosen one has lately missed by far more than another (a
 *   routine nightly dip on a series the level predicts best), the other.
 * - **Spread.** A robust scale, per predictor: the decayed median absolute
 *   residual over 0.6745 (the normal sd per median absolute deviation),
 *   which heavy tails do not inflate. A series that repeats itself exactly would claim a
 *   spread of zero and call every routine wobble a catastrophe, so the
 *   spread never falls below 5% of how much the series varies over a week,
 *   nor below 1% of the value on the log scale, a thousandth of it on the
 *   plain scale (where the units' zero means nothing: a temperature, a
 *   signed level).
 *
 * The surprise is the residual in spreads; the key model calibrates it
 * against the key's own history (tail.ts), so heavy tails are not alarms.
 * Inside an excursion (an open spike, a fall) nothing learns but the daily
 * slots, and those only where yesterday missed the same way (a routine step
 * first taken for a spike).
 */
import type { Baseline, BaselineOptions, Prediction } from './baseline.js';
import { DecayedLevel } from './baseline.js';
import { DailyResiduals, DAY_MS, SlotMeans } from './season.js';
import { decayWeight } from './stats.js';

/** Values seen before the scales are chosen (and the first level and spread taken from them). */
const SCALE_WINDOWS = 12;
/** The log scale's offset c, as a share of the first values' median. */
const LOG_OFFSET = 0.1;
/** The log scale speaks first when the first values' median is at least this many of their median absolute deviations from zero. */
const LOG_CLEARANCE = 3;
/** Normal median absolute deviation per sd. */
const MAD_PER_SD = 0.6745;
/**
 * Floors of the spread: on the log scale, 1% of the value; on the plain
 * scale, where the units' zero means nothing (a temperature, a signed
 * level), only a thousandth of the level: readings rarely carry more
 * significant digits...
 */
const LOG_FLOOR = 0.01;
const PLAIN_FLOOR = 0.001;
/** ...and on either, a share of the series' own variation over a week. */
const VARIATION_FLOOR = 0.05;
const VARIATION_HALF_LIFE_MS = 7 * DAY_MS;
/** A surprise is never reported beyond this many spreads (a change of a series that never moved). */
const MAX_SURPRISE = 1_000;
/** A window's z beyond this counts as this in a scale's likelihood. */
const DENSITY_CAP = 4;
/** Log likelihood (decayed) by which another scale must beat the one in use before it takes over. */
const SWITCH_MARGIN = 3;
/** The last value speaks only where it has erred less than 1 / LAST_MARGIN as much as the best other predictor. */
const LAST_MARGIN = 2;
/** Spreads by which another predictor must have missed less at a time of day lately to speak there. */
const LOCAL_MARGIN = 3;
/** Memory of the one-slot-per-row daily shape (and of each predictor's misses per time of day): a few days, so it follows a shape that changes. */
const FINE_HALF_LIFE_MS = 2 * DAY_MS;

/** What a value baseline expects of one window, on its model scale. */
export interface ValuePrediction extends Prediction {
  /** Expected y. */
  readonly center: number;
  /** Robust sd of y around it. */
  readonly spread: number;
  /** The predictor used. */
  readonly by: Predictor;
}

type Predictor = 'last' | 'level' | 'slot' | 'hour';

interface Scale {
  readonly log: boolean;
  readonly to: (x: number) => number;
  readonly from: (y: number) => number;
  /** dy/dx at x: turns a density of y into one of x, so the scales can be compared. */
  readonly slope: (x: number) => number;
}

const LINEAR: Scale = { log: false, to: (x) => x, from: (y) => y, slope: () => 1 };

/** y = ln(x + c), c a tenth of the median, going on as its tangent below x + c = c/2. */
function logScale(median: number): Scale {
  const c = LOG_OFFSET * median;
  const knee = c / 2;
  return {
    log: true,
    to: (x) => (x + c >= knee ? Math.log(x + c) : Math.log(knee) + (x + c - knee) / knee),
    from: (y) => (y >= Math.log(knee) ? Math.exp(y) - c : knee * (y - Math.log(knee)) + knee - c),
    slope: (x) => 1 / Math.max(x + c, knee),
  };
}

/** The median of `values` and their median absolute deviation from it. */
function medianAndMad(values: readonly number[]): { median: number; mad: number } {
  const middle = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)]!;
  const median = middle([...values].sort((a, b) => a - b));
  return { median, mad: middle(values.map((v) => Math.abs(v - median)).sort((a, b) => a - b)) };
}

/**
 * The scales a series is tried on, the likelier first: a log scale when its
 * first values are all positive (first when they are well clear of zero: a
 * price or a response time), and the plain one.
 */
function candidateScales(values: readonly number[]): Scale[] {
  const { median, mad } = medianAndMad(values);
  if (!values.every((v) => v > 0)) return [LINEAR];
  const log = logScale(median);
  return median >= LOG_CLEARANCE * mad ? [log, LINEAR] : [LINEAR, log];
}

/**
 * A decayed median of |residual|: each window moves it a step up or down
 * by a share of itself, so it settles where half the residuals lie beyond
 * it, whatever their tails. Its first windows take bigger steps, so a new
 * one finds its level quickly.
 */
class MedianAbsolute {
  #value = 0;
  #windows = 0;

  /** A new estimate starting from another's (`windows` of experience), or from scratch. */
  static from(other?: MedianAbsolute, windows = 10): MedianAbsolute {
    const median = new MedianAbsolute();
    if (other && other.#value > 0) {
      median.#value = other.#value;
      median.#windows = windows;
    }
    return median;
  }

  get value(): number {
    return this.#value;
  }

  learn(residual: number, step: number): void {
    const r = Math.abs(residual);
    this.#windows++;
    if (this.#value <= 0) this.#value = r;
    else this.#value *= Math.exp((r > this.#value ? 1 : -1) * Math.max(step, 1 / this.#windows));
  }
}

/** A daily predictor: the decayed mean of each time slot across days, plus the recent deviation from it. */
class Daily {
  readonly slots: SlotMeans;
  readonly deviation: DecayedLevel;

  constructor(binMs: number, levelHalfLifeMs: number) {
    this.slots = new SlotMeans(binMs);
    this.deviation = new DecayedLevel(levelHalfLifeMs);
  }

  /** Expected y at `at`, once the slot has been seen on an earlier day. */
  predict(at: number): number | undefined {
    const slot = this.slots.valueAt(at);
    return slot === undefined ? undefined : slot + this.deviation.value;
  }
}

/** The predictors and spreads of a series on one scale, y = scale.to(x). */
class ScaledBaseline {
  readonly #o: BaselineOptions;
  readonly scale: Scale;
  readonly #level: DecayedLevel;
  readonly #slot?: Daily;
  readonly #hour: Daily;
  /** Per predictor, decayed absolute errors (undefined until it could first predict), and the median of them. */
  readonly #errors = new Map<Predictor, number>();
  readonly #spreads = new Map<Predictor, MedianAbsolute>();
  /** Decayed mean of y and of |y - that|: how much the series varies over a week. */
  readonly #weekLevel = new DecayedLevel(VARIATION_HALF_LIFE_MS);
  readonly #variation = new DecayedLevel(VARIATION_HALF_LIFE_MS);
  /** What each time of day missed by, today and yesterday. */
  readonly #residuals: DailyResiduals;
  /** Per predictor, what it has missed by at each time of day over the last few days. */
  readonly #localErrors = new Map<Predictor, SlotMeans>();
  readonly #residualBinMs: number;
  #spanMs = 0;
  /** The last value learned (outside excursions): what a reading that wanders is predicted by. */
  #last?: number;
  /** The last row's y, and the row whose first fine slot waits for the next one (#learnFirstRow). */
  #lastY?: number;
  #firstRow?: { at: number; keep: number; y: number; before: number | undefined };

  /** Starts from the first values: the level and spread are taken from them, then they are learned in order. */
  constructor(options: BaselineOptions, scale: Scale, first: readonly { at: number; dtMs: number; x: number }[]) {
    this.#o = options;
    this.scale = scale;
    this.#level = new DecayedLevel(options.levelHalfLifeMs);
    this.#hour = new Daily(options.seasonBinMs, options.levelHalfLifeMs);
    const fine = options.fineSeasonBinMs;
    if (fine && fine < options.seasonBinMs) this.#slot = new Daily(fine, options.levelHalfLifeMs);
    this.#residualBinMs = fine ?? options.seasonBinMs;
    this.#residuals = new DailyResiduals(this.#residualBinMs);
    const { median, mad } = medianAndMad(first.map((f) => scale.to(f.x)));
    this.#level.set(median);
    this.#weekLevel.set(median);
    this.#variation.set(mad);
    this.#errors.set('level', 0);
    this.#spreads.set('level', MedianAbsolute.from());
    this.#spreads.get('level')!.learn(mad, 1);
    for (const { at, dtMs, x } of first) this.learn(at, dtMs, x, this.predict(at), false, false);
  }

  get level(): number {
    return this.#level.value;
  }

  /** A day of history: the time of day is known, and surprises mean what they say. */
  get seasoned(): boolean {
    return this.#spanMs >= DAY_MS;
  }

  predict(at: number): ValuePrediction {
    const { center, by } = this.#best(at);
    return { mean: this.scale.from(center), center, spread: this.#spread(by, center), by };
  }

  meanFor(level: number, at: number): number {
    const { center, by } = this.#best(at);
    return this.scale.from(by === 'level' ? level : center - this.level + level);
  }

  surprise(x: number, p: ValuePrediction): number {
    return this.#inSpreads(this.scale.to(x) - p.center, p);
  }

  surpriseAgainst(x: number, ref: number, p: ValuePrediction): number {
    return this.#inSpreads(this.scale.to(x) - this.scale.to(ref), p);
  }

  /**
   * How likely `x` was, as this scale predicted it: the log density of x
   * (a normal of the robust spread, its tails capped so one wild window
   * does not decide), comparable across scales.
   */
  logDensity(x: number, p: ValuePrediction): number {
    const z = Math.min(Math.abs(this.surprise(x, p)), DENSITY_CAP);
    return -Math.log(p.spread) - (z * z) / 2 + Math.log(this.scale.slope(x));
  }

  learn(at: number, dtMs: number, x: number, p: ValuePrediction, robust: boolean, excursion: boolean): void {
    this.#learn(at, dtMs, this.scale.to(x), p, robust, excursion);
  }

  /** A new normal: every predictor takes what `observed` at `at` implies. */
  adopt(at: number, observed: number): void {
    const y = this.scale.to(observed);
    this.#level.set(y);
    this.#last = y;
    for (const daily of this.#dailies()) {
      const slot = daily.slots.valueAt(at);
      if (slot !== undefined) daily.deviation.set(y - slot);
    }
  }

  #dailies(): Daily[] {
    return this.#slot ? [this.#slot, this.#hour] : [this.#hour];
  }

  /** Robust sd of y around a predictor's `center`, never under the floors. */
  #spread(by: Predictor, center: number): number {
    const floor = Math.max(
      this.scale.log ? LOG_FLOOR : PLAIN_FLOOR * Math.abs(center),
      VARIATION_FLOOR * this.#variation.value,
      1e-12 * (1 + Math.abs(center)),
    );
    return Math.max((this.#spreads.get(by)?.value ?? 0) / MAD_PER_SD, floor);
  }

  /** Each predictor's prediction of `at` (those that can predict it). */
  #centers(at: number): { center: number; by: Predictor }[] {
    const centers: { center: number; by: Predictor }[] = [];
    if (this.#last !== undefined) centers.push({ center: this.#last, by: 'last' });
    centers.push({ center: this.level, by: 'level' });
    for (const [by, daily] of [['hour', this.#hour], ['slot', this.#slot]] as const) {
      const center = daily?.predict(at);
      if (center !== undefined) centers.push({ center, by });
    }
    return centers;
  }

  /**
   * The prediction of the predictor that has erred least lately (ties to the
   * finer); but where it has lately missed at this time of day by
   * LOCAL_MARGIN spreads more than another has, the other: a routine step
   * that only the daily shape knows (a dip every day at 23:00 on a series
   * the level predicts best) is not a spike every day.
   */
  #best(at: number): { center: number; by: Predictor } {
    const centers = this.seasoned ? this.#centers(at).filter(({ by }) => this.#errors.has(by)) : [{ center: this.level, by: 'level' as const }];
    let best = centers[0]!;
    // (The last value by a margin: a shape's routine steps are where it errs, and they are rare.)
    const weighed = (by: Predictor) => this.#errors.get(by)! * (by === 'last' ? LAST_MARGIN : 1);
    for (const c of centers) if (weighed(c.by) <= weighed(best.by)) best = c;
    const mine = this.#localErrors.get(best.by)?.valueAt(at);
    if (mine === undefined) return best;
    const spread = this.#spread(best.by, best.center);
    let local = best;
    let gain = 0;
    for (const c of centers) {
      const theirs = this.#localErrors.get(c.by)?.valueAt(at);
      // (By the wider of the two spreads: a sharp predictor's small misses are no reason to take a vague one.)
      if (theirs !== undefined && mine - theirs > Math.max(gain, LOCAL_MARGIN * Math.max(spread, this.#spread(c.by, c.center)))) {
        local = c;
        gain = mine - theirs;
      }
    }
    return local;
  }

  #inSpreads(residual: number, p: ValuePrediction): number {
    return Math.max(-MAX_SURPRISE, Math.min(MAX_SURPRISE, residual / p.spread));
  }

  #learn(at: number, dtMs: number, y: number, p: ValuePrediction, robust: boolean, excursion: boolean): void {
    const o = this.#o;
    const routine = !excursion || this.#residuals.recurs(at, y - p.center);
    // What a young baseline missed by (its first day, before it knows the day) says nothing about routine.
    if (this.seasoned) this.#residuals.record(at, y - p.center, excursion);
    this.#spanMs += dtMs;

    // How each predictor did on this window; one that could not predict before starts level with the best.
    const keep = 1 - decayWeight(dtMs, o.dispersionHalfLifeMs);
    const bestError = Math.min(...this.#errors.values());
    const step = decayWeight(dtMs, o.dispersionHalfLifeMs) * 4;
    // Inside an excursion every predictor errs alike: their records hold, and their spreads move only a
    // little (enough that a spread once too small is not kept small by the very alarms it causes).
    const current = this.#spreads.get(p.by);
    const keepLocal = 1 - decayWeight(dtMs, FINE_HALF_LIFE_MS);
    const judge = (by: Predictor, center: number | undefined) => {
      if (center === undefined) return;
      // What it missed by at this time of day: inside an excursion too where the miss is routine (it
      // recurs from yesterday), which is where a routine step that one predictor knows shows.
      let local = this.#localErrors.get(by);
      if (!local) this.#localErrors.set(by, (local = new SlotMeans(this.#residualBinMs)));
      if (routine) local.learn(at, Math.abs(y - center), keepLocal);
      let spread = this.#spreads.get(by);
      if (!spread) this.#spreads.set(by, (spread = MedianAbsolute.from(current)));
      spread.learn(y - center, excursion ? step / 4 : step);
      if (excursion) return;
      const error = this.#errors.get(by) ?? bestError;
      this.#errors.set(by, keep * error + Math.abs(y - center));
    };
    if (this.#last !== undefined) judge('last', this.#last);
    judge('level', this.level);
    judge('hour', this.#hour.predict(at));
    judge('slot', this.#slot?.predict(at));

    const spread = Number.isFinite(p.spread) ? p.spread : Infinity;
    const clip = (k: number, residual: number) => Math.max(-k * spread, Math.min(k * spread, residual));
    const learned = (center: number) => (robust ? center + clip(o.learnClip, y - center) : y);
    for (const [daily, halfLifeMs] of [[this.#slot, FINE_HALF_LIFE_MS], [this.#hour, o.seasonHalfLifeMs]] as const) {
      if (!daily) continue;
      const slot = daily.slots.valueAt(at);
      const keepSlot = 1 - decayWeight(dtMs, halfLifeMs);
      if (daily === this.#slot) this.#learnFirstRow(y, slot === undefined && routine ? { at, keep: keepSlot } : undefined);
      if (routine && !(daily === this.#slot && slot === undefined)) daily.slots.learn(at, y - (slot === undefined ? 0 : daily.deviation.value), keepSlot);
      if (!excursion && slot !== undefined) daily.deviation.learn(learned(slot + daily.deviation.value) - slot, 1, dtMs);
    }
    if (excursion) return;
    this.#last = y;
    this.#level.learn(learned(this.level), 1, dtMs);
    this.#weekLevel.learn(y, 1, dtMs);
    this.#variation.learn(Math.abs(y - this.#weekLevel.value), 1, dtMs);
  }

  /**
   * The fine slots' first values: each is the median of its row and the
   * rows either side, learned a row late. A slot seen once predicts the
   * next day alone, so one wild row would come back as a routine miss the
   * next day; a median drops a lone row and keeps a step's edge.
   */
  #learnFirstRow(y: number, first: { at: number; keep: number } | undefined): void {
    const pending = this.#firstRow;
    if (pending) this.#slot!.slots.learn(pending.at, median3(pending.before ?? pending.y, pending.y, y), pending.keep);
    this.#firstRow = first && { ...first, y, before: this.#lastY };
    this.#lastY = y;
  }
}

/** The median of three numbers. */
const median3 = (a: number, b: number, c: number): number => Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));

/**
 * A plain series' baseline: its first values choose the scales it may be on
 * (candidateScales); then each scale keeps its own baseline, and the one
 * whose predictions have made the series likelier lately speaks. An
 * additive series that moves far (a percentage falling towards zero) is
 * not mistaken for a multiplicative one for ever, nor the other way round.
 */
export class ValueBaseline implements Baseline<ValuePrediction> {
  readonly #o: BaselineOptions;
  /** The first values, until the scales are chosen. */
  readonly #first: { at: number; dtMs: number; x: number }[] = [];
  #scales: ScaledBaseline[] = [];
  /** Per scale, the decayed log likelihood of what it predicted. */
  #fit: number[] = [];
  #current = 0;

  constructor(options: BaselineOptions) {
    this.#o = options;
  }

  get #baseline(): ScaledBaseline | undefined {
    return this.#scales[this.#current];
  }

  get level(): number {
    return this.#baseline?.level ?? 0;
  }

  get seasoned(): boolean {
    return this.#baseline?.seasoned ?? false;
  }

  /** Whether the series is read on a log scale now. */
  get log(): boolean {
    return this.#baseline?.scale.log ?? false;
  }

  predict(at: number): ValuePrediction {
    const baseline = this.#baseline;
    if (baseline) return baseline.predict(at);
    // Not enough values to judge yet: the latest, with a spread nothing exceeds.
    const last = this.#first[this.#first.length - 1]?.x ?? 0;
    return { mean: last, center: last, spread: Infinity, by: 'level' };
  }

  meanFor(level: number, at: number): number {
    return this.#baseline?.meanFor(level, at) ?? level;
  }

  surprise(x: number, p: ValuePrediction): number {
    return this.#baseline?.surprise(x, p) ?? 0;
  }

  surpriseAgainst(x: number, ref: number, p: ValuePrediction): number {
    return this.#baseline?.surpriseAgainst(x, ref, p) ?? 0;
  }

  learn(at: number, dtMs: number, x: number, p: ValuePrediction, robust: boolean, excursion: boolean): void {
    if (!this.#scales.length) {
      this.#first.push({ at, dtMs, x });
      if (this.#first.length === SCALE_WINDOWS) {
        this.#scales = candidateScales(this.#first.map((f) => f.x)).map((scale) => new ScaledBaseline(this.#o, scale, this.#first));
        this.#fit = this.#scales.map(() => 0);
        this.#first.length = 0;
      }
      return;
    }
    // Each scale is judged on its own prediction of this window, outside excursions (where every one errs).
    const keep = 1 - decayWeight(dtMs, this.#o.dispersionHalfLifeMs);
    this.#scales.forEach((baseline, i) => {
      const q = i === this.#current ? p : baseline.predict(at);
      if (!excursion && baseline.seasoned && Number.isFinite(q.spread)) this.#fit[i] = keep * this.#fit[i]! + baseline.logDensity(x, q);
      baseline.learn(at, dtMs, x, q, robust, excursion);
    });
    const best = this.#fit.indexOf(Math.max(...this.#fit));
    if (this.#fit[best]! > this.#fit[this.#current]! + SWITCH_MARGIN) this.#current = best;
  }

  adopt(at: number, observed: number): void {
    for (const baseline of this.#scales) baseline.adopt(at, observed);
  }
}

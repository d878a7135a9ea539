/**
 * One key's detector, one step per window: the function the live detector
 * runs for every (dimension, key), `trendmon score` runs over a CSV and the
 * evaluation harness runs over labelled series. Pure; time is the windows'
 * event time.
 *
 * Per window: bot-robust volume -> surprise against the baseline (count or
 * value model) -> calibrated evidence, each way, from the key's own history
 * (tail.ts) -> spike lifecycle: a spike opens, rising or falling, on
 * `confirmWindows` surprising windows in a row, or at once on one window of
 * extreme surprise; a rising spike is `rising` while it grows, a falling one
 * `falling` while it deepens, `ongoing` otherwise, and `ended` when it fades
 * or, having stopped growing, becomes the new normal -> learn the window
 * (only its time of day, inside an excursion).
 */
import type { Direction, EndReason, SpikeStatus } from '../domain.js';
import { ActorRatio } from './actors.js';
import { CountBaseline, type Baseline, type BaselineOptions, type CountPrediction, type Prediction } from './baseline.js';
import { decayWeight, normalEvidence } from './stats.js';
import { DAY_MS } from './season.js';
import { RecentAverage } from './recent.js';
import { CalibratedTail } from './tail.js';
import { ValueBaseline } from './value-baseline.js';

export interface KeyModelOptions extends BaselineOptions {
  /**
   * Window lengths (counting those before a key appeared) before any spike may open. This and the other
   * counts of windows (`confirmWindows`, `closeAfterWindows`, `fastHalfLifeWindows`) are in window
   * lengths: hopping windows a slide apart share all but one slide's events, and count as that share.
   */
  readonly warmupWindows: number;
  /** A window is surprising enough to confirm a spike at or above this surprise (standard deviations)... */
  readonly openScore: number;
  /** ...and a spike opens after this many such windows in a row (1 opens at once; hopping: a window length apart)... */
  readonly confirmWindows: number;
  /** ...or at once on one window at or above this surprise. */
  readonly extremeScore: number;
  /** Counts: fewer (effective) events than this in a window is never a rising trend, nor is losing fewer a fall... */
  readonly minVolume: number;
  /**
   * ...except on a key with a day of history that expects little: there a rise needs `sparseVolumeRatio`
   * times what it expects, never fewer than `minVolumeFloor` events (a sparse item's burst of 6 from 0.2).
   */
  readonly sparseVolumeRatio: number;
  readonly minVolumeFloor: number;
  /** Counts: a rise must be at least this fraction above expected (0.5 = +50%)... */
  readonly minLift: number;
  /** ...and a fall at least this fraction below it (0.5 = half gone). */
  readonly minDrop: number;
  /** An open spike ends after `closeAfterWindows` windows in a row below this surprise (either way). */
  readonly closeScore: number;
  readonly closeAfterWindows: number;
  /**
   * An open spike is `rising` (`falling`) while each window goes beyond its
   * peak, and again after `ongoing` only when a window goes beyond the peak
   * by this surprise: a plateau's noise does not flap between the two.
   */
  readonly riseScore: number;
  /** A rising spike that has not grown for this long is a new normal: it ends and its level becomes the baseline. */
  readonly newNormalAfterMs: number;
  /** A spike that ended and opens again the same way within this long goes on (same start, no new alarm unless it grows). */
  readonly resumeWithinMs: number;
  /** Half-life, in windows, of the fast averages of volume and expected: the level a new normal adopts. */
  readonly fastHalfLifeWindows: number;
  /**
   * Counts: half-life of the recent average a fall is judged on, so a few
   * quiet windows of a sparse item add up to a stock-out.
   */
  readonly fallHalfLifeMs: number;
  /**
   * Counts: half-life of a slower average, for a stock-out of an item that
   * sells a few a window: hours of nothing, where an hour is no proof.
   */
  readonly longFallHalfLifeMs: number;
  /**
   * A key whose fast volume falls below this fraction of its fast expected
   * is depressed (out of stock, outage): its baseline holds, so a restock is
   * not a trend...
   */
  readonly depressedRatio: number;
  /** ...if it expected at least this many events per window... */
  readonly depressedMinExpected: number;
  /** ...until the depression (or an open fall) has lasted this long, when its level becomes the new normal. */
  readonly depressionAdoptMs: number;
  /**
   * After a fall the key recovers for this long: no spike opens and the
   * baseline holds; then the level it recovered to is adopted if it is off
   * by more than `minLift` (a restock never reads as a trend).
   */
  readonly recoveryMs: number;
  /** Actor estimates at or above this are saturated and not used to discount bots (see actors.ts). */
  readonly actorsReliableBelow: number;
  /** Memory of the key's own record of surprises, which calibrates the evidence (tail.ts). */
  readonly calibrationHalfLifeMs: number;
  /**
   * Plain values: until the record of surprises covers `youngRecordMs` of
   * windows, one window opens a spike alone only at `youngExtremeScore` sd
   * (calibrated), not `extremeScore`: a heavy tail's 8-16 sd outliers come
   * about once a day, so a day's record may not have shown one yet.
   */
  readonly youngRecordMs: number;
  readonly youngExtremeScore: number;
  /** Weight of the model's own tail, in windows, against that record. */
  readonly calibrationPriorWindows: number;
}

/** One window of one key. */
export interface WindowInput {
  /** Window end, event time (ms). */
  readonly end: number;
  /** The instant the window stands for (its middle), for the time-of-day profile. */
  readonly at: number;
  /** Time since the previous window's end. */
  readonly dtMs: number;
  /** Window length, when windows overlap (hopping); tumbling windows: `dtMs`. */
  readonly sizeMs?: number;
  /** Events (or the series value). */
  readonly events: number;
  /** Estimated distinct users/sessions among the events that named one, when known. */
  readonly actors?: number;
  /** Events that named no user or session. */
  readonly anonymous?: number;
  /** Share of the window's span that lies after the stream began: 1 once windows are full. */
  readonly coverage?: number;
}

/** A spike as one key's model tracks it. */
export interface SpikeState {
  readonly direction: Direction;
  /** Window end of the first surprising window. */
  readonly startedAt: number;
  /** Largest surprise so far (the most negative for a fall). */
  readonly peakScore: number;
  /** Volume at the peak (the trough for a fall). */
  readonly peakVolume: number;
  readonly peakAt: number;
}

export interface KeyStep {
  /** Events in the window. */
  readonly volume: number;
  /** Events after the bot discount, what is scored. */
  readonly effective: number;
  readonly expected: number;
  /** Surprise of the window against the baseline, standard deviations (negative below it). */
  readonly score: number;
  /** Set while a spike is open and on the window it ends. */
  readonly status?: SpikeStatus;
  /** True on the window that opened the spike. */
  readonly opened: boolean;
  /** Which way the open spike goes. */
  readonly direction?: Direction;
  readonly endReason?: EndReason;
  readonly spike?: SpikeState;
  /** The baseline learned this window (not inside an excursion or warm-up). */
  readonly learned: boolean;
  /**
   * How strongly this window says "a spike starts or grows here", as
   * evidence (-log10 of a calibrated tail probability): at least
   * `alarmThreshold(options)` exactly on windows that open a spike or make
   * it grow, below it elsewhere, growing with the surprise and never
   * capped. `trendmon score` maps it to [0, 1].
   */
  readonly alarm: number;
}

export const DEFAULT_KEY_OPTIONS: KeyModelOptions = {
  levelHalfLifeMs: 2 * 3_600_000,
  dispersionHalfLifeMs: 12 * 3_600_000,
  seasonHalfLifeMs: 7 * 86_400_000,
  seasonBinMs: 3_600_000,
  minExpected: 0.2,
  phiMin: 0.004,
  phiPrior: 0.05,
  phiPriorWindows: 24,
  learnClip: 2,
  clipScore: 3,
  warmupWindows: 12,
  openScore: 4.5,
  confirmWindows: 2,
  extremeScore: 8,
  minVolume: 10,
  sparseVolumeRatio: 20,
  minVolumeFloor: 5,
  minLift: 0.5,
  minDrop: 0.5,
  closeScore: 2,
  closeAfterWindows: 2,
  riseScore: 2,
  newNormalAfterMs: 3_600_000,
  resumeWithinMs: 3_600_000,
  fastHalfLifeWindows: 4,
  fallHalfLifeMs: 20 * 60_000,
  longFallHalfLifeMs: 80 * 60_000,
  depressedRatio: 0.3,
  depressedMinExpected: 2,
  depressionAdoptMs: 2 * 86_400_000,
  recoveryMs: 3_600_000,
  actorsReliableBelow: 40,
  calibrationHalfLifeMs: 2 * 86_400_000,
  calibrationPriorWindows: 50,
  youngRecordMs: 36 * 3_600_000,
  youngExtremeScore: 16,
};

/** Expected events mu whose total loss reaches `evidence`: normalEvidence(sqrt(2 mu)) = evidence (bisection; it grows with mu). */
function provableLoss(evidence: number): number {
  let lo = 0;
  let hi = 1;
  while (normalEvidence(Math.sqrt(2 * hi)) < evidence) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalEvidence(Math.sqrt(2 * mid)) < evidence) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The evidence a confirmed opening needs at least: `confirmWindows` windows
 * each `openScore` sd out. Openings and growth alarm at or above it; the
 * anomaly score maps it to 0.5.
 */
export const alarmThreshold = (o: Pick<KeyModelOptions, 'openScore' | 'confirmWindows'>): number => o.confirmWindows * normalEvidence(o.openScore);

/** A recent shortfall (sd) at which the key is held, as a fall under way. */
const SUSPECT_SHORTFALL = 3;
/**
 * A rise the recent average shows (3 sd, not yet proven) holds the baseline too, for at most this long:
 * long enough for a slow builder to show, short enough that a modest new normal is learned within the day.
 */
const SURPLUS_HOLD_MS = 6 * 3_600_000;

interface OpenSpike {
  direction: Direction;
  startedAt: number;
  peakScore: number;
  peakVolume: number;
  peakAt: number;
  /** Furthest effective volume so far (highest rising, lowest falling): what growth is measured against. */
  extreme: number;
  lastGrowthAt: number;
  growing: boolean;
  /**
   * Effective volume summed since the last growth, its expected, and its windows: the level a new
   * normal adopts (for counts, as a ratio to expected: a stock-out held for days spans every time of day).
   */
  settledSum: number;
  settledExpected: number;
  settledWindows: number;
  /** Consecutive calm windows (in window lengths), and their surprises summed (signed the spike's way, weighted alike). */
  calmRun: number;
  calmSum: number;
}

/** Per direction: how the key's surprises usually run, one window and `confirmWindows` in a row. */
interface Tails {
  readonly single: CalibratedTail;
  readonly run: CalibratedTail;
}

export class KeyModel {
  readonly baseline: Baseline;
  readonly #o: KeyModelOptions;
  readonly #counts: boolean;
  readonly #actors: ActorRatio;
  readonly #threshold: number;
  readonly #extreme: number;
  readonly #youngExtreme: number;
  /** Time covered by the windows the record of surprises has learned. */
  #recordMs = 0;
  /** Evidence of one window at `openScore`: a candidate for a spike. */
  readonly #candidate: number;
  /** Counts: expected events whose total loss is proof of a fall (the Poisson deviance of none, 2 mu, at the threshold). */
  readonly #provableLoss: number;
  readonly #up: Tails;
  readonly #down: Tails;
  /** Counts: the calibrated record of the recent average's shortfall (falls of sparse keys). */
  readonly #shortfall?: CalibratedTail;
  /** Counts: the calibrated record of the recent average's surplus (slow builders). */
  readonly #surplus?: CalibratedTail;
  /** Counts: since when a surplus has held the baseline. */
  #surplusSince?: number;
  /**
   * Counts: the highest baseline level of each of the last days, as long as a fall may last before it
   * is the new normal (`depressionAdoptMs`): a key that comes back up to one recovers (a ring by day).
   */
  readonly #highs?: Float64Array;
  #highDay = -Infinity;
  #seen: number;
  /** Fast EWMAs of the effective volume (the level a new normal adopts) and of expected. */
  #fast = 0;
  #fastExpected = 0;
  #fastWindows = 0;
  /** Counts: the recent average a fall (and a slow builder) is judged on, and a slower one for long falls. */
  readonly #recent?: RecentAverage;
  readonly #longRecent?: RecentAverage;
  /** Counts: the calibrated record of the slower average's shortfall. */
  readonly #longShortfall?: CalibratedTail;
  /** Window length (for overlapping windows, longer than the step between them). */
  #windowMs = 1;
  /**
   * Recent surprises (a ring), and how many have been seen: `confirmWindows` windows in a row are
   * this one and those a window length, two, ... before it. Hopping windows a slide apart share
   * nearly all their events, so a run of them would be one window's surprise counted twice.
   */
  #lastScores: Float64Array;
  #scored = 0;
  /** Steps per window length (1 for tumbling windows), from the shortest step seen. */
  #hop = 1;
  #stepMs = Infinity;
  /** Of the run's surprises, the least (rising) and the greatest (falling); NaN before there are that many. */
  #runLeast = NaN;
  #runGreatest = NaN;
  #candidateStart?: { direction: Direction; at: number };
  #open?: OpenSpike;
  /** The last spike that ended, and when: one that comes back the same way soon after goes on. */
  #ended?: { spike: OpenSpike; at: number };
  #depressedSince?: number;
  #recoveringUntil?: number;
  /** Level before the last new normal, when it was replaced, and which way the key had moved. */
  #preShift?: { level: number; at: number; direction: Direction };

  /**
   * `counts`: the key counts events (the live detector always does);
   * `priorWindows`: windows that passed before the key appeared, all zero.
   */
  constructor(options: KeyModelOptions, counts = true, priorWindows = 0) {
    this.#o = options;
    this.#counts = counts;
    this.#seen = priorWindows;
    this.#actors = new ActorRatio(options.actorsReliableBelow);
    this.baseline = counts ? new CountBaseline(options, priorWindows) : new ValueBaseline(options);
    this.#threshold = alarmThreshold(options);
    this.#lastScores = new Float64Array(options.confirmWindows);
    this.#extreme = normalEvidence(options.extremeScore);
    this.#youngExtreme = normalEvidence(options.youngExtremeScore);
    this.#candidate = normalEvidence(options.openScore);
    this.#provableLoss = provableLoss(this.#threshold);
    const k = options.confirmWindows;
    const tails = (): Tails => ({
      single: new CalibratedTail(normalEvidence, options.calibrationPriorWindows),
      run: new CalibratedTail((z) => k * normalEvidence(z), options.calibrationPriorWindows),
    });
    this.#up = tails();
    this.#down = tails();
    if (counts) {
      this.#recent = new RecentAverage({ ...options, halfLifeMs: options.fallHalfLifeMs });
      this.#shortfall = new CalibratedTail(normalEvidence, options.calibrationPriorWindows);
      this.#surplus = new CalibratedTail(normalEvidence, options.calibrationPriorWindows);
      this.#longRecent = new RecentAverage({ ...options, halfLifeMs: options.longFallHalfLifeMs });
      this.#longShortfall = new CalibratedTail(normalEvidence, options.calibrationPriorWindows);
      this.#highs = new Float64Array(Math.ceil(options.depressionAdoptMs / DAY_MS) + 1);
    }
  }

  /** True while a spike or a candidate for one is open, or the key is depressed or recovering: it must not be forgotten. */
  get busy(): boolean {
    return (
      this.#open !== undefined ||
      this.#candidateStart !== undefined ||
      this.#depressedSince !== undefined ||
      this.#recoveringUntil !== undefined
    );
  }

  step(w: WindowInput): KeyStep {
    const o = this.#o;
    this.#seen++;
    this.#windowMs = w.sizeMs ?? w.dtMs;
    const coverage = w.coverage ?? 1;
    const effective = this.#counts ? this.#actors.effective(w) : w.events;
    const p = this.baseline.predict(w.at);
    const score = this.baseline.surprise(effective, p);
    // Window counts (the fast half-life, warm-up, calm) are in window lengths: a hopping window that
    // shares all but one slide with the one before is a fraction of a window of new evidence.
    const share = this.#share(w);
    this.#fastWindows += share;
    const fastWeight = Math.max(decayWeight(share, o.fastHalfLifeWindows), share / this.#fastWindows);
    this.#fast += fastWeight * (effective / coverage - this.#fast);
    this.#fastExpected += fastWeight * (p.mean - this.#fastExpected);
    // (Before it knows the key's day, a baseline lags a daily cycle: no shortfall is read then.)
    const recent = this.#recent ? this.#recent.step(w.dtMs, this.#windowMs, effective / coverage, p as CountPrediction) : 0;
    const shortfall = this.baseline.seasoned ? recent : 0;
    const long = this.#longRecent ? this.#longRecent.step(w.dtMs, this.#windowMs, effective / coverage, p as CountPrediction) : 0;
    const longShortfall = this.#longRecent && this.baseline.seasoned && this.#needsLongLook() ? long : 0;
    const surplus = this.baseline.seasoned ? -recent : 0;

    const fall = this.#afterFall(w, p, effective, score);
    // Plain values may do anything in a day (their scale, their daily shape): no alarm before a day is known.
    const warm = coverage >= 1 && this.#seen * share > o.warmupWindows && (this.#counts || this.baseline.seasoned);
    this.#remember(score, w);
    const evidence = this.#evidence(score, shortfall, surplus);

    let status: SpikeStatus | undefined;
    let opened = false;
    let endReason: EndReason | undefined;
    /** The baseline was just replaced: this window is not learned against the old prediction. */
    let adopted = false;
    let alarm = warm ? this.#quiet(Math.max(evidence.up.single, evidence.down.single)) : 0;
    let spike = this.#open;
    if (!spike) {
      // Nothing opens against a baseline just replaced; and moving back towards the level before a new
      // normal is the old change ending, not a new one.
      const judged = warm && fall !== 'adopted';
      const returning = this.#preShift?.direction;
      const risingOk = judged && fall !== 'recovering' && returning !== 'falling';
      const rising = risingOk ? Math.max(this.#risingGates(effective, p) ? this.#opening(evidence.up) : 0, this.#surplusOpening(evidence.surplus, effective, p, w.at)) : 0;
      const fallingOk = judged && returning !== 'rising';
      const falling = fallingOk
        ? Math.max(this.#fallingGates(effective, p) ? Math.max(this.#opening(evidence.down), this.#fallOpening(evidence.shortfall)) : 0, this.#longFallOpening(longShortfall))
        : 0;
      const direction: Direction | undefined = rising > 0 && rising >= falling ? 'rising' : falling > 0 ? 'falling' : undefined;
      // A spike that ended lately and comes back the same way goes on: one spike, one alarm, not a flapping pair.
      const ended = this.#ended;
      const resumed = direction && ended?.spike.direction === direction && w.end - ended.at <= o.resumeWithinMs ? ended.spike : undefined;
      if (direction) this.#ended = undefined;
      if (resumed) {
        spike = this.#open = resumed;
        // (Its hour to become a new normal starts again: it has just moved.)
        Object.assign(resumed, { lastGrowthAt: w.end, settledSum: 0, settledExpected: 0, settledWindows: 0, calmRun: 0, calmSum: 0 });
        this.#candidateStart = undefined;
      } else if (direction) {
        spike = this.#open = {
          direction,
          startedAt: this.#candidateStart?.direction === direction ? this.#candidateStart.at : w.end,
          peakScore: score,
          peakVolume: w.events,
          peakAt: w.end,
          extreme: effective,
          lastGrowthAt: w.end,
          growing: true,
          settledSum: 0,
          settledExpected: 0,
          settledWindows: 0,
          calmRun: 0,
          calmSum: 0,
        };
        this.#candidateStart = undefined;
        status = direction;
        opened = true;
        alarm = Math.max(rising, falling);
      } else {
        // A candidate: this window alone is surprising, as calibrated; its windows are not learned.
        const surprising = Math.max(evidence.up.single, evidence.down.single) >= this.#candidate;
        const candidate = warm && surprising ? (score > 0 ? 'rising' : 'falling') : undefined;
        if (!candidate) this.#candidateStart = undefined;
        else if (this.#candidateStart?.direction !== candidate) this.#candidateStart = { direction: candidate, at: w.end };
      }
    }
    if (spike && !opened) {
      const sign = spike.direction === 'rising' ? 1 : -1;
      const growth = sign * this.baseline.surpriseAgainst(effective, sign > 0 ? Math.max(spike.extreme, p.mean) : Math.min(spike.extreme, p.mean), p);
      spike.growing = (spike.growing && sign * (effective - spike.extreme) > 0) || growth >= o.riseScore;
      spike.extreme = sign > 0 ? Math.max(spike.extreme, effective) : Math.min(spike.extreme, effective);
      if (sign * score > sign * spike.peakScore) spike.peakScore = score;
      if (sign * (w.events - spike.peakVolume) > 0) {
        spike.peakVolume = w.events;
        spike.peakAt = w.end;
      }
      if (spike.growing) {
        spike.lastGrowthAt = w.end;
        spike.settledSum = 0;
        spike.settledExpected = 0;
        spike.settledWindows = 0;
      }
      spike.settledSum += effective / coverage;
      spike.settledExpected += p.mean;
      spike.settledWindows++;
      // Calm: back under `closeScore`, and (for counts falling) the recent average too. It ends after
      // `closeAfterWindows` calm windows that are calm on average by a margin, so noise around a
      // plateau just past the line does not end and reopen it again and again.
      const calm = sign * score < o.closeScore && (sign > 0 || !this.#counts || shortfall < o.closeScore);
      // (The first calm window is a whole window of calm events; each one after it adds its new share.)
      const calmWeight = spike.calmRun > 0 ? share : 1;
      spike.calmRun = calm ? spike.calmRun + calmWeight : 0;
      spike.calmSum = calm ? spike.calmSum + calmWeight * sign * score : 0;
      // A fall of counts (a stock-out) waits for a restock as long as a depression would; any other change
      // that stops growing is the new normal after `newNormalAfterMs`.
      // (Only while it stays away: one that is just coming back is fading, and its plateau is no new normal.)
      const lasting = !calm && w.end - spike.lastGrowthAt >= (sign < 0 && this.#counts ? o.depressionAdoptMs : o.newNormalAfterMs);
      if (spike.calmRun >= o.closeAfterWindows && spike.calmSum / spike.calmRun < o.closeScore / 2) {
        endReason = 'faded';
        // A fall that ends is a recovery: no spike opens, and the baseline holds, until the key has settled.
        if (sign < 0) this.#recoveringUntil = w.end + o.recoveryMs;
        // A rise that ends starts the recent average over: its windows are judged, and must not open a builder.
        else this.#recent?.reset();
      } else if (lasting) {
        endReason = 'new-normal';
        this.#preShift = { level: this.baseline.level, at: w.end, direction: spike.direction };
        this.#adopt(w.at, this.#counts ? (spike.settledSum / spike.settledExpected) * p.mean : spike.settledSum / spike.settledWindows);
        adopted = true;
      }
      if (endReason) {
        status = 'ended';
        this.#open = undefined;
        this.#ended = { spike, at: w.end };
      } else {
        status = spike.growing ? spike.direction : 'ongoing';
      }
      // Growth alarms where it is itself surprising (a second leg); a plateau, however high, is not news twice.
      const growthEvidence = (sign > 0 ? this.#up : this.#down).single.evidence(growth);
      alarm = spike.growing && growthEvidence >= this.#threshold ? growthEvidence : this.#quiet(growthEvidence);
    }

    // Inside an excursion (a candidate, an open spike, a fall, a just-adopted level) only the time of day is learned.
    // A shortfall building up (3 sd, not yet proven) is held too: learned, a slow fall would be absorbed
    // by the baseline and by the record of surprises before it could be shown. So is a surplus to a new
    // high (a slow builder, which a 2-hour level would follow window by window), for a while.
    const building = surplus >= SUSPECT_SHORTFALL && this.#open === undefined && this.#recent !== undefined && this.#recent.mean > this.#highRatio(w.at) * this.#recent.expected;
    if (!building) this.#surplusSince = undefined;
    else this.#surplusSince ??= w.end;
    const holding = building && w.end - this.#surplusSince! < SURPLUS_HOLD_MS;
    const suspect = shortfall >= SUSPECT_SHORTFALL || longShortfall >= SUSPECT_SHORTFALL || holding;
    const excursion = adopted || suspect || fall !== 'learn' || this.#open !== undefined || this.#candidateStart !== undefined;
    // The tails learn what routinely happens once the baseline knows the key's day: not spikes (their
    // last window included), falls, or a young baseline's own misses.
    if (warm && this.baseline.seasoned && !spike && !suspect && fall === 'learn') this.#learnTails(w, score, shortfall, longShortfall);
    this.baseline.learn(w.at, w.dtMs, effective / coverage, p, warm, excursion, share);
    if (this.#counts) this.#noteHigh(w.end);
    if (!excursion && this.#counts) this.#actors.learn(w, w.dtMs, o.dispersionHalfLifeMs);
    return {
      volume: w.events,
      effective,
      expected: p.mean,
      score,
      ...(status ? { status } : {}),
      opened,
      ...(spike ? { direction: spike.direction } : {}),
      ...(endReason ? { endReason } : {}),
      ...(spike ? { spike: { direction: spike.direction, startedAt: spike.startedAt, peakScore: spike.peakScore, peakVolume: spike.peakVolume, peakAt: spike.peakAt } } : {}),
      learned: !excursion,
      alarm,
    };
  }

  /** Keeps the surprises a run is judged on, and the run's extremes. */
  #remember(score: number, w: WindowInput): void {
    if (w.dtMs > 0) this.#stepMs = Math.min(this.#stepMs, w.dtMs);
    const hop = w.sizeMs ? Math.max(1, Math.round(w.sizeMs / this.#stepMs)) : 1;
    const k = this.#o.confirmWindows;
    if (hop !== this.#hop) {
      // (The step shrank: the ring starts over at the new spacing.)
      this.#hop = hop;
      this.#lastScores = new Float64Array((k - 1) * hop + 1);
      this.#scored = 0;
    }
    const size = this.#lastScores.length;
    this.#lastScores[this.#scored++ % size] = score;
    if (this.#scored < size) return;
    let least = Infinity;
    let greatest = -Infinity;
    for (let j = 0; j < k; j++) {
      const z = this.#lastScores[(this.#scored - 1 - j * hop) % size]!;
      if (z < least) least = z;
      if (z > greatest) greatest = z;
    }
    this.#runLeast = least;
    this.#runGreatest = greatest;
  }

  /** The surprise of the window before this one (a window length back; 0 before there is one). */
  #previousScore(): number {
    const size = this.#lastScores.length;
    // (Called before this window's surprise is kept.)
    return this.#scored >= this.#hop ? this.#lastScores[(this.#scored - this.#hop) % size]! : 0;
  }

  /** Calibrated evidence each way: this window alone, the last `confirmWindows` together, and (counts) the recent shortfall and surplus. */
  #evidence(score: number, shortfall: number, surplus: number) {
    const run = this.#scored >= this.#lastScores.length;
    return {
      up: { single: this.#up.single.evidence(score), run: run ? this.#up.run.evidence(this.#runLeast) : 0 },
      down: { single: this.#down.single.evidence(-score), run: run ? this.#down.run.evidence(-this.#runGreatest) : 0 },
      shortfall: this.#shortfall?.evidence(shortfall) ?? 0,
      surplus: this.#surplus?.evidence(surplus) ?? 0,
    };
  }

  /** The evidence that opens a spike one way (0 when it does not): confirmed windows, or one extreme window. */
  #opening(e: { single: number; run: number }): number {
    const confirmed = e.run >= this.#threshold ? e.run : 0;
    // A plain series' record of surprises is young for its first hours of alarms: too young to know
    // whether its tails are heavy (a response time's routine outliers are 8-16 sd), so one window stands alone only further out.
    const young = !this.#counts && this.#recordMs < this.#o.youngRecordMs;
    const extreme = e.single >= (young ? this.#youngExtreme : this.#extreme) ? e.single : 0;
    return Math.max(confirmed, extreme);
  }

  /** Counts: a fall that the recent average shows (a sparse item out of stock): its evidence, if past the threshold. */
  #fallOpening(shortfall: number): number {
    return this.#counts && shortfall >= this.#threshold ? shortfall : 0;
  }

  /**
   * Counts: a long fall that the slower average shows: its evidence, less
   * log10(2) for being a second look at the same fall, if past the
   * threshold and it has lost `minVolume` and half of what was expected.
   */
  #longFallOpening(longShortfall: number): number {
    if (!this.#longRecent || !(longShortfall > 0)) return 0;
    const evidence = this.#longShortfall!.evidence(longShortfall) - Math.LOG10E * Math.LN2;
    return evidence >= this.#threshold && this.#fellShort(this.#longRecent) ? evidence : 0;
  }

  /**
   * Counts: whether the recent average could not prove even a total loss (a key selling a few a window),
   * so the slower one is looked at: a busier key's fall shows in the recent average first, and a slower
   * average would only add up a young baseline's lag behind its daily cycle.
   */
  #needsLongLook(): boolean {
    const recent = this.#recent!;
    return recent.windows * recent.expected < this.#provableLoss;
  }

  /** Counts: an average that has lost `minVolume` events and `minDrop` of what was expected. */
  #fellShort(average: RecentAverage): boolean {
    const { mean, expected, windows } = average;
    return windows * (expected - mean) >= this.#o.minVolume && mean <= (1 - this.#o.minDrop) * expected;
  }

  /** Counts: a rise the recent average shows (a slow builder): its evidence, if past the threshold and the gates. */
  #surplusOpening(surplus: number, effective: number, p: Prediction, at: number): number {
    if (!this.#counts || surplus < this.#threshold) return 0;
    const o = this.#o;
    const { mean, expected, windows } = this.#recent!;
    const high = this.#highRatio(at);
    // (This window too: a spike just ended, or one blip, lingers in the recent average after the key is back.)
    const enough =
      windows * (mean - high * expected) >= o.minVolume &&
      mean >= (1 + o.minLift) * high * expected &&
      effective >= (1 + o.minLift) * high * p.mean;
    return enough ? surplus : 0;
  }

  /**
   * Counts: how far above the baseline's level lies the highest level the
   * key stood at lately. A builder makes a new high; a key coming back up to
   * where it stood before a fall recovers (a restock, a listing fixed).
   */
  #highRatio(at: number): number {
    let high = this.baseline.level;
    for (const day of this.#highs!) high = Math.max(high, day);
    // As expected values (a sparse key's are floored at minExpected): a key without a daily profile has
    // its daily peak in its level's highs, and a floored expectation is above its troughs anyway.
    return this.baseline.meanFor(high, at) / this.baseline.meanFor(this.baseline.level, at);
  }

  /** Counts: keeps the highest baseline level of each day, for as many days as `#highs` holds. */
  #noteHigh(end: number): void {
    const highs = this.#highs!;
    const day = Math.floor(end / DAY_MS);
    // Days not seen (and a ring's worth at most) start empty.
    for (let d = Math.max(this.#highDay + 1, day - highs.length + 1); d <= day; d++) highs[d % highs.length] = 0;
    this.#highDay = Math.max(this.#highDay, day);
    highs[day % highs.length] = Math.max(highs[day % highs.length]!, this.baseline.level);
  }

  /** Below the alarm threshold, growing with the evidence, never capped: a quiet window's alarm. */
  #quiet(evidence: number): number {
    return (this.#threshold * evidence) / (evidence + this.#extreme);
  }

  #risingGates(effective: number, p: Prediction): boolean {
    if (!this.#counts) return true;
    const o = this.#o;
    // A key known to be sparse (a day of history) needs fewer: `sparseVolumeRatio` times what it expects, at least `minVolumeFloor`.
    const least = this.baseline.seasoned ? Math.min(o.minVolume, Math.max(o.minVolumeFloor, o.sparseVolumeRatio * p.mean)) : o.minVolume;
    return effective >= least && effective >= (1 + o.minLift) * p.mean;
  }

  #fallingGates(effective: number, p: Prediction): boolean {
    if (!this.#counts) return true;
    const o = this.#o;
    const single = p.mean - effective >= o.minVolume && effective <= (1 - o.minDrop) * p.mean;
    return single || this.#fellShort(this.#recent!);
  }

  /** Whether `value` lies clearly beyond the prediction, above (`sign` 1) or below (-1): counts by `minLift` in ratio, values by `closeScore` spreads. */
  #clearlyBeyond(value: number, p: Prediction, sign: number): boolean {
    if (this.#counts) return sign > 0 ? value > p.mean * (1 + this.#o.minLift) : value < p.mean / (1 + this.#o.minLift);
    return sign * this.baseline.surpriseAgainst(value, p.mean, p) >= this.#o.closeScore;
  }

  /** Whether `value` is clearly off the prediction either way: counts by `minLift` in ratio, values by `openScore` spreads. */
  #clearlyOff(value: number, p: Prediction): boolean {
    if (this.#counts) return Math.max(value / p.mean, p.mean / value) > 1 + this.#o.minLift;
    return Math.abs(this.baseline.surpriseAgainst(value, p.mean, p)) >= this.#o.openScore;
  }

  /** A new normal: the baseline takes `level`, and the recent shortfall starts over against it. */
  #adopt(at: number, level: number): void {
    this.baseline.adopt(at, level);
    this.#recent?.reset();
    this.#longRecent?.reset();
  }

  /** How much of this window is new: a hopping window shares all but one slide with the one before. */
  #share(w: WindowInput): number {
    return w.sizeMs ? Math.min(1, w.dtMs / w.sizeMs) : 1;
  }

  /** Learns how this key's surprises usually run (outside open spikes). */
  #learnTails(w: WindowInput, score: number, shortfall: number, longShortfall: number): void {
    const keep = 1 - decayWeight(w.dtMs, this.#o.calibrationHalfLifeMs);
    this.#recordMs += w.dtMs;
    const share = this.#share(w);
    this.#up.single.learn(score, keep, share);
    this.#down.single.learn(-score, keep, share);
    if (this.#scored >= this.#lastScores.length) {
      this.#up.run.learn(this.#runLeast, keep, share);
      this.#down.run.learn(-this.#runGreatest, keep, share);
    }
    this.#shortfall?.learn(shortfall, keep, share);
    this.#surplus?.learn(-shortfall, keep, share); // (the same recent average, read the other way)
    this.#recent?.learn(w.dtMs, share);
    this.#longShortfall?.learn(longShortfall, keep, share);
    this.#longRecent?.learn(w.dtMs, share);
  }

  /**
   * Falls, before the window is judged: whether the baseline may learn it
   * (`learn`), holds (`hold`), has just been replaced (`adopted`), or the key
   * is recovering and may not open a rising spike (`recovering`).
   *
   * A move back soon after a new normal (within `depressionAdoptMs`) is the
   * end of a long change (a surge, an outage): the baseline follows the key
   * back, but not past its level before the new normal; from there the usual
   * rules apply. A key whose fast level drops far below expected is depressed (out
   * of stock, an outage): the baseline holds; a depression that lasts
   * `depressionAdoptMs` is a new normal. When a fall lifts the key recovers
   * for `recoveryMs`, then adopts the level it came back to if that is more
   * than `minLift` off.
   */
  #afterFall(w: WindowInput, p: Prediction, effective: number, surprise: number): 'learn' | 'hold' | 'adopted' | 'recovering' {
    const o = this.#o;
    const adopt = (level: number) => {
      this.#adopt(w.at, level);
      this.#depressedSince = undefined;
      this.#recoveringUntil = undefined;
      return 'adopted' as const;
    };
    const shift = this.#preShift;
    if (shift && w.end - shift.at >= o.depressionAdoptMs) this.#preShift = undefined;
    const back = shift?.direction === 'rising' ? -1 : 1;
    // Counts: the fast level and the window (the fast level lags the adoption itself). Values: this
    // window and the one before, each against its own prediction: one outlier of a heavy-tailed series
    // moves the fast level too, and under a daily shape a lagging fast level says little.
    const goingBack =
      this.#preShift !== undefined &&
      this.#open === undefined &&
      (this.#counts
        ? this.#clearlyBeyond(this.#fast, p, back) && this.#clearlyBeyond(effective, p, back)
        : back * surprise >= o.closeScore && back * this.#previousScore() >= o.closeScore);
    if (goingBack && shift) {
      // The long change is ending: follow the key back (the fast level lags, the window does not),
      // but no further than where it was before.
      const now = back < 0 ? Math.min(this.#fast, effective) : Math.max(this.#fast, effective);
      if (!this.#counts) {
        // Values: wherever it came back to is where it is.
        this.#preShift = undefined;
        return adopt(effective);
      }
      const before = this.baseline.meanFor(shift.level, w.at);
      if (back * (now - before) >= 0) this.#preShift = undefined;
      return adopt(back < 0 ? Math.max(now, before) : Math.min(now, before));
    }
    if (this.#open?.direction === 'falling') return 'hold';
    const expected = this.#fastExpected;
    // (Expecting `depressedMinExpected` is needed to become depressed, not to stay so: a key that expects a
    // little less at some hours has not come back.)
    const depressed = this.#counts && (expected >= o.depressedMinExpected || this.#depressedSince !== undefined) && this.#fast < o.depressedRatio * expected;
    if (depressed) {
      this.#depressedSince ??= w.end;
      this.#recoveringUntil = undefined;
      if (w.end - this.#depressedSince < o.depressionAdoptMs) return 'hold';
      this.#preShift = { level: this.baseline.level, at: w.end, direction: 'falling' };
      return adopt(this.#fast);
    }
    if (this.#depressedSince !== undefined) {
      this.#depressedSince = undefined;
      this.#recoveringUntil = w.end + o.recoveryMs;
    }
    if (this.#recoveringUntil === undefined) return 'learn';
    if (w.end < this.#recoveringUntil) return 'recovering';
    this.#recoveringUntil = undefined;
    // The level it came back to, unless a surge is under way right now: that is for the spike rules to judge.
    return this.#clearlyOff(this.#fast, p) && Math.abs(surprise) < o.openScore ? adopt(this.#fast) : 'learn';
  }
}

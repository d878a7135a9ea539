/**
 * One key's detector, one step per window: the function the live detector
 * runs for every (dimension, key), `trendmon score` runs over a CSV and the
 * evaluation harness runs over labelled series. Pure; time is the windows'
 * event time.
 *
 * Per window: bot-robust volume -> surprise against the baseline -> spike
 * lifecycle (open after `confirmWindows` eligible windows, `rising` while it
 * grows, `ongoing` on a plateau, `ended` when it fades below `closeScore` or
 * stops growing for `newNormalAfterMs`, which makes its level the new
 * baseline) -> learn the window unless it is part of an excursion.
 */
import type { EndReason, SpikeStatus } from '../domain.js';
import { ActorRatio } from './actors.js';
import { Baseline, type BaselineOptions, type Prediction } from './baseline.js';
import { decayWeight } from './stats.js';

export interface KeyModelOptions extends BaselineOptions {
  /** Windows (including those before a key appeared) before any spike may open. */
  readonly warmupWindows: number;
  /** A window is eligible to open a spike at or above this surprise (standard deviations)... */
  readonly openScore: number;
  /** ...and a spike opens after this many eligible windows in a row (1 opens at once). */
  readonly confirmWindows: number;
  /** Fewer (effective) events than this in a window is never a trend. */
  readonly minVolume: number;
  /** The window must be at least this fraction above expected (0.5 = +50%). */
  readonly minLift: number;
  /** An open spike ends after `closeAfterWindows` windows in a row below this surprise. */
  readonly closeScore: number;
  readonly closeAfterWindows: number;
  /**
   * An open spike is `rising` while each window beats its peak, and becomes
   * `rising` again (after `ongoing`) only when a window beats the peak by
   * this surprise: a plateau's noise does not flap between the two.
   */
  readonly riseScore: number;
  /** A spike that has not risen for this long is a new normal: it ends and its level becomes the baseline. */
  readonly newNormalAfterMs: number;
  /** Half-life, in windows, of the fast averages of volume and expected: the level a new normal adopts. */
  readonly fastHalfLifeWindows: number;
  /**
   * A key whose fast volume falls below this fraction of its fast expected
   * is depressed (out of stock, outage): its baseline holds, so a restock is
   * not a trend...
   */
  readonly depressedRatio: number;
  /** ...if it expected at least this many events per window... */
  readonly depressedMinExpected: number;
  /** ...until the depression has lasted this long, when its level becomes the new normal. */
  readonly depressionAdoptMs: number;
  /**
   * After a depression the key recovers for this long: no spike opens and
   * the baseline holds; then the level it recovered to is adopted if it is
   * off by more than `minLift` (a restock never reads as a trend).
   */
  readonly recoveryMs: number;
  /** Actor estimates at or above this are saturated and not used to discount bots (see actors.ts). */
  readonly actorsReliableBelow: number;
}

/** One window of one key. */
export interface WindowInput {
  /** Window end, event time (ms). */
  readonly end: number;
  /** The instant the window stands for (its middle), for the time-of-day profile. */
  readonly at: number;
  /** Time since the previous window's end. */
  readonly dtMs: number;
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
  /** Window end of the first eligible window. */
  readonly startedAt: number;
  readonly peakScore: number;
  readonly peakVolume: number;
  readonly peakAt: number;
}

export interface KeyStep {
  /** Events in the window. */
  readonly volume: number;
  /** Events after the bot discount, what is scored. */
  readonly effective: number;
  readonly expected: number;
  /** Surprise of the window against the baseline, standard deviations. */
  readonly score: number;
  /** Set while a spike is open and on the window it ends. */
  readonly status?: SpikeStatus;
  /** True on the window that opened the spike. */
  readonly opened: boolean;
  readonly endReason?: EndReason;
  readonly spike?: SpikeState;
  /** The baseline learned this window (not inside an excursion or warm-up). */
  readonly learned: boolean;
  /**
   * How strongly this window says "a spike starts or grows here", on the
   * score scale: >= openScore exactly on windows that open a spike or make
   * it rise; below it (and capped) elsewhere. `trendmon score` maps it to [0, 1].
   */
  readonly alarm: number;
}

export const DEFAULT_KEY_OPTIONS: KeyModelOptions = {
  levelHalfLifeMs: 2 * 3_600_000,
  dispersionHalfLifeMs: 12 * 3_600_000,
  seasonHalfLifeMs: 7 * 86_400_000,
  seasonBinMs: 3_600_000,
  minExpected: 1,
  phiMin: 0.004,
  phiPrior: 0.05,
  phiPriorWindows: 24,
  learnClip: 2,
  clipScore: 3,
  warmupWindows: 12,
  openScore: 4.5,
  confirmWindows: 2,
  minVolume: 20,
  minLift: 0.5,
  closeScore: 2,
  closeAfterWindows: 2,
  riseScore: 2,
  newNormalAfterMs: 3_600_000,
  fastHalfLifeWindows: 4,
  depressedRatio: 0.3,
  depressedMinExpected: 2,
  depressionAdoptMs: 2 * 86_400_000,
  recoveryMs: 3_600_000,
  actorsReliableBelow: 40,
};

/** Non-alarm windows are capped at this fraction of `openScore`. */
const QUIET_CAP = 0.9;

interface OpenSpike {
  startedAt: number;
  peakScore: number;
  peakVolume: number;
  peakAt: number;
  /** Largest effective volume so far: what growth is measured against. */
  peakEffective: number;
  lastRiseAt: number;
  rising: boolean;
  lowRun: number;
}

const snapshot = (s: OpenSpike): SpikeState => ({
  startedAt: s.startedAt,
  peakScore: s.peakScore,
  peakVolume: s.peakVolume,
  peakAt: s.peakAt,
});

export class KeyModel {
  readonly baseline: Baseline;
  readonly #o: KeyModelOptions;
  readonly #counts: boolean;
  readonly #actors: ActorRatio;
  #seen: number;
  /** Fast EWMAs of the effective volume (the level a new normal adopts) and of expected. */
  #fast = 0;
  #fastExpected = 0;
  #fastWindows = 0;
  #candidateRun = 0;
  #candidateStart = 0;
  #open?: OpenSpike;
  #depressedSince?: number;
  #recoveringUntil?: number;
  /** Level before the last new normal, and when it was replaced. */
  #preShift?: { level: number; at: number };

  /**
   * `counts`: the key counts events (the live detector always does);
   * `priorWindows`: windows that passed before the key appeared, all zero.
   */
  constructor(options: KeyModelOptions, counts = true, priorWindows = 0) {
    this.#o = options;
    this.#counts = counts;
    this.#seen = priorWindows;
    this.#actors = new ActorRatio(options.actorsReliableBelow);
    this.baseline = new Baseline(options, counts, priorWindows);
  }

  /** True while a spike or a candidate for one is open, or the key is depressed or recovering: it must not be forgotten. */
  get busy(): boolean {
    return (
      this.#open !== undefined ||
      this.#candidateRun > 0 ||
      this.#depressedSince !== undefined ||
      this.#recoveringUntil !== undefined
    );
  }

  step(w: WindowInput): KeyStep {
    const o = this.#o;
    this.#seen++;
    const coverage = w.coverage ?? 1;
    const effective = this.#actors.effective(w);
    const p = this.baseline.predict(w.at);
    const score = this.baseline.surprise(effective, p);
    this.#fastWindows++;
    const fastWeight = Math.max(decayWeight(1, o.fastHalfLifeWindows), 1 / this.#fastWindows);
    this.#fast += fastWeight * (effective / coverage - this.#fast);
    this.#fastExpected += fastWeight * (p.mean - this.#fastExpected);

    const fall = this.#afterFall(w, p, effective);
    const warm = coverage >= 1 && this.#seen > o.warmupWindows;
    const lift = (effective - p.mean) / Math.abs(p.mean);
    const eligible = warm && fall !== 'recovering' && score >= o.openScore && effective >= o.minVolume && lift >= o.minLift;

    let status: SpikeStatus | undefined;
    let opened = false;
    let endReason: EndReason | undefined;
    let alarm = warm ? Math.min(Math.max(score, 0), QUIET_CAP * o.openScore) : 0;
    /** The baseline was just replaced: this window is not learned against the old prediction. */
    let adopted = false;
    let spike = this.#open;
    if (!spike) {
      this.#candidateRun = eligible ? this.#candidateRun + 1 : 0;
      if (this.#candidateRun === 1) this.#candidateStart = w.end;
      if (this.#candidateRun >= o.confirmWindows) {
        spike = this.#open = {
          startedAt: this.#candidateStart,
          peakScore: score,
          peakVolume: w.events,
          peakAt: w.end,
          peakEffective: effective,
          lastRiseAt: w.end,
          rising: true,
          lowRun: 0,
        };
        this.#candidateRun = 0;
        status = 'rising';
        opened = true;
        alarm = Math.max(score, o.openScore);
      }
    } else {
      const growth = this.baseline.surpriseAgainst(effective, Math.max(spike.peakEffective, p.mean), p);
      spike.rising = (spike.rising && effective > spike.peakEffective) || growth >= o.riseScore;
      spike.peakEffective = Math.max(spike.peakEffective, effective);
      spike.peakScore = Math.max(spike.peakScore, score);
      if (w.events > spike.peakVolume) {
        spike.peakVolume = w.events;
        spike.peakAt = w.end;
      }
      if (spike.rising) spike.lastRiseAt = w.end;
      spike.lowRun = score < o.closeScore ? spike.lowRun + 1 : 0;
      if (spike.lowRun >= o.closeAfterWindows) {
        endReason = 'faded';
      } else if (w.end - spike.lastRiseAt >= o.newNormalAfterMs) {
        endReason = 'new-normal';
        this.#preShift = { level: this.baseline.level, at: w.end };
        this.baseline.adopt(w.at, this.#fast);
        adopted = true;
      }
      if (endReason) {
        status = 'ended';
        this.#open = undefined;
      } else {
        status = spike.rising ? 'rising' : 'ongoing';
      }
      alarm = spike.rising
        ? Math.max(score, o.openScore)
        : Math.min(Math.max(growth, 0) * (o.openScore / o.riseScore), QUIET_CAP * o.openScore);
    }

    // Inside an excursion (a candidate, an open spike, a fall, a just-adopted level) the baseline holds.
    const excursion = adopted || fall !== 'learn' || this.#open !== undefined || this.#candidateRun > 0;
    const learned = !excursion;
    if (learned) {
      this.baseline.learn(w.at, w.dtMs, effective / coverage, p, warm);
      this.#actors.learn(w, w.dtMs, o.dispersionHalfLifeMs);
    }
    return {
      volume: w.events,
      effective,
      expected: p.mean,
      score,
      ...(status ? { status } : {}),
      opened,
      ...(endReason ? { endReason } : {}),
      ...(spike ? { spike: snapshot(spike) } : {}),
      learned,
      alarm,
    };
  }

  /**
   * Falls, before the window is judged: whether the baseline may learn it
   * (`learn`), holds (`hold`), has just been replaced (`adopted`), or the key
   * is recovering and may not open a spike (`recovering`).
   *
   * A fall soon after a new normal (within `depressionAdoptMs`) is the end of
   * a long surge: the baseline follows the key down, but not below its level
   * before the new normal; from there (an outage, say) the usual rules apply. A key whose fast level drops far below
   * expected is depressed (out of stock, an outage): the baseline holds; a
   * depression that lasts `depressionAdoptMs` is a new normal. When the
   * depression lifts the key recovers for `recoveryMs`, then adopts the
   * level it came back to if that is more than `minLift` off.
   */
  #afterFall(w: WindowInput, p: Prediction, effective: number): 'learn' | 'hold' | 'adopted' | 'recovering' {
    const o = this.#o;
    const adopt = (level: number) => {
      this.baseline.adopt(w.at, level);
      this.#depressedSince = undefined;
      this.#recoveringUntil = undefined;
      return 'adopted' as const;
    };
    if (this.#preShift && w.end - this.#preShift.at >= o.depressionAdoptMs) this.#preShift = undefined;
    if (this.#preShift && this.#fast < p.mean / (1 + o.minLift)) {
      // The long surge is ending: follow it down (the fast level lags a fall, the window
      // does not) to where the key was before at the lowest.
      const before = this.#preShift.level * p.season;
      const now = Math.min(this.#fast, effective);
      if (now <= before) this.#preShift = undefined;
      return adopt(Math.max(now, before));
    }
    const expected = this.#fastExpected;
    const depressed = this.#counts && expected >= o.depressedMinExpected && this.#fast < o.depressedRatio * expected;
    if (depressed) {
      this.#depressedSince ??= w.end;
      this.#recoveringUntil = undefined;
      if (w.end - this.#depressedSince < o.depressionAdoptMs) return 'hold';
      this.#preShift = undefined;
      return adopt(this.#fast);
    }
    if (this.#depressedSince !== undefined) {
      this.#depressedSince = undefined;
      this.#recoveringUntil = w.end + o.recoveryMs;
    }
    if (this.#recoveringUntil === undefined) return 'learn';
    if (w.end < this.#recoveringUntil) return 'recovering';
    this.#recoveringUntil = undefined;
    const off = Math.max(this.#fast / p.mean, p.mean / this.#fast);
    return off > 1 + o.minLift ? adopt(this.#fast) : 'learn';
  }
}

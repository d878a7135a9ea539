/**
 * A key's expected level for a window, and how much windows vary around it.
 * Two kinds share one interface: {@link CountBaseline} for event counts
 * (the live detector, and count series in `trendmon score`) and
 * ValueBaseline (value-baseline.ts) for plain values.
 *
 *   expected  mu_t = max(s(t) * L, minExpected)
 *   variance  mu + phi * mu^2           (negative binomial)
 *
 * L is the deseasonalised level (a ratio of event-time decayed sums), s(t)
 * the time-of-day factor ({@link DailyProfile}) once the key has the volume
 * and a day of history for one, measured against a slow (one-day) level so
 * that the fast level, which follows growth and shifts within hours, cannot
 * hide the cycle; phi the over-dispersion learned from the residuals (never
 * below `phiMin`, which also absorbs the baseline's own error on big keys).
 * Learning is robust: a window is winsorised to mu +- learnClip * sd before
 * it is learned, so a surge does not drag the baseline up before it is
 * judged, nor the first windows of an outage pull it down. Inside an
 * excursion (an open spike, a fall) nothing learns but the time-of-day
 * profile, and that only where yesterday missed the same way: a routine
 * daily step first taken for a spike is learned, not frozen out, while a
 * surge that comes once does not teach the profile that its hour is busy.
 * docs/detection.md has the formulas.
 */
import { DailyProfile, DailyResiduals, DAY_MS, ProfileChoice } from './season.js';
import { countSurprise, decayWeight } from './stats.js';

export interface BaselineOptions {
  /** Memory of the level: a level shift is half learned after this long. */
  readonly levelHalfLifeMs: number;
  /** Memory of the dispersion estimate. */
  readonly dispersionHalfLifeMs: number;
  /** Memory of the time-of-day profile: older days fade with this half-life. */
  readonly seasonHalfLifeMs: number;
  /** Width of one time-of-day bin (must divide a day). */
  readonly seasonBinMs: number;
  /**
   * A second, finer profile (e.g. one bin per row of a series), used when it
   * predicts better: sharp routine steps. Unset: the coarse one alone (the
   * live detector, where memory per key counts).
   */
  readonly fineSeasonBinMs?: number;
  /** Expected level never assumed below this, events per window (keeps rare keys quiet). */
  readonly minExpected: number;
  /** Smallest over-dispersion phi: relative spread sqrt(phi) the baseline never claims to beat. */
  readonly phiMin: number;
  /** Over-dispersion assumed for a key without history, held with the weight of `phiPriorWindows` windows. */
  readonly phiPrior: number;
  readonly phiPriorWindows: number;
  /** Windows are learned winsorised to expected +- learnClip standard deviations... */
  readonly learnClip: number;
  /** ...and their residuals to +- clipScore for the dispersion. */
  readonly clipScore: number;
}

/** What a baseline expects of one window. */
export interface Prediction {
  /** Expected value, in the series' own units. */
  readonly mean: number;
}

/** What the key model needs of a baseline, whatever the kind of series. */
export interface Baseline<P extends Prediction = Prediction> {
  /** Deseasonalised level. */
  readonly level: number;
  /**
   * A day of history is behind it: the time of day is known (or the key is
   * too small to have one), so its surprises mean what they say and may
   * calibrate the evidence.
   */
  readonly seasoned: boolean;
  predict(at: number): P;
  /** Surprise of `x` against a prediction, in standard deviations (signed). */
  surprise(x: number, p: P): number;
  /** Surprise of `x` against another reference value `ref` with the same spread (spike growth). */
  surpriseAgainst(x: number, ref: number, p: P): number;
  /**
   * Learns window value `x` at `at`, `dtMs` after the previous window,
   * against its prediction `p`; `robust`: winsorise first (past warm-up);
   * `excursion`: inside a spike or a fall, where only the profile learns;
   * `share`: how much of the window is new (slide / size for hopping
   * windows), so overlapping windows do not count the same events as
   * evidence again and again.
   */
  learn(at: number, dtMs: number, x: number, p: P, robust: boolean, excursion: boolean, share?: number): void;
  /** A new normal: the level becomes what window value `observed` at `at` implies. */
  adopt(at: number, observed: number): void;
  /** The expected value at `at` if the level were `level`. */
  meanFor(level: number, at: number): number;
}

/** What a count baseline expects of one window. */
export interface CountPrediction extends Prediction {
  readonly variance: number;
  /** Over-dispersion used. */
  readonly phi: number;
  /** Time-of-day factor s(t). */
  readonly season: number;
}

/** A key needs this level (events per window) before it keeps a time-of-day profile... */
const SEASON_MIN_LEVEL = 0.5;
/** ...and a day of its own history, so the slow level is a daily mean to measure the profile against. */
const SEASON_AFTER_MS = DAY_MS;
/**
 * Prior of each bin's factor: 1, with the weight of this many days of the
 * bin's windows (and at least SEASON_PRIOR_EVENTS expected events for
 * counts), halving every SEASON_PRIOR_HALF_LIFE_MS from the profile's start.
 * A young profile follows its data halfway; after a few days, fully.
 */
const SEASON_PRIOR_DAYS = 1;
const SEASON_PRIOR_HALF_LIFE_MS = DAY_MS;
const SEASON_PRIOR_EVENTS = 30;
/** A window teaches the profile at most this factor above or below what it expects at that time. */
const SEASON_BAND = 3;
/**
 * After a level is adopted the profile and the dispersion stop learning for
 * this many level half-lives: long enough for a surge that ends to be undone
 * (the key falls back to its old level), whose windows would otherwise
 * teach the profile that this hour is quiet and the dispersion that the key
 * is wild.
 */
const SETTLE_HALF_LIVES = 2;

/**
 * A level as a ratio of decayed sums, L = sum(d x) / sum(d s): the
 * Poisson maximum-likelihood level when window t expects s_t * L, so windows
 * in the quiet hours (small s) weigh little instead of being blown up by
 * 1/s. At the start it is a plain mean of the windows so far.
 */
export class DecayedLevel {
  readonly #halfLifeMs: number;
  /** Zero windows before the key appeared, folded into the weights at the first window. */
  #priorWindows: number;
  #sum = 0;
  #weight = 0;

  constructor(halfLifeMs: number, priorWindows = 0) {
    this.#halfLifeMs = halfLifeMs;
    this.#priorWindows = priorWindows;
  }

  get value(): number {
    return this.#weight > 0 ? this.#sum / this.#weight : 0;
  }

  learn(x: number, season: number, dtMs: number): void {
    const keep = 1 - decayWeight(dtMs, this.#halfLifeMs);
    if (this.#priorWindows > 0) {
      this.#weight = keep < 1 ? (keep * (1 - keep ** this.#priorWindows)) / (1 - keep) : this.#priorWindows;
      this.#priorWindows = 0;
    }
    this.#sum = keep * this.#sum + x;
    this.#weight = keep * this.#weight + season;
  }

  set(level: number): void {
    if (this.#weight <= 0) this.#weight = 1;
    this.#sum = level * this.#weight;
  }
}

export class CountBaseline implements Baseline<CountPrediction> {
  readonly #o: BaselineOptions;
  /** Deseasonalised level, per window. */
  readonly #level: DecayedLevel;
  /** The same with a one-day half-life: what the time-of-day profile is measured against. */
  readonly #dayLevel = new DecayedLevel(DAY_MS);
  /** Windows learned since the key appeared, and the event time they span. */
  #windows = 0;
  #spanMs = 0;
  /** Decayed sums of (r^2 - mu) and mu^2, whose ratio estimates phi. */
  #excess = 0;
  #scale = 0;
  #profiles?: ProfileChoice<DailyProfile>;
  #profileStart = 0;
  /** What each time of day missed by, today and yesterday (log ratios). */
  #residuals?: DailyResiduals;
  /** Profile and dispersion learn again from this event time (see SETTLE_HALF_LIVES). */
  #settledAt = -Infinity;

  /**
   * `priorWindows`: windows that passed before the key appeared, all zero,
   * so a key that appears with a burst is expected near zero (a breakout),
   * not at its burst.
   */
  constructor(options: BaselineOptions, priorWindows = 0) {
    this.#o = options;
    this.#level = new DecayedLevel(options.levelHalfLifeMs, priorWindows);
  }

  get level(): number {
    return this.#level.value;
  }

  get seasoned(): boolean {
    return this.#spanMs >= SEASON_AFTER_MS;
  }

  predict(at: number): CountPrediction {
    const o = this.#o;
    const season = this.#profiles?.current.factorAt(at) ?? 1;
    const mean = Math.max(season * this.level, o.minExpected);
    const prior = o.phiPriorWindows * mean * mean;
    const phi = Math.max(o.phiMin, (this.#excess + o.phiPrior * prior) / (this.#scale + prior));
    return { mean, variance: mean + phi * mean * mean, phi, season };
  }

  meanFor(level: number, at: number): number {
    return Math.max((this.#profiles?.current.factorAt(at) ?? 1) * level, this.#o.minExpected);
  }

  surprise(x: number, p: CountPrediction): number {
    return countSurprise(x, p.mean, p.phi);
  }

  surpriseAgainst(x: number, ref: number, p: CountPrediction): number {
    return countSurprise(x, ref, p.phi);
  }

  learn(at: number, dtMs: number, x: number, p: CountPrediction, robust: boolean, excursion: boolean, share = 1): void {
    const o = this.#o;
    const settled = at >= this.#settledAt;
    if (!this.#profiles && this.#wantsProfile()) {
      this.#profiles = new ProfileChoice(
        new DailyProfile(o.seasonBinMs),
        o.fineSeasonBinMs && o.fineSeasonBinMs < o.seasonBinMs ? new DailyProfile(o.fineSeasonBinMs) : undefined,
      );
      this.#profileStart = at;
    }
    const missed = Math.log((x + 0.5) / (p.mean + 0.5));
    const residuals = (this.#residuals ??= new DailyResiduals(o.fineSeasonBinMs ?? o.seasonBinMs));
    const routine = !excursion || residuals.recurs(at, missed);
    residuals.record(at, missed, excursion);
    if (this.#profiles && settled && dtMs > 0 && routine) {
      // The profile needs the full depth of the cycle, so it is not winsorised around the
      // prediction; a window counts at most SEASON_BAND times above or below the current factor.
      const day = this.#dayLevel.value;
      const fading = 2 ** (-(at - this.#profileStart) / SEASON_PRIOR_HALF_LIFE_MS);
      const keep = 1 - decayWeight(dtMs, o.seasonHalfLifeMs);
      const teach = (profile: DailyProfile, binMs: number) => {
        const factor = profile.factorAt(at);
        const ratio = Math.max(factor / SEASON_BAND, Math.min(factor * SEASON_BAND, x / day));
        const prior = Math.max(((SEASON_PRIOR_DAYS * binMs) / dtMs) * day, SEASON_PRIOR_EVENTS) * fading;
        profile.learn(at, ratio * day, day, keep, prior);
      };
      const { coarse, fine } = this.#profiles;
      if (fine) {
        this.#profiles.judge(x - coarse.factorAt(at) * this.level, x - fine.factorAt(at) * this.level, 1 - decayWeight(dtMs, o.dispersionHalfLifeMs));
      }
      teach(coarse, o.seasonBinMs);
      if (fine) teach(fine, o.fineSeasonBinMs!);
    }
    this.#spanMs += dtMs;
    if (excursion) return;
    const sd = Math.sqrt(p.variance);
    const clip = (k: number) => Math.max(-k * sd, Math.min(k * sd, x - p.mean));
    const residual = clip(o.clipScore);
    const learned = robust ? p.mean + clip(o.learnClip) : x;
    if (this.#windows > 0 && settled) {
      // (Nothing was predicted yet, or the level was just replaced: no residual to learn from.)
      const keepDispersion = 1 - decayWeight(dtMs, o.dispersionHalfLifeMs);
      this.#excess = keepDispersion * this.#excess + share * (residual * residual - p.mean);
      this.#scale = keepDispersion * this.#scale + share * p.mean * p.mean;
    }
    this.#windows++;
    this.#level.learn(learned, p.season, dtMs);
    this.#dayLevel.learn(learned, p.season, dtMs);
  }

  adopt(at: number, observed: number): void {
    const level = observed / (this.#profiles?.current.factorAt(at) ?? 1);
    this.#level.set(level);
    this.#dayLevel.set(level);
    this.#settledAt = at + SETTLE_HALF_LIVES * this.#o.levelHalfLifeMs;
  }

  #wantsProfile(): boolean {
    return this.#spanMs >= SEASON_AFTER_MS && this.#dayLevel.value >= SEASON_MIN_LEVEL;
  }
}

/**
 * A key's expected level for a window, and how much windows vary around it.
 *
 *   expected  mu_t = max(s(t) * L, minExpected)
 *   counts:   variance = mu + phi * mu^2           (negative binomial)
 *   values:   variance = s(t)^2 * sigma^2          (plain series, `trendmon score`)
 *
 * L is the deseasonalised level (a ratio of event-time decayed sums), s(t)
 * the time-of-day factor ({@link DailyProfile}) once the key has the volume
 * and a day of history for one, measured against a slow (one-day) level so
 * that the fast level, which follows growth and shifts within hours, cannot
 * hide the cycle; phi the over-dispersion learned from the residuals (never
 * below `phiMin`, which also absorbs the baseline's own error on big keys).
 * Learning is robust: a window is winsorised to mu +- learnClip * sd before
 * it is learned, so a surge does not drag the baseline up before it is
 * judged, nor the first windows of an outage pull it down. docs/detection.md
 * has the formulas.
 */
import { DailyProfile, DAY_MS } from './season.js';
import { countSurprise, decayWeight, valueSurprise } from './stats.js';

export interface BaselineOptions {
  /** Memory of the level: a level shift is half learned after this long. */
  readonly levelHalfLifeMs: number;
  /** Memory of the dispersion estimate. */
  readonly dispersionHalfLifeMs: number;
  /** Memory of the time-of-day profile: older days fade with this half-life. */
  readonly seasonHalfLifeMs: number;
  /** Width of one time-of-day bin (must divide a day). */
  readonly seasonBinMs: number;
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

/** What the baseline expects of one window. */
export interface Prediction {
  readonly mean: number;
  readonly variance: number;
  /** Over-dispersion used (counts). */
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
/** Relative floor of the spread of a plain (non-count) series. */
const VALUE_REL_FLOOR = 0.01;

/**
 * A level as a ratio of decayed sums, L = sum(d x) / sum(d s): the
 * Poisson maximum-likelihood level when window t expects s_t * L, so windows
 * in the quiet hours (small s) weigh little instead of being blown up by
 * 1/s. At the start it is a plain mean of the windows so far.
 */
class DecayedLevel {
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

export class Baseline {
  readonly #o: BaselineOptions;
  readonly #counts: boolean;
  /** Deseasonalised level, per window. */
  readonly #level: DecayedLevel;
  /** The same with a one-day half-life: what the time-of-day profile is measured against. */
  readonly #dayLevel = new DecayedLevel(DAY_MS);
  /** Windows learned since the key appeared, and the event time they span. */
  #windows = 0;
  #spanMs = 0;
  /** Counts: decayed sums of (r^2 - mu) and mu^2, whose ratio estimates phi. */
  #excess = 0;
  #scale = 0;
  /** Values: decayed sums of squared deseasonalised residuals and of weights. */
  #squares = 0;
  #weight = 0;
  #profile?: DailyProfile;
  #profileStart = 0;
  /** Profile and dispersion learn again from this event time (see SETTLE_HALF_LIVES). */
  #settledAt = -Infinity;
  /** Values: a negative value turns the (multiplicative) profile off for good. */
  #negative = false;

  /**
   * `counts`: the series counts events (Poisson-like); otherwise it is any
   * number and the spread is learned only from the data. `priorWindows`:
   * windows that passed before the key appeared, all zero, so a key that
   * appears with a burst is expected near zero (a breakout), not at its burst.
   */
  constructor(options: BaselineOptions, counts: boolean, priorWindows = 0) {
    this.#o = options;
    this.#counts = counts;
    this.#level = new DecayedLevel(options.levelHalfLifeMs, priorWindows);
  }

  /** Deseasonalised level, per window. */
  get level(): number {
    return this.#level.value;
  }

  predict(at: number): Prediction {
    const o = this.#o;
    const season = this.#profile?.factorAt(at) ?? 1;
    const raw = season * this.level;
    if (this.#counts) {
      const mean = Math.max(raw, o.minExpected);
      const prior = o.phiPriorWindows * mean * mean;
      const phi = Math.max(o.phiMin, (this.#excess + o.phiPrior * prior) / (this.#scale + prior));
      return { mean, variance: mean + phi * mean * mean, phi, season };
    }
    const sigma2 = this.#weight > 0 ? this.#squares / this.#weight : 0;
    const floor = (VALUE_REL_FLOOR * Math.abs(raw)) ** 2 + 1e-12;
    return { mean: raw, variance: Math.max(season * season * sigma2, floor), phi: 0, season };
  }

  /** Surprise of `x` against a prediction, in standard deviations. */
  surprise(x: number, p: Prediction): number {
    return this.#counts ? countSurprise(x, p.mean, p.phi) : valueSurprise(x, p.mean, p.variance);
  }

  /** Surprise of `x` against another reference level `ref` with the same spread model (spike growth). */
  surpriseAgainst(x: number, ref: number, p: Prediction): number {
    return this.#counts ? countSurprise(x, ref, p.phi) : valueSurprise(x, ref, p.variance);
  }

  /**
   * Learns window value `x` at time `at`, `dtMs` after the previous window,
   * against the prediction `p` made for it. `robust` (the key is past its
   * warm-up, so its prediction means something) first winsorises the window
   * to expected +- clipScore standard deviations: a surge cannot drag the
   * baseline up before it is judged, nor the first hours of an outage pull
   * it (and the time-of-day profile) down before it is recognised.
   */
  learn(at: number, dtMs: number, x: number, p: Prediction, robust: boolean): void {
    const o = this.#o;
    const sd = Math.sqrt(p.variance);
    const clip = (k: number) => Math.max(-k * sd, Math.min(k * sd, x - p.mean));
    const residual = clip(o.clipScore);
    const learned = robust ? p.mean + clip(o.learnClip) : x;
    const keepDispersion = 1 - decayWeight(dtMs, o.dispersionHalfLifeMs);
    const settled = at >= this.#settledAt;
    if (this.#windows === 0 || !settled) {
      // Nothing was predicted yet, or the level was just replaced: no residual to learn from.
    } else if (this.#counts) {
      this.#excess = keepDispersion * this.#excess + residual * residual - p.mean;
      this.#scale = keepDispersion * this.#scale + p.mean * p.mean;
    } else {
      const r = residual / p.season;
      this.#squares = keepDispersion * this.#squares + r * r;
      this.#weight = keepDispersion * this.#weight + 1;
    }
    if (x < 0) {
      this.#negative = true;
      this.#profile = undefined;
    }
    if (!this.#profile && this.#wantsProfile()) {
      this.#profile = new DailyProfile(o.seasonBinMs);
      this.#profileStart = at;
    }
    if (this.#profile && settled && dtMs > 0) {
      // The profile needs the full depth of the cycle, so it is not winsorised around the
      // prediction; a window counts at most SEASON_BAND times above or below the current factor.
      const day = this.#dayLevel.value;
      const ratio = Math.max(p.season / SEASON_BAND, Math.min(p.season * SEASON_BAND, x / day));
      const fading = 2 ** (-(at - this.#profileStart) / SEASON_PRIOR_HALF_LIFE_MS);
      const prior = Math.max(((SEASON_PRIOR_DAYS * o.seasonBinMs) / dtMs) * day, this.#counts ? SEASON_PRIOR_EVENTS : 0) * fading;
      this.#profile.learn(at, ratio * day, day, 1 - decayWeight(dtMs, o.seasonHalfLifeMs), prior);
    }
    this.#windows++;
    this.#spanMs += dtMs;
    this.#level.learn(learned, p.season, dtMs);
    this.#dayLevel.learn(learned, p.season, dtMs);
  }

  /** A new normal: the level becomes `observed` (a window value at time `at`). */
  adopt(at: number, observed: number): void {
    const level = observed / (this.#profile?.factorAt(at) ?? 1);
    this.#level.set(level);
    this.#dayLevel.set(level);
    this.#settledAt = at + SETTLE_HALF_LIVES * this.#o.levelHalfLifeMs;
  }

  #wantsProfile(): boolean {
    if (this.#spanMs < SEASON_AFTER_MS) return false;
    const day = this.#dayLevel.value;
    if (this.#counts) return day >= SEASON_MIN_LEVEL;
    return !this.#negative && day > 0;
  }
}

/**
 * Bot robustness: one user or session hammering a query or an item adds
 * events but not shoppers. Each key learns how many events a shopper
 * usually makes in a window (r = named events / distinct actors, a ratio of
 * decayed sums), and the detector scores
 *
 *   effective = anonymous + min(named, r * actors)
 *
 * so a burst from a handful of actors counts as the handful it is, while a
 * real surge (more shoppers) grows both terms. Events that name nobody
 * cannot be attributed and count as they are.
 *
 * The windows estimate distinct actors with a small sketch (32-bucket
 * linear counting), exact enough for a few dozen shoppers and saturated
 * beyond about a hundred. So the discount applies only while the estimate
 * is below `reliableBelow`; above it the window counts all its events (a
 * surge has by then brought many shoppers, and a bot on a key that busy is
 * a small share of it). Without actor counts (a plain series) effective =
 * events.
 */
import { decayWeight } from './stats.js';

/** A window learned into the ratio counts at most this many times the usual events per actor. */
const LEARN_CAP = 2;

/** A window's events and who made them. */
export interface ActorCounts {
  readonly events: number;
  /** Estimated distinct users/sessions among the events that named one. */
  readonly actors?: number;
  /** Events that named no user or session. */
  readonly anonymous?: number;
}

export class ActorRatio {
  readonly #reliableBelow: number;
  #named = 0;
  #actors = 0;

  /** `reliableBelow`: actor estimates at or above this are taken as saturated. */
  constructor(reliableBelow: number) {
    this.#reliableBelow = reliableBelow;
  }

  /** Named events per actor learned so far, undefined before any window with actors. */
  get ratio(): number | undefined {
    return this.#actors > 0 ? this.#named / this.#actors : undefined;
  }

  /** The window's volume with repeat events beyond the usual per-actor rate removed. */
  effective(w: ActorCounts): number {
    const ratio = this.ratio;
    const anonymous = w.anonymous ?? 0;
    if (ratio === undefined || !this.#reliable(w)) return w.events;
    return anonymous + Math.min(w.events - anonymous, ratio * w.actors!);
  }

  /**
   * Learns one ordinary window (the detector does not learn inside spikes).
   * The window is capped at LEARN_CAP times the current ratio, so a bot
   * shifts the ratio only slowly, and only if it never leaves.
   */
  learn(w: ActorCounts, dtMs: number, halfLifeMs: number): void {
    if (!this.#reliable(w)) return;
    const named = w.events - (w.anonymous ?? 0);
    const ratio = this.ratio;
    const capped = ratio === undefined ? named : Math.min(named, LEARN_CAP * ratio * w.actors!);
    const keep = 1 - decayWeight(dtMs, halfLifeMs);
    this.#named = keep * this.#named + capped;
    this.#actors = keep * this.#actors + w.actors!;
  }

  #reliable(w: ActorCounts): boolean {
    return w.actors !== undefined && w.actors > 0 && w.actors < this.#reliableBelow && w.events - (w.anonymous ?? 0) > 0;
  }
}

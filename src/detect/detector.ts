/**
 * Spike detection over window results: per (dimension, key) a baseline of
 * window counts, a surprise score for each new window, and a spike lifecycle
 * with hysteresis (rising -> ongoing -> ended).
 */
import { defer, map, type OperatorFunction } from 'rxjs';
import type { Dimension, SignalMix, Spike, SpikeStatus } from '../domain.js';
import type { WindowResult } from '../windows/hopping.js';
import { EMPTY_BASELINE, ewmaAlpha, learn, surprise, type Baseline } from './baseline.js';

export interface DetectorOptions {
  /** Baseline memory, in windows (slides). */
  readonly halfLifeWindows: number;
  /** A key must have been seen for this many windows before it may spike. */
  readonly warmupWindows: number;
  /** Open a spike at or above this score (standard deviations). */
  readonly openScore: number;
  /** A spike ends after `closeAfterWindows` windows in a row below this score. */
  readonly closeScore: number;
  readonly closeAfterWindows: number;
  /** Fewer events than this in a window is never a trend. */
  readonly minVolume: number;
  /** The window must be at least this fraction above expected (0.5 = +50%). */
  readonly minLift: number;
  /** Expected level never assumed below this (keeps rare keys quiet). */
  readonly minExpected: number;
  /**
   * A spike that has made no new peak for this long is a new normal: it
   * ends and its level becomes the baseline.
   */
  readonly newNormalAfterMs: number;
  /** Ended spikes stay in the ranking this long. */
  readonly keepEndedMs: number;
  readonly rankingSize: number;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  halfLifeWindows: 360,
  warmupWindows: 30,
  openScore: 4,
  closeScore: 2,
  closeAfterWindows: 3,
  minVolume: 20,
  minLift: 0.5,
  minExpected: 1,
  newNormalAfterMs: 60 * 60_000,
  keepEndedMs: 10 * 60_000,
  rankingSize: 50,
};

/** What the detector says after each window. */
export interface Detection {
  readonly windowEnd: number;
  /** Spikes opened, updated or ended by this window. */
  readonly updates: readonly Spike[];
  /** What is trending now: open spikes, then recently ended ones, best first. */
  readonly ranking: readonly Spike[];
}

interface OpenSpike {
  readonly spikeId: string;
  readonly startedAt: number;
  peakScore: number;
  peakVolume: number;
  lastPeakAt: number;
  lowRun: number;
}

interface KeyState {
  readonly dimension: Dimension;
  readonly key: string;
  baseline: Baseline;
  open?: OpenSpike;
}

const NO_SIGNALS: SignalMix = { search: 0, view: 0, sale: 0 };
/** A key whose expected level falls below this while quiet is forgotten. */
const FORGET_BELOW = 0.05;

/** Relative surge times log volume: big relative jumps on real volume rank first. */
export function trendScore(volume: number, expected: number): number {
  const lift = Math.max(0, (volume - expected) / expected);
  return Math.log2(1 + lift) * Math.log10(1 + volume);
}

/**
 * The detector's state machine, one step per window. Pure: time is the
 * windows' event time, nothing else.
 */
export class SpikeDetector {
  private readonly keys = new Map<string, KeyState>();
  private readonly ended = new Map<string, Spike>();
  private readonly alpha: number;
  private readonly options: DetectorOptions;

  constructor(options: Partial<DetectorOptions> = {}) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    this.alpha = ewmaAlpha(this.options.halfLifeWindows);
  }

  /** Keys with a baseline held in memory. */
  get trackedKeys(): number {
    return this.keys.size;
  }

  step(result: WindowResult): Detection {
    const seen = new Set<string>();
    const updates: Spike[] = [];
    const current: Spike[] = [];
    for (const window of result.keys) {
      const id = `${window.dimension}\u0001${window.key}`;
      seen.add(id);
      let state = this.keys.get(id);
      if (!state) this.keys.set(id, (state = { dimension: window.dimension, key: window.key, baseline: EMPTY_BASELINE }));
      const spike = this.observe(state, window.events, window.bySignal, result.end);
      if (spike) (spike.status === 'ended' ? updates : current).push(spike);
    }
    for (const [id, state] of this.keys) {
      if (seen.has(id)) continue;
      const spike = this.observe(state, 0, NO_SIGNALS, result.end);
      if (spike) (spike.status === 'ended' ? updates : current).push(spike);
      if (!state.open && state.baseline.mean < FORGET_BELOW) this.keys.delete(id);
    }
    updates.push(...current);
    for (const spike of updates) if (spike.status === 'ended') this.ended.set(spike.spikeId, spike);
    for (const [id, spike] of this.ended) {
      if (result.end - (spike.endedAt ?? spike.updatedAt) > this.options.keepEndedMs) this.ended.delete(id);
    }
    const byScore = (a: Spike, b: Spike) => b.trendScore - a.trendScore;
    const ranking = [...current.sort(byScore), ...[...this.ended.values()].sort(byScore)].slice(
      0,
      this.options.rankingSize,
    );
    return { windowEnd: result.end, updates, ranking };
  }

  /** Scores one window for one key, moves its spike along, then learns the window. */
  private observe(state: KeyState, volume: number, drivers: SignalMix, end: number): Spike | undefined {
    const o = this.options;
    const { expected, z } = surprise(state.baseline, volume, o.minExpected);
    let spike: Spike | undefined;
    let open = state.open;
    if (!open) {
      const opens =
        state.baseline.windows >= o.warmupWindows &&
        volume >= o.minVolume &&
        volume >= expected * (1 + o.minLift) &&
        z >= o.openScore;
      if (opens) {
        open = state.open = {
          spikeId: `${state.dimension}:${state.key}:${end}`,
          startedAt: end,
          peakScore: z,
          peakVolume: volume,
          lastPeakAt: end,
          lowRun: 0,
        };
        spike = this.describe(state, open, 'rising', z, volume, expected, drivers, end);
      }
    } else {
      const newPeak = volume > open.peakVolume;
      if (newPeak) {
        open.peakVolume = volume;
        open.lastPeakAt = end;
      }
      open.peakScore = Math.max(open.peakScore, z);
      open.lowRun = z < o.closeScore ? open.lowRun + 1 : 0;
      const settled = end - open.lastPeakAt >= o.newNormalAfterMs;
      if (open.lowRun >= o.closeAfterWindows || settled) {
        spike = this.describe(state, open, 'ended', z, volume, expected, drivers, end);
        state.open = undefined;
        if (settled) {
          // The surge stayed: its level is the new normal, not a spike.
          state.baseline = { mean: volume, variance: Math.max(state.baseline.variance, volume), windows: state.baseline.windows };
        }
      } else {
        spike = this.describe(state, open, newPeak ? 'rising' : 'ongoing', z, volume, expected, drivers, end);
      }
    }
    // Learn clipped windows so a surge does not inflate the spread it is judged against.
    const spread = Math.sqrt(Math.max(state.baseline.variance, expected));
    const clipped = state.baseline.windows >= o.warmupWindows ? Math.min(volume, expected + 3 * spread) : volume;
    state.baseline = learn(state.baseline, clipped, this.alpha);
    return spike;
  }

  private describe(
    state: KeyState,
    open: OpenSpike,
    status: SpikeStatus,
    score: number,
    volume: number,
    expected: number,
    drivers: SignalMix,
    end: number,
  ): Spike {
    return {
      spikeId: open.spikeId,
      dimension: state.dimension,
      key: state.key,
      status,
      score: round(score, 2),
      volume,
      expected: round(expected, 2),
      pctAbove: round(((volume - expected) / expected) * 100, 1),
      startedAt: open.startedAt,
      updatedAt: end,
      ...(status === 'ended' ? { endedAt: end } : {}),
      peakScore: round(open.peakScore, 2),
      peakVolume: open.peakVolume,
      trendScore: round(trendScore(volume, expected) * (status === 'ended' ? 0.5 : 1), 3),
      drivers: { ...drivers },
    };
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Runs a fresh SpikeDetector over window results: one Detection per window.
 * Completes and errors with its source.
 */
export function detectSpikes(options: Partial<DetectorOptions> = {}): OperatorFunction<WindowResult, Detection> {
  return (source) =>
    defer(() => {
      const detector = new SpikeDetector(options);
      return source.pipe(map((result) => detector.step(result)));
    });
}

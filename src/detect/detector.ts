/**
 * Spike detection over window results: one {@link KeyModel} per
 * (dimension, key), fed each window's counts, and the Google-Trends-like
 * view of what they find: spikes with volume, % above expected, start,
 * peak and status, which signals drive them, and a ranking of what is
 * trending now.
 */
import { defer, map, type OperatorFunction } from 'rxjs';
import type { Dimension, Direction, Signal, SignalMix, Spike } from '../domain.js';
import type { KeyWindow, WindowResult } from '../windows/hopping.js';
import { DEFAULT_KEY_OPTIONS, KeyModel, type KeyModelOptions, type KeyStep } from './key-model.js';
import type { SearchLinker } from './linking.js';
import { decayWeight } from './stats.js';

export interface DetectorOptions extends KeyModelOptions {
  /** Ended spikes stay in the ranking this long. */
  readonly keepEndedMs: number;
  readonly rankingSize: number;
  /** When given, query and term spikes name the catalog keys they link to (`linkedTo`). */
  readonly linker?: SearchLinker;
}

export const DEFAULT_DETECTOR_OPTIONS: DetectorOptions = {
  ...DEFAULT_KEY_OPTIONS,
  keepEndedMs: 10 * 60_000,
  rankingSize: 50,
};

/** What the detector says after each window. */
export interface Detection {
  readonly windowEnd: number;
  /** Spikes opened, updated or ended by this window. */
  readonly updates: readonly Spike[];
  /**
   * What is trending now: open spikes, then recently ended ones, best first;
   * the rising ones (the trending board) then the falling ones (their own
   * board), each at most `rankingSize`.
   */
  readonly ranking: readonly Spike[];
}

interface KeyState {
  readonly dimension: Dimension;
  readonly key: string;
  readonly model: KeyModel;
  /** Decayed per-signal event sums of learned windows: the key's usual signal mix. */
  readonly mix: SignalMix;
  linkedTo?: readonly string[];
  /** The step (`stepped`) in which the window last reported this key. */
  seenAt: number;
}

const SIGNALS: readonly Signal[] = ['search', 'view', 'sale'];
const NO_SIGNALS: SignalMix = { search: 0, view: 0, sale: 0 };
/** A quiet key whose level falls below this (events per window) is forgotten. */
const FORGET_BELOW = 0.05;
/** A signal drives a spike when it carries at least this share of the events above expected. */
const DRIVER_SHARE = 0.2;
/** Query and term spikes name at most this many linked catalog keys. */
const MAX_LINKED = 5;

/**
 * Ranking weight: relative surge times log volume, log2(1 + lift) * log10(1 + volume),
 * on the bot-discounted volume, so big relative jumps on real volume rank first.
 * A fall weighs what was lost the same way: log2((expected + 1) / (volume + 1)) * log10(1 + expected),
 * so an item that was selling well and stopped ranks first.
 */
export function trendScore(volume: number, expected: number, direction: Direction = 'rising'): number {
  if (direction === 'falling') return Math.max(0, Math.log2((expected + 1) / (volume + 1))) * Math.log10(1 + expected);
  const lift = Math.max(0, (volume - expected) / expected);
  return Math.log2(1 + lift) * Math.log10(1 + volume);
}

/**
 * Which signals carry a spike: the signals whose events above the key's
 * usual mix make up at least DRIVER_SHARE of the excess, largest first.
 * A sku surge led by `search` is demand arriving before sales move.
 */
export function drivingSignals(window: SignalMix, usual: SignalMix, expected: number): Signal[] {
  const usualTotal = usual.search + usual.view + usual.sale;
  const excess = SIGNALS.map((s) => [s, window[s] - (usualTotal > 0 ? (usual[s] / usualTotal) * expected : 0)] as const);
  const total = excess.reduce((sum, [, e]) => sum + Math.max(0, e), 0);
  if (total <= 0) return [];
  return excess
    .filter(([, e]) => e > 0 && e >= DRIVER_SHARE * total)
    .sort((a, b) => b[1] - a[1])
    .map(([s]) => s);
}

/**
 * The detector over all keys, one step per window result. Pure: time is the
 * windows' event time, nothing else.
 *
 * Window results must come in order, one per slide (as `hoppingWindows`
 * emits them; a gap means empty windows). The slide is read off the first
 * two results; the first result only starts the clock, and windows that
 * reach back before the stream began are learned scaled to their coverage
 * and never open a spike.
 */
export class SpikeDetector {
  private readonly keys = new Map<string, KeyState>();
  private readonly ended = new Map<string, Spike>();
  private readonly options: DetectorOptions;
  private firstEnd?: number;
  private lastEnd?: number;
  private slideMs?: number;
  /** Windows stepped so far; a key that appears later has that many zero windows behind it. */
  private stepped = 0;

  constructor(options: Partial<DetectorOptions> = {}) {
    this.options = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
  }

  /** Keys with a baseline held in memory. */
  get trackedKeys(): number {
    return this.keys.size;
  }

  step(result: WindowResult): Detection {
    const previous = this.lastEnd;
    this.lastEnd = result.end;
    if (previous === undefined) {
      this.firstEnd = result.end;
      return this.detection(result.end, [], []);
    }
    const dtMs = result.end - previous;
    if (dtMs > 0) this.slideMs = Math.min(this.slideMs ?? dtMs, dtMs);
    const sizeMs = result.end - result.start;
    const coverage = Math.min(1, (result.end - this.firstEnd! + this.slideMs!) / sizeMs);
    const at = result.end - sizeMs / 2;

    const current: Spike[] = [];
    const updates: Spike[] = [];
    const report = (state: KeyState, window: KeyWindow | undefined) => {
      // Sketched dimensions may overcount by `error`: score the events the window guarantees.
      // (actors and anonymous undefined when the windows give none: read as absent downstream)
      const step = state.model.step({
        end: result.end,
        at,
        dtMs,
        sizeMs,
        events: window ? window.events - window.error : 0,
        actors: window?.actors,
        anonymous: window?.anonymous,
        coverage,
      });
      const bySignal = window?.bySignal ?? NO_SIGNALS;
      if (step.learned) this.learnMix(state.mix, bySignal, dtMs);
      const spike = this.describe(state, step, bySignal, window?.actors, result.end);
      if (spike) (spike.status === 'ended' ? updates : current).push(spike);
    };
    for (const window of result.keys) {
      const id = `${window.dimension}\u0001${window.key}`;
      let state = this.keys.get(id);
      if (!state) {
        state = {
          dimension: window.dimension,
          key: window.key,
          model: new KeyModel(this.options, true, this.stepped),
          mix: { ...NO_SIGNALS },
          seenAt: this.stepped,
        };
        this.keys.set(id, state);
      }
      state.seenAt = this.stepped;
      report(state, window);
    }
    for (const [id, state] of this.keys) {
      if (state.seenAt === this.stepped) continue;
      report(state, undefined);
      if (!state.model.busy && state.model.baseline.level < FORGET_BELOW) this.keys.delete(id);
    }
    this.stepped++;
    updates.push(...current);
    return this.detection(result.end, updates, current);
  }

  private detection(windowEnd: number, updates: Spike[], current: Spike[]): Detection {
    for (const spike of updates) if (spike.status === 'ended') this.ended.set(spike.spikeId, spike);
    // (A spike that ended and came back the same way is open again, under the same id.)
    for (const spike of current) this.ended.delete(spike.spikeId);
    for (const [id, spike] of this.ended) {
      if (windowEnd - (spike.endedAt ?? spike.updatedAt) > this.options.keepEndedMs) this.ended.delete(id);
    }
    const board = [...current, ...this.ended.values()];
    const size = this.options.rankingSize;
    return { windowEnd, updates, ranking: [...rankSpikes(board, size, 'rising'), ...rankSpikes(board, size, 'falling')] };
  }

  private learnMix(mix: SignalMix, bySignal: SignalMix, dtMs: number): void {
    const keep = 1 - decayWeight(dtMs, this.options.levelHalfLifeMs);
    for (const s of SIGNALS) mix[s] = keep * mix[s] + bySignal[s];
  }

  private describe(
    state: KeyState,
    step: KeyStep,
    bySignal: SignalMix,
    actors: number | undefined,
    end: number,
  ): Spike | undefined {
    const { status, spike } = step;
    if (!status || !spike) return undefined;
    const { direction } = spike;
    if (step.opened) state.linkedTo = this.linked(state);
    const ended = status === 'ended';
    return {
      spikeId: `${state.dimension}:${state.key}:${spike.startedAt}`,
      dimension: state.dimension,
      key: state.key,
      direction,
      status,
      score: round(step.score, 2),
      volume: step.volume,
      expected: round(step.expected, 2),
      pctAbove: round(((step.volume - step.expected) / step.expected) * 100, 1),
      startedAt: spike.startedAt,
      updatedAt: end,
      ...(ended ? { endedAt: end, endReason: step.endReason } : {}),
      peakScore: round(spike.peakScore, 2),
      peakVolume: spike.peakVolume,
      peakAt: spike.peakAt,
      trendScore: round(trendScore(step.effective, step.expected, direction) * (ended ? 0.5 : 1), 3),
      drivers: { ...bySignal },
      drivenBy: direction === 'rising' ? drivingSignals(bySignal, state.mix, step.expected) : [],
      ...(actors !== undefined ? { actors } : {}),
      ...(state.linkedTo?.length ? { linkedTo: state.linkedTo } : {}),
    };
  }

  private linked(state: KeyState): readonly string[] | undefined {
    const { linker } = this.options;
    if (!linker || (state.dimension !== 'query' && state.dimension !== 'term')) return undefined;
    return linker
      .link(state.key)
      .slice(0, MAX_LINKED)
      .map((link) => `${link.dimension}:${link.key}`);
  }
}

/**
 * The ranking order of the wall: spikes still going by trend score, then
 * recently ended ones by trend score; the first `size`, of one direction
 * when given. Also merges the rankings of several key partitions into one
 * board.
 */
export function rankSpikes(spikes: Iterable<Spike>, size: number, direction?: Direction): Spike[] {
  const live: Spike[] = [];
  const ended: Spike[] = [];
  for (const spike of spikes) {
    if (direction && spike.direction !== direction) continue;
    (spike.status === 'ended' ? ended : live).push(spike);
  }
  const byScore = (a: Spike, b: Spike) => b.trendScore - a.trendScore;
  return [...live.sort(byScore), ...ended.sort(byScore)].slice(0, size);
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

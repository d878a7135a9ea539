/**
 * The counts behind hopping windows: one pane of counts per slide, and the
 * running totals of the panes the current window spans, so closing a window
 * costs the panes entering and leaving it, not the whole window. Exact
 * dimensions keep every key; sketched ones (search queries and terms) keep a
 * Space-Saving summary per pane and report the window's top keys. Plain
 * data and arithmetic: the watermark operator (hopping.ts) decides when.
 */
import type { Dimension } from '../domain.js';
import type { KeyWindow } from './hopping.js';
import type { Observation } from './keys.js';
import { SpaceSaving } from './space-saving.js';

/** A key's counts in one pane. */
interface PaneEntry {
  dimension: Dimension;
  key: string;
  events: number;
  error: number;
  units: number;
  revenue: number;
  search: number;
  view: number;
  sale: number;
  anonymous: number;
  /** Linear-counting bitmap of the shoppers seen (32 buckets). */
  actorMask: number;
}

/** A key's running totals over the panes of the current window. */
interface WindowEntry extends Omit<PaneEntry, 'actorMask'> {
  /**
   * Per sketch bucket, how many panes in the window saw a shopper there;
   * allocated only once a named shopper appears (most query keys have none).
   */
  actorPanes?: ActorCounts;
}

interface Pane {
  /** Exact dimensions: dimension -> key -> counts (no per-observation key strings built). */
  readonly exact: Map<Dimension, Map<string, PaneEntry>>;
  readonly sketched: Map<Dimension, SpaceSaving<PaneEntry>>;
}

const newPaneEntry = (dimension: Dimension, key: string): PaneEntry => ({
  dimension,
  key,
  events: 0,
  error: 0,
  units: 0,
  revenue: 0,
  search: 0,
  view: 0,
  sale: 0,
  anonymous: 0,
  actorMask: 0,
});

/** The buckets in which some pane of the window saw a shopper. */
function maskOf(actorPanes: ActorCounts | undefined): number {
  if (!actorPanes) return 0;
  let mask = 0;
  for (let bit = 0; bit < 32; bit++) if (actorPanes[bit]! > 0) mask |= 1 << bit;
  return mask;
}

/** 32 small counters in one typed array (far smaller than an array of numbers, per key in the window). */
type ActorCounts = Uint8Array | Uint16Array | Uint32Array;
/** Counters wide enough to count every pane of a window. */
const actorCounter = (panesPerWindow: number): (() => ActorCounts) =>
  panesPerWindow < 2 ** 8 ? () => new Uint8Array(32) : panesPerWindow < 2 ** 16 ? () => new Uint16Array(32) : () => new Uint32Array(32);

function addPane(window: Map<string, WindowEntry>, id: string, pane: PaneEntry, sign: 1 | -1, newActorCounts: () => ActorCounts): void {
  let entry = window.get(id);
  if (!entry) {
    if (sign < 0) return;
    const { actorMask: _mask, ...counts } = newPaneEntry(pane.dimension, pane.key);
    window.set(id, (entry = counts));
  }
  entry.events += sign * pane.events;
  entry.error += sign * pane.error;
  entry.units += sign * pane.units;
  entry.revenue += sign * pane.revenue;
  entry.search += sign * pane.search;
  entry.view += sign * pane.view;
  entry.sale += sign * pane.sale;
  entry.anonymous += sign * pane.anonymous;
  if (pane.actorMask !== 0) {
    const actorPanes = (entry.actorPanes ??= newActorCounts());
    for (let mask = pane.actorMask, bit = 0; mask !== 0; mask >>>= 1, bit++) {
      if (mask & 1) actorPanes[bit]! += sign;
    }
  }
  if (entry.events <= 0) window.delete(id);
}

/** Linear counting on a 32-bucket bitmap. */
function estimateFromMask(mask: number): number {
  let empty = 32;
  for (let m = mask; m !== 0; m &= m - 1) empty--;
  return empty === 32 ? 0 : Math.round(-32 * Math.log(Math.max(empty, 0.5) / 32));
}

/**
 * The `limit` keys with the most events in a sketched dimension's window
 * (most first), from its running per-key event totals. Only the counts are
 * sorted in full (a typed array); the keys are then picked against the
 * limit-th count, so a close costs about one pass over the window's keys.
 */
function topKeys(totals: ReadonlyMap<string, number>, limit: number): string[] {
  const top: { key: string; events: number }[] = [];
  if (totals.size <= limit) {
    totals.forEach((events, key) => top.push({ key, events }));
  } else {
    const counts = new Float64Array(totals.size);
    let i = 0;
    totals.forEach((events) => (counts[i++] = events));
    counts.sort();
    const threshold = counts[counts.length - limit]!;
    const ties: string[] = [];
    totals.forEach((events, key) => {
      if (events > threshold) top.push({ key, events });
      else if (events === threshold) ties.push(key);
    });
    for (let t = 0; top.length < limit; t++) top.push({ key: ties[t]!, events: threshold });
  }
  return top.sort((a, b) => b.events - a.events).map((t) => t.key);
}

/** One key's counts summed over the pane summaries of a window (as one Space-Saving merge gives them). */
function mergedEntry(summaries: readonly SpaceSaving<PaneEntry>[], key: string): PaneEntry | undefined {
  let merged: PaneEntry | undefined;
  for (const summary of summaries) {
    const e = summary.get(key);
    if (!e) continue;
    if (!merged) {
      merged = { ...e };
      continue;
    }
    merged.events += e.events;
    merged.error += e.error;
    merged.units += e.units;
    merged.revenue += e.revenue;
    merged.search += e.search;
    merged.view += e.view;
    merged.sale += e.sale;
    merged.anonymous += e.anonymous;
    merged.actorMask |= e.actorMask;
  }
  return merged;
}

/** What the window reports for a key, from its counts and the buckets its shoppers fell in. */
const keyWindow = (e: Omit<PaneEntry, 'actorMask'>, actorMask: number): KeyWindow => ({
  dimension: e.dimension,
  key: e.key,
  events: e.events,
  units: e.units,
  revenue: Math.round(e.revenue * 100) / 100,
  bySignal: { search: e.search, view: e.view, sale: e.sale },
  error: e.error,
  actors: estimateFromMask(actorMask),
  anonymous: e.anonymous,
});

export class PaneStore {
  /** Pane index -> its counts, for panes not yet slid out of the window. */
  readonly #panes = new Map<number, Pane>();
  /** Running totals of the panes in the current window (exact dimensions). */
  readonly #window = new Map<string, WindowEntry>();
  /**
   * Per sketched dimension, each key's events summed over the window's
   * pane summaries (a number per key, nothing more): each close adds the
   * entering pane's counts and removes the leaving one's, picks the top
   * `capacity` keys, and sums only those keys' full counts from the panes.
   */
  readonly #sketchedWindow: Map<Dimension, Map<string, number>>;
  readonly #sketched: readonly [Dimension, number][];
  readonly #capacity: Partial<Record<Dimension, number>>;
  readonly #panesPerWindow: number;
  readonly #newActorCounts: () => ActorCounts;
  /** Per sketched dimension, what makes a new key's pane entry (one function, not one per observation). */
  readonly #makers: Map<Dimension, (key: string) => PaneEntry>;

  constructor(panesPerWindow: number, capacity: Partial<Record<Dimension, number>>) {
    this.#panesPerWindow = panesPerWindow;
    this.#capacity = capacity;
    this.#sketched = Object.entries(capacity) as [Dimension, number][];
    this.#sketchedWindow = new Map(this.#sketched.map(([dimension]) => [dimension, new Map()]));
    this.#newActorCounts = actorCounter(panesPerWindow);
    this.#makers = new Map(this.#sketched.map(([dimension]) => [dimension, (key: string) => newPaneEntry(dimension, key)]));
  }

  /** Nothing counted in the current window nor in any pane still held. */
  get empty(): boolean {
    return this.#window.size === 0 && this.#panes.size === 0;
  }

  /** Counts one observation into pane `pane`. */
  count(obs: Observation, pane: number): void {
    let p = this.#panes.get(pane);
    if (!p) this.#panes.set(pane, (p = { exact: new Map(), sketched: new Map() }));
    let entry: PaneEntry;
    const limit = this.#capacity[obs.dimension];
    if (limit !== undefined) {
      let summary = p.sketched.get(obs.dimension);
      if (!summary) p.sketched.set(obs.dimension, (summary = new SpaceSaving<PaneEntry>(limit)));
      entry = summary.offer(obs.key, 1, this.#makers.get(obs.dimension)!);
    } else {
      let keys = p.exact.get(obs.dimension);
      if (!keys) p.exact.set(obs.dimension, (keys = new Map()));
      let exact = keys.get(obs.key);
      if (!exact) keys.set(obs.key, (exact = newPaneEntry(obs.dimension, obs.key)));
      exact.events += 1;
      entry = exact;
    }
    entry.units += obs.units;
    entry.revenue += obs.revenue;
    entry[obs.signal] += 1;
    if (obs.actorBit < 0) entry.anonymous += 1;
    else entry.actorMask |= 1 << obs.actorBit;
  }

  /** Slides the window to end with pane `index` (it enters, the one a window before leaves) and reports it. */
  close(index: number): KeyWindow[] {
    const entering = this.#panes.get(index);
    if (entering) this.#apply(entering, 1);
    const leavingIndex = index - this.#panesPerWindow;
    const leaving = this.#panes.get(leavingIndex);
    if (leaving) {
      this.#apply(leaving, -1);
      this.#panes.delete(leavingIndex);
    }
    const keys: KeyWindow[] = [];
    for (const entry of this.#window.values()) keys.push(keyWindow(entry, maskOf(entry.actorPanes)));
    for (const [dimension, limit] of this.#sketched) {
      const summaries: SpaceSaving<PaneEntry>[] = [];
      for (let i = index - this.#panesPerWindow + 1; i <= index; i++) {
        const summary = this.#panes.get(i)?.sketched.get(dimension);
        if (summary) summaries.push(summary);
      }
      for (const key of topKeys(this.#sketchedWindow.get(dimension)!, limit)) {
        const entry = mergedEntry(summaries, key)!;
        keys.push(keyWindow(entry, entry.actorMask));
      }
    }
    return keys;
  }

  clear(): void {
    this.#panes.clear();
    this.#window.clear();
    this.#sketchedWindow.clear();
  }

  /** Adds (1) or removes (-1) a pane's counts to or from the window's running totals. */
  #apply(pane: Pane, sign: 1 | -1): void {
    for (const [dimension, keys] of pane.exact) {
      for (const [key, entry] of keys) addPane(this.#window, `${dimension}\u0001${key}`, entry, sign, this.#newActorCounts);
    }
    for (const [dimension, summary] of pane.sketched) {
      const totals = this.#sketchedWindow.get(dimension)!;
      for (const [key, entry] of summary) {
        const events = (totals.get(key) ?? 0) + sign * entry.events;
        if (events > 0) totals.set(key, events);
        else totals.delete(key);
      }
    }
  }
}

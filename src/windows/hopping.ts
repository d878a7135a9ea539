/**
 * Event-time hopping (sliding) windows with a watermark, as an RxJS
 * operator. Tumbling windows are the special case `sizeMs === slideMs`.
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Dimension, SignalMix } from '../domain.js';
import type { Observation } from './keys.js';
import { SpaceSaving } from './space-saving.js';

export interface HoppingWindowOptions {
  /** Window length, ms; a whole multiple of `slideMs`. */
  readonly sizeMs: number;
  /** How often a window ends, ms. Windows end on multiples of it (epoch-aligned). */
  readonly slideMs: number;
  /** How far behind the newest event time a window stays open for late events. */
  readonly allowedLatenessMs: number;
  /**
   * How far ahead of the scheduler's clock an event may move the event
   * clock; a producer with a fast clock cannot close everyone's windows early.
   */
  readonly maxClockSkewMs?: number;
  /**
   * Dimensions with unbounded key spaces (e.g. query, term) and how many
   * keys to keep for them: each pane keeps a Space-Saving summary of that
   * size, and each window reports the top `capacity` keys of the merged pane
   * summaries, so memory is fixed whatever the cardinality. A key's count is
   * then within `error` <= events in the window / capacity of the truth.
   */
  readonly capacity?: Partial<Record<Dimension, number>>;
  /**
   * While the latest value is true the event clock does not advance with the
   * scheduler: the source is held back (e.g. the store is down and nothing
   * is pulled), not idle, and its backlog must not arrive late.
   */
  readonly hold?: Observable<boolean>;
  readonly scheduler: SchedulerLike;
}

/** One key's totals in one window. */
export interface KeyWindow {
  readonly dimension: Dimension;
  readonly key: string;
  readonly events: number;
  readonly units: number;
  readonly revenue: number;
  readonly bySignal: SignalMix;
  /**
   * Uncertainty of `events` in sketched dimensions (0 elsewhere): the count
   * inherited from keys it replaced in the Space-Saving summaries.
   */
  readonly error: number;
  /** Estimated distinct shoppers (users, else sessions) among events that named one. */
  readonly actors: number;
  /** Events that named no user or session. */
  readonly anonymous: number;
}

/** Everything counted in the window [start, end). */
export interface WindowResult {
  readonly start: number;
  readonly end: number;
  /** Keys with at least one event in the window. */
  readonly keys: readonly KeyWindow[];
  /** Events that arrived after their window had closed since the previous result. */
  readonly lateEvents: number;
}

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

/**
 * Counts observations per (dimension, key) in event-time hopping windows.
 *
 * Time is split into panes of `slideMs`; a window is the last
 * `sizeMs / slideMs` panes. The event clock is the newest event time seen
 * (capped at the scheduler's clock plus `maxClockSkewMs`), advanced by the
 * scheduler's clock while no newer event arrives, so an idle stream still
 * closes its windows (unless `hold` says the source is held back, not idle).
 * The watermark is the event clock minus
 * `allowedLatenessMs`; a window is emitted once the watermark passes its end,
 * so out-of-order events within the lateness give the same result as in order.
 * Events for windows already emitted are dropped and counted in `lateEvents`.
 *
 * State is bounded: a key leaves as soon as its last event slides out of the
 * window, and sketched dimensions keep at most `capacity` keys per pane (and,
 * for the window, one running event count per key held by its panes).
 *
 * Emits one WindowResult per slide, in order, starting with the window that
 * ends after the first event. After a window's worth (at least ten) of empty
 * windows an idle stream stops emitting until events return.
 * On complete it emits every window that still holds events, then completes;
 * on error it drops its state and errors.
 */
export function hoppingWindows(options: HoppingWindowOptions): OperatorFunction<Observation, WindowResult> {
  const { sizeMs, slideMs, allowedLatenessMs, scheduler } = options;
  const maxSkew = options.maxClockSkewMs ?? 60_000;
  if (!(slideMs > 0) || !(sizeMs > 0) || sizeMs % slideMs !== 0) {
    throw new RangeError(`sizeMs (${sizeMs}) must be a positive whole multiple of slideMs (${slideMs})`);
  }
  const panesPerWindow = sizeMs / slideMs;
  const newActorCounts = actorCounter(panesPerWindow);
  const maxEmptyRun = Math.max(panesPerWindow, 10);
  const capacity = options.capacity ?? {};
  const sketchedDimensions = Object.entries(capacity) as [Dimension, number][];

  return (source) =>
    new Observable<WindowResult>((subscriber) => {
      /** Pane index -> its counts, for panes not yet slid out of the window. */
      const panes = new Map<number, Pane>();
      /** Running totals of the panes in the current window (exact dimensions). */
      const window = new Map<string, WindowEntry>();
      /**
       * Per sketched dimension, each key's events summed over the window's
       * pane summaries (a number per key, nothing more): each close adds the
       * entering pane's counts and removes the leaving one's, picks the top
       * `capacity` keys, and sums only those keys' full counts from the panes.
       */
      const sketchedWindow = new Map<Dimension, Map<string, number>>(sketchedDimensions.map(([dimension]) => [dimension, new Map()]));
      /** Index of the next pane to close; undefined until the first close. */
      let nextPane: number | undefined;
      let maxPane = -Infinity;
      /** Oldest pane with events; where counting starts, so early out-of-order events count. */
      let minPane = Infinity;
      let clockTs = -Infinity;
      let clockSetAt = 0;
      let late = 0;
      /** Consecutive empty windows emitted; past `maxEmptyRun` an idle stream goes quiet. */
      let emptyRun = 0;
      let timer: Subscription | undefined;
      let timerDueAt = Infinity;

      /** Set while the source is held back: the scheduler time the hold began. */
      let heldSince: number | undefined;
      const eventClock = (now: number) => clockTs + ((heldSince ?? now) - clockSetAt);
      /** Sketched keys live only in panes: any pane left means the window is not empty. */
      const hasPanesInWindow = () => panes.size > 0;

      /** Adds (1) or removes (-1) a pane's counts to or from the window's running totals. */
      const applyPane = (pane: Pane, sign: 1 | -1) => {
        for (const [dimension, keys] of pane.exact) {
          for (const [key, entry] of keys) addPane(window, `${dimension}\u0001${key}`, entry, sign, newActorCounts);
        }
        for (const [dimension, summary] of pane.sketched) {
          const totals = sketchedWindow.get(dimension)!;
          for (const [key, entry] of summary) {
            const events = (totals.get(key) ?? 0) + sign * entry.events;
            if (events > 0) totals.set(key, events);
            else totals.delete(key);
          }
        }
      };

      const closePane = () => {
        const index = nextPane!;
        const entering = panes.get(index);
        if (entering) applyPane(entering, 1);
        const leavingIndex = index - panesPerWindow;
        const leaving = panes.get(leavingIndex);
        if (leaving) {
          applyPane(leaving, -1);
          panes.delete(leavingIndex);
        }
        nextPane = index + 1;
        const end = nextPane * slideMs;
        const keys: KeyWindow[] = [];
        for (const entry of window.values()) keys.push(keyWindow(entry, maskOf(entry.actorPanes)));
        for (const [dimension, limit] of sketchedDimensions) {
          const summaries: SpaceSaving<PaneEntry>[] = [];
          for (let i = index - panesPerWindow + 1; i <= index; i++) {
            const summary = panes.get(i)?.sketched.get(dimension);
            if (summary) summaries.push(summary);
          }
          for (const key of topKeys(sketchedWindow.get(dimension)!, limit)) {
            const entry = mergedEntry(summaries, key)!;
            keys.push(keyWindow(entry, entry.actorMask));
          }
        }
        subscriber.next({ start: end - sizeMs, end, keys, lateEvents: late });
        late = 0;
      };

      /** Closes every pane the watermark has passed, then sleeps until the next one is due. */
      const advance = (now = scheduler.now()) => {
        if (minPane === Infinity) return;
        const watermark = eventClock(now) - allowedLatenessMs;
        if (nextPane === undefined && (minPane + 1) * slideMs <= watermark) nextPane = minPane;
        let closed = false;
        while (nextPane !== undefined && (nextPane + 1) * slideMs <= watermark) {
          if (emptyRun >= maxEmptyRun && window.size === 0 && panes.size === 0) {
            nextPane = Math.floor(watermark / slideMs); // nothing to count until events return
            break;
          }
          closePane();
          closed = true;
          emptyRun = window.size === 0 && !hasPanesInWindow() ? emptyRun + 1 : 0;
        }
        // Re-arm only when the next close became due earlier: the common case,
        // a live stream, keeps one timer per slide instead of one per event.
        if (heldSince !== undefined) return; // the clock stands still: nothing falls due until the hold ends
        const at = closed ? scheduler.now() : now; // closing took time
        const dueAt = at + Math.max(1, ((nextPane ?? minPane) + 1) * slideMs - watermark);
        if (timer && dueAt >= timerDueAt) return;
        timer?.unsubscribe();
        timerDueAt = dueAt;
        timer = scheduler.schedule(() => {
          timer = undefined;
          timerDueAt = Infinity;
          advance();
        }, dueAt - at);
      };

      /** Per sketched dimension, what makes a new key's pane entry (one function, not one per observation). */
      const makers = new Map(sketchedDimensions.map(([dimension]) => [dimension, (key: string) => newPaneEntry(dimension, key)]));

      const count = (obs: Observation, pane: number) => {
        let p = panes.get(pane);
        if (!p) panes.set(pane, (p = { exact: new Map(), sketched: new Map() }));
        let entry: PaneEntry;
        const limit = capacity[obs.dimension];
        if (limit !== undefined) {
          let summary = p.sketched.get(obs.dimension);
          if (!summary) p.sketched.set(obs.dimension, (summary = new SpaceSaving<PaneEntry>(limit)));
          entry = summary.offer(obs.key, 1, makers.get(obs.dimension)!);
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
      };

      const subscription = source.subscribe({
        next: (obs) => {
          const now = scheduler.now();
          const clockCandidate = Math.min(obs.ts, now + maxSkew);
          // Never backwards: an event older than the running clock leaves it be.
          if (clockCandidate > eventClock(now)) {
            clockTs = clockCandidate;
            clockSetAt = heldSince ?? now;
          }
          const pane = Math.floor(obs.ts / slideMs);
          if (pane < (nextPane ?? -Infinity)) {
            late++;
          } else {
            count(obs, pane);
            if (pane > maxPane) maxPane = pane;
            if (pane < minPane) minPane = pane;
          }
          advance(now);
        },
        error: (err) => {
          panes.clear();
          window.clear();
          sketchedWindow.clear();
          subscriber.error(err);
        },
        complete: () => {
          timer?.unsubscribe();
          if (minPane !== Infinity) {
            nextPane ??= minPane;
            while (nextPane <= maxPane + panesPerWindow - 1) closePane();
          }
          subscriber.complete();
        },
      });

      const holdSubscription = options.hold?.subscribe((held) => {
        const now = scheduler.now();
        if (held && heldSince === undefined) heldSince = now;
        if (!held && heldSince !== undefined) {
          clockSetAt += now - heldSince; // the held time does not count
          heldSince = undefined;
          advance();
        }
      });

      return () => {
        timer?.unsubscribe();
        holdSubscription?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

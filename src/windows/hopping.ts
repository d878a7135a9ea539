/**
 * Event-time hopping (sliding) windows with a watermark, as an RxJS
 * operator. Tumbling windows are the special case `sizeMs === slideMs`.
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Dimension, SignalMix } from '../domain.js';
import type { Observation } from './keys.js';

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

interface Totals {
  dimension: Dimension;
  key: string;
  events: number;
  units: number;
  revenue: number;
  bySignal: SignalMix;
}

const emptyTotals = (dimension: Dimension, key: string): Totals => ({
  dimension,
  key,
  events: 0,
  units: 0,
  revenue: 0,
  bySignal: { search: 0, view: 0, sale: 0 },
});

function addInto(target: Totals, source: Totals, sign: 1 | -1): void {
  target.events += sign * source.events;
  target.units += sign * source.units;
  target.revenue += sign * source.revenue;
  target.bySignal.search += sign * source.bySignal.search;
  target.bySignal.view += sign * source.bySignal.view;
  target.bySignal.sale += sign * source.bySignal.sale;
}

/**
 * Counts observations per (dimension, key) in event-time hopping windows.
 *
 * Time is split into panes of `slideMs`; a window is the last
 * `sizeMs / slideMs` panes. The event clock is the newest event time seen
 * (capped at the scheduler's clock plus `maxClockSkewMs`), advanced by the
 * scheduler's clock while no newer event arrives, so an idle stream still
 * closes its windows. The watermark is the event clock minus
 * `allowedLatenessMs`; a window is emitted once the watermark passes its end,
 * so out-of-order events within the lateness give the same result as in order.
 * Events for windows already emitted are dropped and counted in `lateEvents`.
 *
 * State is bounded by the keys active in the open panes: a key leaves as
 * soon as its last event slides out of the window.
 *
 * Emits one WindowResult per slide, in order, starting with the window that
 * ends after the first event. After a window's worth (at least ten) of empty
 * windows an idle stream stops emitting until events return. On complete it emits every window that still
 * holds events, then completes; on error it drops its state and errors.
 */
export function hoppingWindows(options: HoppingWindowOptions): OperatorFunction<Observation, WindowResult> {
  const { sizeMs, slideMs, allowedLatenessMs, scheduler } = options;
  const maxSkew = options.maxClockSkewMs ?? 60_000;
  if (!(slideMs > 0) || !(sizeMs > 0) || sizeMs % slideMs !== 0) {
    throw new RangeError(`sizeMs (${sizeMs}) must be a positive whole multiple of slideMs (${slideMs})`);
  }
  const panesPerWindow = sizeMs / slideMs;
  const maxEmptyRun = Math.max(panesPerWindow, 10);

  return (source) =>
    new Observable<WindowResult>((subscriber) => {
      /** Pane index -> id -> totals, for panes not yet slid out of the window. */
      const panes = new Map<number, Map<string, Totals>>();
      /** Running totals of the panes in the current window. */
      const window = new Map<string, Totals>();
      /** Index of the next pane to close; undefined until the first event. */
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

      const eventClock = () => clockTs + (scheduler.now() - clockSetAt);

      const closePane = () => {
        const index = nextPane!;
        const entering = panes.get(index);
        if (entering) {
          for (const [id, totals] of entering) {
            let current = window.get(id);
            if (!current) window.set(id, (current = emptyTotals(totals.dimension, totals.key)));
            addInto(current, totals, 1);
          }
        }
        const leavingIndex = index - panesPerWindow;
        const leaving = panes.get(leavingIndex);
        if (leaving) {
          for (const [id, totals] of leaving) {
            const current = window.get(id)!;
            addInto(current, totals, -1);
            if (current.events <= 0) window.delete(id);
          }
          panes.delete(leavingIndex);
        }
        nextPane = index + 1;
        const end = nextPane * slideMs;
        const keys: KeyWindow[] = [];
        for (const t of window.values()) keys.push({ ...t, bySignal: { ...t.bySignal } });
        subscriber.next({ start: end - sizeMs, end, keys, lateEvents: late });
        late = 0;
      };

      /** Closes every pane the watermark has passed, then sleeps until the next one is due. */
      const advance = () => {
        if (minPane === Infinity) return;
        const watermark = eventClock() - allowedLatenessMs;
        if (nextPane === undefined && (minPane + 1) * slideMs <= watermark) nextPane = minPane;
        while (nextPane !== undefined && (nextPane + 1) * slideMs <= watermark) {
          if (emptyRun >= maxEmptyRun && window.size === 0 && panes.size === 0) {
            nextPane = Math.floor(watermark / slideMs); // nothing to count until events return
            break;
          }
          closePane();
          emptyRun = window.size === 0 ? emptyRun + 1 : 0;
        }
        // Re-arm only when the next close became due earlier: the common case,
        // a live stream, keeps one timer per slide instead of one per event.
        const dueAt = scheduler.now() + Math.max(1, ((nextPane ?? minPane) + 1) * slideMs - watermark);
        if (timer && dueAt >= timerDueAt) return;
        timer?.unsubscribe();
        timerDueAt = dueAt;
        timer = scheduler.schedule(() => {
          timer = undefined;
          timerDueAt = Infinity;
          advance();
        }, dueAt - scheduler.now());
      };

      const subscription = source.subscribe({
        next: (obs) => {
          const now = scheduler.now();
          const clockCandidate = Math.min(obs.ts, now + maxSkew);
          // Never backwards: an event older than the running clock leaves it be.
          if (clockCandidate > eventClock()) {
            clockTs = clockCandidate;
            clockSetAt = now;
          }
          const pane = Math.floor(obs.ts / slideMs);
          if (pane < (nextPane ?? -Infinity)) {
            late++;
          } else {
            let paneKeys = panes.get(pane);
            if (!paneKeys) panes.set(pane, (paneKeys = new Map()));
            const id = `${obs.dimension}\u0001${obs.key}`;
            let totals = paneKeys.get(id);
            if (!totals) paneKeys.set(id, (totals = emptyTotals(obs.dimension, obs.key)));
            totals.events += 1;
            totals.units += obs.units;
            totals.revenue += obs.revenue;
            totals.bySignal[obs.signal] += 1;
            if (pane > maxPane) maxPane = pane;
            if (pane < minPane) minPane = pane;
          }
          advance();
        },
        error: (err) => {
          panes.clear();
          window.clear();
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

      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

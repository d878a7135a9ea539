/**
 * Event-time hopping (sliding) windows with a watermark, as an RxJS
 * operator. Tumbling windows are the special case `sizeMs === slideMs`.
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Dimension, SignalMix } from '../domain.js';
import type { Observation } from './keys.js';
import { PaneStore } from './panes.js';

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
  /**
   * How late a timer may fire before it counts as a stall of the process
   * (default 100 ms): see the clock in hoppingWindows.
   */
  readonly stallToleranceMs?: number;
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

/**
 * Counts observations per (dimension, key) in event-time hopping windows.
 *
 * Time is split into panes of `slideMs`; a window is the last
 * `sizeMs / slideMs` panes. The event clock is the newest event time seen
 * (capped at the scheduler's clock plus `maxClockSkewMs`), advanced by the
 * scheduler's clock while no newer event arrives, so an idle stream still
 * closes its windows (unless `hold` says the source is held back, not idle).
 * Time in which the scheduler's timers fired late (the process stalled) does
 * not count, and after such a stall the clock waits a slide for the backlog.
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
  const stallToleranceMs = options.stallToleranceMs ?? 100;
  if (!(slideMs > 0) || !(sizeMs > 0) || sizeMs % slideMs !== 0) {
    throw new RangeError(`sizeMs (${sizeMs}) must be a positive whole multiple of slideMs (${slideMs})`);
  }
  const panesPerWindow = sizeMs / slideMs;
  const maxEmptyRun = Math.max(panesPerWindow, 10);
  const capacity = options.capacity ?? {};

  return (source) =>
    new Observable<WindowResult>((subscriber) => {
      const store = new PaneStore(panesPerWindow, capacity);
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
      /** Set once a stall has granted the source its grace; the next event clears it. */
      let graceGiven = false;
      /**
       * A timer `lateMs` late says the process was not running (a blocking
       * insert, GC, a starved CPU): events may wait unread in its buffers. That
       * time is no evidence of an idle source, so it does not move the clock;
       * after a real stall the clock also waits a slide for the backlog to be
       * read (once per event, so that an idle stream still closes its windows).
       */
      const discountStall = (lateMs: number) => {
        if (lateMs <= 0) return;
        clockSetAt += lateMs;
        if (lateMs > stallToleranceMs && !graceGiven) {
          clockSetAt += slideMs;
          graceGiven = true;
        }
      };
      /** Closes the next pane: the window ending at its end is emitted. */
      const closePane = () => {
        const index = nextPane!;
        nextPane = index + 1;
        const end = nextPane * slideMs;
        subscriber.next({ start: end - sizeMs, end, keys: store.close(index), lateEvents: late });
        late = 0;
      };

      /** Closes every pane the watermark has passed, then sleeps until the next one is due. */
      const advance = (now = scheduler.now()) => {
        if (minPane === Infinity) return;
        const watermark = eventClock(now) - allowedLatenessMs;
        if (nextPane === undefined && (minPane + 1) * slideMs <= watermark) nextPane = minPane;
        let closed = false;
        while (nextPane !== undefined && (nextPane + 1) * slideMs <= watermark) {
          if (emptyRun >= maxEmptyRun && store.empty) {
            nextPane = Math.floor(watermark / slideMs); // nothing to count until events return
            break;
          }
          closePane();
          closed = true;
          emptyRun = store.empty ? emptyRun + 1 : 0;
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
          if (heldSince === undefined) discountStall(scheduler.now() - dueAt);
          advance();
        }, dueAt - at);
      };

      const subscription = source.subscribe({
        next: (obs) => {
          const now = scheduler.now();
          graceGiven = false;
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
            store.count(obs, pane);
            if (pane > maxPane) maxPane = pane;
            if (pane < minPane) minPane = pane;
          }
          advance(now);
        },
        error: (err) => {
          store.clear();
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

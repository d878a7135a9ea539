/**
 * Counting for one key partition: its observations through the event-time
 * windows and the spike detector. One instance alone runs one counter over
 * every key; scaled out, each instance runs one per partition it owns.
 */
import { combineLatest, distinctUntilChanged, map, Subject, tap, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { SearchLinker } from '../detect/linking.js';
import { detectSpikes, type Detection } from '../detect/detector.js';
import type { Dimension } from '../domain.js';
import type { Observation } from '../windows/keys.js';
import { hoppingWindows, type HoppingWindowOptions, type KeyWindow, type WindowResult } from '../windows/hopping.js';

export interface CounterOptions {
  readonly partition: number;
  readonly windows: Pick<HoppingWindowOptions, 'sizeMs' | 'slideMs' | 'allowedLatenessMs' | 'capacity'>;
  readonly linker: SearchLinker;
  /** The detector's floor on a spike's volume (DETECT_MIN_VOLUME). */
  readonly minVolume: number;
  /** True while the source is held back (the store is failing): see HoppingWindowOptions.hold. */
  readonly hold: Observable<boolean>;
  /** The windows' clock: asyncScheduler live, a TestScheduler in virtual-time tests. */
  readonly scheduler: SchedulerLike;
  /** Every window result, replayed ones included. */
  readonly onWindow: (result: WindowResult) => void;
  /** Every detection after the counter caught up; replayed history only rebuilds state. */
  readonly onDetection: (detection: Detection) => void;
  readonly onError: (err: unknown) => void;
}

/** True while any of the signals is: the windows hold while any source is held back or lags. */
export function anyHolds(signals: readonly Observable<boolean>[]): Observable<boolean> {
  return combineLatest(signals).pipe(
    map((holding) => holding.some(Boolean)),
    distinctUntilChanged(),
  );
}

export class PartitionCounter {
  private readonly observations = new Subject<Observation>();
  private readonly subscription: Subscription;
  private latest?: WindowResult;
  /** While true, detections rebuild baselines and spike state without being reported. */
  replaying: boolean;

  constructor(options: CounterOptions, replaying = false) {
    this.replaying = replaying;
    const { windows } = options;
    this.subscription = this.observations
      .pipe(
        hoppingWindows({ ...windows, hold: options.hold, scheduler: options.scheduler }),
        tap((result) => {
          this.latest = result;
          options.onWindow(result);
        }),
        // (Warm-up counts window lengths: one full window after the first.)
        detectSpikes({ warmupWindows: 1, linker: options.linker, minVolume: options.minVolume }),
      )
      .subscribe({
        next: (detection) => {
          if (!this.replaying) options.onDetection(detection);
        },
        error: options.onError,
      });
  }

  readonly observe = (observation: Observation): void => this.observations.next(observation);

  /** Distinct keys in the latest closed window. */
  get windowKeys(): number {
    return this.latest?.keys.length ?? 0;
  }

  /** One key's counts in the latest closed window; undefined before the first. */
  window(dimension: Dimension, key: string): WindowCounts | undefined {
    const latest = this.latest;
    if (!latest) return undefined;
    return { start: latest.start, end: latest.end, counts: latest.keys.find((k) => k.dimension === dimension && k.key === key) };
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

/** One key's counts in the latest closed window of its partition. */
export interface WindowCounts {
  readonly start: number;
  readonly end: number;
  readonly counts?: KeyWindow;
}

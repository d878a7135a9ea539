/**
 * Where the counting runs: every key in this process (src/pipeline/local.ts)
 * or split by key partition across N instances (src/cluster/topology.ts,
 * docs/scaling.md). The app wires the same ingest and the same outputs to
 * either; only how observations reach their counter, and how detections
 * and alerts reach every board, differ.
 */
import type { Logger } from 'pino';
import type { Observable, SchedulerLike } from 'rxjs';
import type { Detection } from '../detect/detector.js';
import type { SearchLinker } from '../detect/linking.js';
import type { Counters, Dimension, TrendEvent } from '../domain.js';
import type { AlertView } from '../alerts/view.js';
import type { Delivery } from '../ingest/ingest.js';
import type { Metrics } from '../metrics.js';
import type { Observation } from '../windows/keys.js';
import type { Board } from './board.js';
import type { CounterOptions, WindowCounts } from './counter.js';

export interface Topology {
  /**
   * Counts one event the ingest took (its `onEvent`). When it returns a
   * promise, the event may be acked only once that resolves: scaled out, its
   * observations are stored for their partitions' owners by then.
   */
  count(event: TrendEvent, delivery: Delivery): void | Promise<void>;
  /** One key's counts in the latest closed window of its partition, wherever that is counted. */
  windowCounts(dimension: Dimension, key: string): Promise<WindowCounts | undefined>;
  /** The wall's big numbers: this instance's alone, the cluster's scaled out. */
  counters(): Counters;
  /** Every partition's detections merged, and the alerts firing: what the walls show. */
  readonly board: Board;
  /** Whether this instance runs the alerts and stores unmet demand: exactly one instance does. */
  readonly leadsAlerts: boolean;
  /** Takes an alert manager's change to every board. */
  publishAlert(alert: AlertView): void;
  /** Starts counting what `ingest` takes; alone, first rebuilds the windows and baselines from the last REPLAY of the stream. */
  start(ingest: IngestSource): Promise<void>;
  stop(): Promise<void>;
}

/** What counting needs of the ingest (src/ingest/ingest.ts) besides its events. */
export interface IngestSource {
  /** Reads the stream again from `sinceMs`, handing each distinct valid event on; resolves with how many. */
  replay(sinceMs: number, onEvent: (event: TrendEvent) => void): Promise<number>;
  /** True until the ingest shows it has read everything the stream holds: the windows hold meanwhile. */
  readonly behind: Observable<boolean>;
}

/** What counting needs, alone or scaled out. */
export interface CountingOptions {
  readonly windows: CounterOptions['windows'];
  readonly linker: SearchLinker;
  readonly minVolume: number;
  /** True while the store fails: the ingest is held back, and the windows must not take the silence for idleness. */
  readonly hold: Observable<boolean>;
  readonly scheduler: SchedulerLike;
  /** An event's observations: one per (dimension, key) it counts on. */
  readonly observe: (event: TrendEvent) => Observation[];
  /** Every detection of a partition counted here, before it reaches the boards: its owner stores its spikes once. */
  readonly onDetection: (detection: Detection) => void;
  /** This instance's big numbers. */
  readonly ownCounters: () => Counters;
  /** History replayed at start (REPLAY); scaled out, a new owner rebuilds at least that much. */
  readonly replayMs: number;
  readonly metrics: Pick<Metrics, 'windowKeys' | 'lateEvents'>;
  readonly log: Logger;
}

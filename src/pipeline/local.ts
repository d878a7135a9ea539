/**
 * One instance: every key is counted in this process, by one counter, and
 * its detections and the alerts go straight to the board.
 */
import type { Counters, Dimension, TrendEvent } from '../domain.js';
import type { AlertView } from '../alerts/view.js';
import { Board } from './board.js';
import type { PartitionCounter, WindowCounts } from './counter.js';
import { CountedPartitions } from './partitions.js';
import type { CountingOptions, IngestSource, Topology } from './topology.js';

export class LocalTopology implements Topology {
  readonly leadsAlerts = true;
  readonly board = new Board();
  private readonly partitions: CountedPartitions;
  /** Partition 0 of 1, every key; counting from start() on. */
  private counter?: PartitionCounter;

  constructor(private readonly options: CountingOptions) {
    this.partitions = new CountedPartitions(options, (update) => this.board.receive(update));
  }

  readonly count = (event: TrendEvent): void => {
    for (const observation of this.options.observe(event)) this.counter?.observe(observation);
  };

  async windowCounts(dimension: Dimension, key: string): Promise<WindowCounts | undefined> {
    return this.counter?.window(dimension, key);
  }

  counters(): Counters {
    return this.options.ownCounters();
  }

  publishAlert(alert: AlertView): void {
    this.board.receiveAlert(alert);
  }

  async start(ingest: IngestSource): Promise<void> {
    const { replayMs, scheduler, log } = this.options;
    const counter = (this.counter = this.partitions.start(0, false, [ingest.behind]));
    if (replayMs <= 0) return;
    const replayStarted = performance.now();
    counter.replaying = true;
    const replayed = await ingest.replay(scheduler.now() - replayMs, this.count);
    counter.replaying = false;
    log.info({ replayed, ms: Math.round(performance.now() - replayStarted) }, 'windows and baselines rebuilt from the stream');
  }

  async stop(): Promise<void> {
    this.partitions.stop(0);
  }
}

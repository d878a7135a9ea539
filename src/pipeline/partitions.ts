/**
 * The key partitions this process counts, one PartitionCounter each: the
 * single instance's partition 0 of 1, or the partitions a scaled-out
 * instance owns. Every counter is wired alike; `report` takes its
 * detections to the boards.
 */
import type { Observable } from 'rxjs';
import type { PartitionDetection } from './board.js';
import { anyHolds, PartitionCounter } from './counter.js';
import type { CountingOptions } from './topology.js';

export class CountedPartitions {
  private readonly counters = new Map<number, PartitionCounter>();

  constructor(
    private readonly options: CountingOptions,
    private readonly report: (update: PartitionDetection) => void,
  ) {}

  /** Starts counting `partition`; it holds while the store fails or any of its sources lags (`lagging`). */
  start(partition: number, replaying: boolean, lagging: readonly Observable<boolean>[]): PartitionCounter {
    const { windows, linker, minVolume, hold, scheduler, metrics, log } = this.options;
    const counter = new PartitionCounter(
      {
        partition,
        windows,
        linker,
        minVolume,
        hold: anyHolds([hold, ...lagging]),
        scheduler,
        onWindow: (result) => {
          metrics.windowKeys.set([...this.counters.values()].reduce((sum, c) => sum + c.windowKeys, 0));
          metrics.lateEvents.inc(result.lateEvents);
        },
        onDetection: (detection) => {
          this.options.onDetection(detection);
          this.report({ partition, detection });
        },
        onError: (err) => log.fatal({ err, partition }, 'detection pipeline failed'),
      },
      replaying,
    );
    this.counters.set(partition, counter);
    return counter;
  }

  get(partition: number): PartitionCounter | undefined {
    return this.counters.get(partition);
  }

  stop(partition: number): void {
    this.counters.get(partition)?.stop();
    this.counters.delete(partition);
  }

  get size(): number {
    return this.counters.size;
  }
}

/**
 * Stage A of scale-out (docs/scaling.md): each ingest instance sends every
 * observation of the events it takes to the key partition that owns it, in
 * batches on `trendmon.obs.<partition>`. An event may be acked once the
 * batches holding its observations are stored by JetStream: the promise
 * `add` returns.
 */
import type { Observation } from '../windows/keys.js';
import { encodeBatch, type SequencedObservation } from './batch.js';
import { RangeBuilder } from './coverage.js';
import { partitionOf } from './partition.js';

/** Stores one message in JetStream (resolves on its PubAck). */
export type PublishBatch = (partition: number, data: string) => Promise<unknown>;

export interface ExchangeOptions {
  readonly instance: string;
  readonly partitions: number;
  readonly publish: PublishBatch;
  /** Longest an observation waits before its batch is sent. */
  readonly flushMs: number;
  /** A partition's batch is sent once it holds this many observations (NATS caps a message at 1 MB). */
  readonly maxBatch: number;
}

interface Flush {
  readonly byPartition: Map<number, SequencedObservation[]>;
  readonly cover: RangeBuilder;
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export class ObservationExchange {
  private current?: Flush;
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: ExchangeOptions) {}

  /**
   * Queues the observations of the event at stream sequence `seq`;
   * resolves once they are all stored, rejects if any batch was not.
   */
  add(seq: number, observations: readonly Observation[]): Promise<void> {
    const flush = (this.current ??= this.newFlush());
    flush.cover.add(seq);
    let full = false;
    for (const observation of observations) {
      const partition = partitionOf(observation.dimension, observation.key, this.options.partitions);
      let list = flush.byPartition.get(partition);
      if (!list) flush.byPartition.set(partition, (list = []));
      list.push({ seq, observation });
      if (list.length >= this.options.maxBatch) full = true;
    }
    if (full) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
    return flush.done;
  }

  /** Sends what is queued and waits for every batch sent so far. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const flush = this.current;
    if (!flush) return;
    this.current = undefined;
    const cover = flush.cover.ranges;
    const sent = [...flush.byPartition].map(([partition, observations]) =>
      this.options.publish(partition, encodeBatch(this.options.instance, cover, observations)),
    );
    const all = Promise.all(sent).then(
      () => flush.resolve(),
      (err: unknown) => flush.reject(err),
    );
    this.inFlight.add(all);
    void all.finally(() => this.inFlight.delete(all));
  }

  private newFlush(): Flush {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Rejections are handled by whoever awaits `add`; do not let an unawaited flush crash the process.
    done.catch(() => undefined);
    return { byPartition: new Map(), cover: new RangeBuilder(), done, resolve, reject };
  }
}

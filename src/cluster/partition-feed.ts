/**
 * Stage B of scale-out (docs/scaling.md): the owner of a key partition reads
 * its observation batches from `trendmon.obs.<partition>`, from `sinceMs`
 * on (so a new owner rebuilds the windows it takes over), drops those whose
 * event an earlier batch already counted (an event redelivered after its
 * ingest instance died), and hands the rest on in order.
 */
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Observation } from '../windows/keys.js';
import { OBSERVATIONS_STREAM, observationSubject } from '../../streams/cluster.js';
import { decodeBatch, BatchDecodeError } from './batch.js';
import { SeqCoverage } from './coverage.js';

export interface PartitionFeedOptions {
  readonly js: JetStreamClient;
  readonly partition: number;
  /** Event time from which to rebuild, epoch ms. */
  readonly sinceMs: number;
  readonly onObservation: (observation: Observation) => void;
  /** Called once, when the feed has read everything stored when it started. */
  readonly onCaughtUp: () => void;
  /**
   * Whether the stream holds batches the feed has not read yet, after each
   * batch: while it does, a pause in delivery is a lag, not an idle partition.
   */
  readonly onBehind: (behind: boolean) => void;
  /** Observations dropped because their event was already counted. */
  readonly onDuplicates: (count: number) => void;
  readonly log: Logger;
}

export class PartitionFeed {
  private messages?: ConsumerMessages;
  private readonly coverage = new SeqCoverage();
  private caughtUp = false;
  private loop?: Promise<void>;

  private constructor(private readonly options: PartitionFeedOptions) {}

  static async start(options: PartitionFeedOptions): Promise<PartitionFeed> {
    const feed = new PartitionFeed(options);
    const consumer = await options.js.consumers.get(OBSERVATIONS_STREAM.name, {
      filter_subjects: observationSubject(options.partition),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(options.sinceMs).toISOString(),
    });
    const info = await consumer.info(true);
    options.onBehind(info.num_pending > 0);
    if (info.num_pending === 0) feed.markCaughtUp();
    feed.messages = await consumer.consume({ max_messages: 256 });
    feed.loop = feed.read().catch((err: Error) => options.log.error({ partition: options.partition, err: err.message }, 'partition feed stopped'));
    return feed;
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  private async read(): Promise<void> {
    const { onObservation, onDuplicates, onBehind, log, partition } = this.options;
    for await (const msg of this.messages!) {
      try {
        const batch = decodeBatch(msg.string());
        let duplicates = 0;
        for (const { seq, observation } of batch.observations) {
          if (this.coverage.has(seq)) duplicates++;
          else onObservation(observation);
        }
        for (let i = 0; i < batch.cover.length; i += 2) this.coverage.add(batch.cover[i]!, batch.cover[i + 1]!);
        if (duplicates > 0) onDuplicates(duplicates);
      } catch (err) {
        if (!(err instanceof BatchDecodeError)) throw err;
        log.error({ partition, seq: msg.seq, err: err.message }, 'observation batch skipped');
      }
      onBehind(msg.info.pending > 0);
      if (!this.caughtUp && msg.info.pending === 0) this.markCaughtUp();
    }
  }

  private markCaughtUp(): void {
    this.caughtUp = true;
    this.options.onCaughtUp();
  }
}

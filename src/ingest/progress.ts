/**
 * Whether a JetStream reader has everything the stream holds for it. The
 * live windows may move their event clock on with the wall clock (an idle
 * stream) only while it has: a reader that is cut off, or connected but not
 * yet delivered to again (JetStream still recovering after a restart, the
 * client re-pulling with back-off), is behind, not idle, and its backlog
 * must not arrive after the windows it belongs to have closed.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';

/** What the server says of the consumer (the fields of JetStream's ConsumerInfo used here). */
export interface ConsumerBacklog {
  /** Messages not yet delivered. */
  readonly num_pending: number;
  /** Messages delivered and not yet acknowledged, to this reader or any other. */
  readonly num_ack_pending: number;
}

export interface ConsumerProgressOptions {
  readonly nc: NatsConnection;
  /** Asks the server for the consumer's backlog. */
  readonly info: () => Promise<ConsumerBacklog>;
  /**
   * Messages this reader has handled and not yet acknowledged; undefined for
   * a reader that does not acknowledge (an ordered consumer).
   */
  readonly unacked?: () => number;
  /** How often the server is asked while no message arrives, ms (while they flow, at most every `BUSY_POLL_MS`). */
  readonly pollMs?: number;
  /** Every answer, e.g. for the backlog gauges. */
  readonly onBacklog?: (backlog: ConsumerBacklog) => void;
}

/**
 * While messages flow the server is asked at most this often: CONSUMER.INFO
 * is not free on nats-server 2.9. Asked every second while a backlog
 * drained, it held delivery to a few hundred messages a second (a 16k
 * backlog did not drain under 300 events/s of live traffic); the messages'
 * own metadata tell enough meanwhile.
 */
const BUSY_POLL_MS = 10_000;

export class ConsumerProgress {
  private readonly state = new BehaviorSubject(true);
  /** True while the reader cannot show it has everything (it starts behind). */
  readonly behind: Observable<boolean> = this.state.pipe(distinctUntilChanged());
  /**
   * Bumped on every disconnect: an answer asked for before one says nothing
   * about what was lost in it.
   */
  private epoch = 0;
  /**
   * Set by a disconnect until the server confirms that nothing delivered is
   * unaccounted for: messages in transit when the connection dropped are
   * redelivered only after the consumer's ack wait.
   */
  private awaitingRedeliveries = false;
  private polling = false;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;
  /** performance.now() of the last message handled and of the last question asked. */
  private lastHandledAt = -Infinity;
  private lastPolledAt = -Infinity;

  constructor(private readonly options: ConsumerProgressOptions) {
    const pollMs = options.pollMs ?? 1_000;
    this.timer = setInterval(() => {
      const now = performance.now();
      if (now - this.lastHandledAt >= pollMs || now - this.lastPolledAt >= BUSY_POLL_MS) void this.poll();
    }, pollMs);
    void this.poll();
    void (async () => {
      for await (const status of options.nc.status()) {
        if (this.stopped) break;
        if (status.type === 'disconnect') {
          this.epoch++;
          this.awaitingRedeliveries = options.unacked !== undefined;
          this.state.next(true);
        }
      }
    })();
  }

  /**
   * After each message handled: `buffered` messages wait in the client,
   * `pending` is what the server had not yet delivered when it sent this one
   * (read only when nothing is buffered).
   */
  handled(buffered: number, pending: () => number): void {
    this.lastHandledAt = performance.now();
    if (buffered > 0) {
      if (!this.state.value) this.state.next(true);
    } else if (!this.awaitingRedeliveries) {
      const behind = pending() > 0;
      if (behind !== this.state.value) this.state.next(behind);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.state.complete();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped || this.options.nc.isClosed()) return;
    this.polling = true;
    this.lastPolledAt = performance.now();
    const epoch = this.epoch;
    try {
      const backlog = await this.options.info();
      this.options.onBacklog?.(backlog);
      if (epoch !== this.epoch || this.stopped) return;
      const unacked = this.options.unacked;
      const undelivered = backlog.num_pending > 0;
      const unaccounted = unacked !== undefined && backlog.num_ack_pending > unacked();
      if (!undelivered && !unaccounted) this.awaitingRedeliveries = false;
      // Delivered but not yet handled counts as behind only after a disconnect
      // (it may never arrive); otherwise it is on its way and handled() judges it.
      const behind = undelivered || (this.awaitingRedeliveries && unaccounted);
      if (behind !== this.state.value) this.state.next(behind);
    } catch {
      // The server does not answer (disconnected, JetStream recovering): no news is not good news.
      if (epoch === this.epoch && !this.stopped) this.state.next(true);
    } finally {
      this.polling = false;
    }
  }
}

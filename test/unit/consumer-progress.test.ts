/** ConsumerProgress: when the ingest may call the silence idleness (fake NATS status and consumer info). */
import type { NatsConnection, Status } from '@nats-io/nats-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConsumerProgress, type ConsumerBacklog } from '../../src/ingest/progress.js';

/** A connection whose status events the test pushes to every status() reader. */
function fakeConnection() {
  const readers: { waiting: ((s: IteratorResult<Status>) => void)[]; queued: Status[] }[] = [];
  const nc = {
    isClosed: () => false,
    status: () => {
      const reader = { waiting: [] as ((s: IteratorResult<Status>) => void)[], queued: [] as Status[] };
      readers.push(reader);
      return {
        [Symbol.asyncIterator]: () => ({
          next: () =>
            new Promise<IteratorResult<Status>>((resolve) => {
              const next = reader.queued.shift();
              if (next) resolve({ value: next, done: false });
              else reader.waiting.push(resolve);
            }),
        }),
      };
    },
  } as unknown as NatsConnection;
  const emit = (type: string) => {
    const status = { type } as Status;
    for (const reader of readers) {
      const resolve = reader.waiting.shift();
      if (resolve) resolve({ value: status, done: false });
      else reader.queued.push(status);
    }
  };
  return { nc, emit };
}

describe('ConsumerProgress', () => {
  let backlog: ConsumerBacklog;
  let unacked: number;
  let failing: boolean;
  let progress: ConsumerProgress;
  let behind: boolean[];
  let connection: ReturnType<typeof fakeConnection>;

  beforeEach(() => {
    vi.useFakeTimers();
    backlog = { num_pending: 0, num_ack_pending: 0 };
    unacked = 0;
    failing = false;
    behind = [];
    connection = fakeConnection();
    progress = new ConsumerProgress({
      nc: connection.nc,
      info: async () => {
        if (failing) throw new Error('503 JetStream not enabled');
        return backlog;
      },
      unacked: () => unacked,
      pollMs: 1_000,
    });
    progress.behind.subscribe((b) => behind.push(b));
  });

  afterEach(() => {
    progress.stop();
    vi.useRealTimers();
  });

  it('starts behind and is caught up once the server says nothing is pending', async () => {
    let answer!: (b: ConsumerBacklog) => void;
    const fresh = new ConsumerProgress({ nc: connection.nc, info: () => new Promise((resolve) => (answer = resolve)), unacked: () => 0 });
    const seen: boolean[] = [];
    fresh.behind.subscribe((b) => seen.push(b));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([true]);
    answer({ num_pending: 0, num_ack_pending: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([true, false]);
    fresh.stop();
  });

  it('is behind while the server holds undelivered messages, and while messages wait in the client', async () => {
    await vi.advanceTimersByTimeAsync(0);
    backlog = { num_pending: 5_000, num_ack_pending: 2_000 };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(behind.at(-1)).toBe(true);
    progress.handled(1_999, () => 4_000);
    expect(behind.at(-1)).toBe(true);
    progress.handled(0, () => 0); // the last message the server had
    expect(behind.at(-1)).toBe(false);
    progress.handled(10, () => 0); // a burst: ten more wait in the client
    expect(behind.at(-1)).toBe(true);
  });

  it('after a disconnect stays behind until JetStream answers and every delivered message is acked again', async () => {
    await vi.advanceTimersByTimeAsync(0);
    expect(behind.at(-1)).toBe(false);
    connection.emit('disconnect');
    await vi.advanceTimersByTimeAsync(0);
    expect(behind.at(-1)).toBe(true);
    // Reconnected, but JetStream is not back: no news is not good news.
    failing = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(behind.at(-1)).toBe(true);
    // JetStream is back; 40 messages delivered before the cut are not accounted for (10 are ours, unacked).
    failing = false;
    unacked = 10;
    backlog = { num_pending: 0, num_ack_pending: 50 };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(behind.at(-1)).toBe(true);
    // Handling a message that was the last pending does not end the wait either.
    progress.handled(0, () => 0);
    expect(behind.at(-1)).toBe(true);
    // Redelivered after the ack wait and acked: caught up.
    backlog = { num_pending: 0, num_ack_pending: 10 };
    await vi.advanceTimersByTimeAsync(1_000);
    expect(behind.at(-1)).toBe(false);
  });

  it('ignores an answer asked for before a disconnect', async () => {
    await vi.advanceTimersByTimeAsync(0);
    let answer!: (b: ConsumerBacklog) => void;
    failing = false;
    const slow = new ConsumerProgress({
      nc: connection.nc,
      info: () => new Promise<ConsumerBacklog>((resolve) => (answer = resolve)),
      unacked: () => 0,
    });
    const seen: boolean[] = [];
    slow.behind.subscribe((b) => seen.push(b));
    connection.emit('disconnect');
    await vi.advanceTimersByTimeAsync(0);
    answer({ num_pending: 0, num_ack_pending: 0 }); // asked before the disconnect
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([true]);
    slow.stop();
  });
});

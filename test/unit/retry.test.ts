/** The one back-off (src/retry.ts): delays, the abortable wait, and retry() in fake time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, retry, sleep } from '../../src/retry.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, half of each step jittered by default', () => {
    const backoff = { initialMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, backoff, () => 0))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, backoff, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('jitters the whole step with full jitter', () => {
    const backoff = { initialMs: 100, maxMs: 1000, jitter: 'full' as const };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff, () => 0))).toEqual([0, 0, 0, 0, 0]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff, () => 0.5))).toEqual([50, 100, 200, 400, 500]);
  });

  it('stays within the cap for any attempt', () => {
    const backoff = { initialMs: 250, maxMs: 30_000 };
    for (let attempt = 1; attempt <= 2000; attempt++) {
      const delay = backoffDelay(attempt, backoff);
      expect(delay).toBeGreaterThanOrEqual(Math.min(125, backoff.maxMs / 2));
      expect(delay).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('sleep and retry in fake time', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sleep ends when its time has passed, or at once when aborted', async () => {
    let done = false;
    void sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);

    const abort = new AbortController();
    const waiting = sleep(60_000, abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleep(10, abort.signal)).rejects.toThrow('stopped');
  });

  it('retries with growing waits until the attempt succeeds', async () => {
    const calls: number[] = [];
    const waits: number[] = [];
    const result = retry(
      async (attempt) => {
        calls.push(Date.now());
        if (attempt < 4) throw new Error(`failure ${attempt}`);
        return 'stored';
      },
      { initialMs: 100, maxMs: 250, random: () => 1, onRetry: (_err, _attempt, delay) => waits.push(delay) },
    );
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('stored');
    expect(waits).toEqual([100, 200, 250]);
    expect(calls.map((t) => t - calls[0]!)).toEqual([0, 100, 300, 550]);
  });

  it('gives up at once on a failure that is not retryable', async () => {
    const attempt = vi.fn(async () => {
      throw new Error('bad row');
    });
    await expect(retry(attempt, { initialMs: 100, maxMs: 1000, retryable: (err) => (err as Error).message !== 'bad row' })).rejects.toThrow('bad row');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('stops waiting and attempting when its signal aborts', async () => {
    const abort = new AbortController();
    const attempt = vi.fn(async () => {
      throw new Error('store down');
    });
    const result = retry(attempt, { initialMs: 1000, maxMs: 60_000, signal: abort.signal });
    const settled = result.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(5000);
    const before = attempt.mock.calls.length;
    expect(before).toBeGreaterThanOrEqual(3);
    abort.abort(new Error('closing'));
    expect(((await settled) as Error).message).toBe('closing');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(attempt).toHaveBeenCalledTimes(before);
  });

  it('rejects with the failure when the signal aborted during the attempt', async () => {
    const abort = new AbortController();
    const result = retry(
      async () => {
        abort.abort(new Error('closing'));
        throw new Error('store down');
      },
      { initialMs: 10, maxMs: 10, signal: abort.signal },
    );
    await expect(result).rejects.toThrow('store down');
  });

  it('waits with an injected sleep, without timers', async () => {
    vi.useRealTimers();
    const slept: number[] = [];
    let attempts = 0;
    const value = await retry(
      async () => {
        if (++attempts < 3) throw new Error('down');
        return attempts;
      },
      { initialMs: 1000, maxMs: 60_000, jitter: 'full', random: () => 0.5, sleep: async (ms) => void slept.push(ms) },
    );
    expect(value).toBe(3);
    expect(slept).toEqual([500, 1000]);
  });
});

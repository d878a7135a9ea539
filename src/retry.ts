/**
 * Trying again, the same way everywhere: capped exponential back-off with
 * jitter (so that what failed together does not retry in lockstep), and
 * waits that end as soon as the work is stopped.
 *
 * Used by the batch writer's inserts, the alert outbox (stores, redelivery
 * delays, its consumers), the ingest consumer, the Alertmanager feed and the
 * embedded nats-server's restarts; `sleep` also paces the simulator.
 */

export interface Backoff {
  /** The wait after the first failure. */
  readonly initialMs: number;
  /** Each further failure doubles the wait, up to this. */
  readonly maxMs: number;
  /**
   * `equal` (default): uniform between half the step and the step, never
   * much shorter than planned; `full`: uniform between 0 and the step, for
   * many clients retrying against one server.
   */
  readonly jitter?: 'equal' | 'full';
}

/** The wait after failed attempt `attempt` (1 for the first failure). */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  const least = backoff.jitter === 'full' ? 0 : step / 2;
  return Math.round(least + random() * (step - least));
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Waits `ms`; rejects with the signal's reason as soon as it aborts (at once if it has). */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const stop = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });

export interface RetryOptions extends Backoff {
  /** Stops retrying: a wait in progress ends, and no further attempt starts. */
  readonly signal?: AbortSignal;
  /** False for a failure that trying again cannot mend: retry() rejects with it at once. */
  readonly retryable?: (error: unknown) => boolean;
  /** Told of each failure that will be retried, with the wait before the next attempt. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Default: `sleep` (tests pass their own). */
  readonly sleep?: Sleep;
  /** Default: Math.random. */
  readonly random?: () => number;
}

/**
 * Calls `attempt` (with its number, from 1) until it resolves, waiting the
 * back-off after each failure. Rejects with a failure that is not
 * retryable, with the failure when the signal aborted during the attempt,
 * or with the signal's reason when it aborted during a wait.
 */
export async function retry<T>(attempt: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const wait = options.sleep ?? sleep;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.signal?.aborted || options.retryable?.(error) === false) throw error;
      const delayMs = backoffDelay(n, options, options.random);
      options.onRetry?.(error, n, delayMs);
      await wait(delayMs, options.signal);
    }
  }
}

/**
 * What the app opened, closed in the reverse order on stop: whatever was
 * opened later may use what was opened earlier. A close that fails is
 * logged and the rest still close.
 */
import type { Logger } from 'pino';

export type Close = () => Promise<void> | void;

export class Lifecycle {
  private readonly closers: Close[] = [];

  constructor(private readonly log: Logger) {}

  /** Runs `close` on stop, before everything registered earlier. */
  onStop(close: Close): void {
    this.closers.push(close);
  }

  /** Handles `signal` until stop. */
  onSignal(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.onStop(() => {
      process.off(signal, handler);
    });
  }

  async stop(): Promise<void> {
    for (const close of this.closers.reverse()) {
      try {
        await close();
      } catch (err) {
        this.log.warn({ err }, 'error while stopping');
      }
    }
  }
}

/**
 * Feeds trendmon's alerts to one or more Alertmanagers (ALERTMANAGER_URL),
 * the way Prometheus does, so Alertmanager's grouping, silences, inhibition
 * and receivers take them from there:
 *
 * - news is posted at once: an alert that starts firing (or fires again
 *   with a new start), and one that resolves;
 * - every resend interval, everything held is posted again: firing alerts
 *   with `endsAt` four resend intervals ahead (so an Alertmanager resolves
 *   them by itself if trendmon goes away), and resolved ones for 15 minutes
 *   after they resolved (so an Alertmanager that missed the news, or was
 *   restarted and lost its alerts, still learns it);
 * - a failed post is retried with back-off, at least once per resend
 *   interval, each instance on its own: an Alertmanager down for a while
 *   gets the current state, news included, with the first post it takes.
 *
 * Nothing is stored on disk: the re-post loop is the durability, as with
 * Prometheus. An alert that fired and resolved entirely while an
 * Alertmanager was unreachable reaches it resolved only, and Alertmanager
 * tells its receivers nothing about an alert they never heard fire. Alerts
 * held at a restart are gone (the detector rebuilds its spikes, and those
 * still running alert again with the same labels); their copies in
 * Alertmanager expire by their `endsAt` meanwhile. Timers run on an RxJS
 * scheduler.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { backoffDelay } from '../retry.js';
import type { Alert } from './evaluate.js';
import { postableAlert, postAlerts, type AlertmanagerTarget, type PostableAlert } from './receivers/alertmanager.js';
import type { DeliveryResult } from './receivers/webhook.js';

/** How long a resolved alert is still re-posted (Prometheus's resolved retention). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;
/** A firing alert is valid for this many resend intervals (Prometheus: 4). */
const VALIDITY_INTERVALS = 4;
const POST_TIMEOUT_MS = 10_000;

export type PostAlerts = (target: AlertmanagerTarget, alerts: readonly PostableAlert[], signal: AbortSignal) => Promise<DeliveryResult>;

/** One post to one Alertmanager, for the history, metrics and logs. */
export interface AlertmanagerPost {
  readonly target: AlertmanagerTarget;
  /** The alerts whose news this post carried (firing for the first time, or resolved). */
  readonly news: readonly Alert[];
  /** Alerts in the post, news and re-posts. */
  readonly count: number;
  /** 1 for the first try of this news, 2 for its first retry, ... */
  readonly attempt: number;
  readonly result: DeliveryResult;
  /** Scheduler time the post was made. */
  readonly at: number;
}

export interface AlertmanagerFeedOptions {
  readonly targets: readonly AlertmanagerTarget[];
  readonly resendIntervalMs: number;
  readonly scheduler: SchedulerLike;
  readonly onPost: (post: AlertmanagerPost) => void;
  /** Default: HTTP to the target's API. */
  readonly post?: PostAlerts;
}

interface Held {
  readonly alert: Alert;
  /** Scheduler time the resolution was seen. */
  readonly resolvedAt?: number;
}

interface Feed {
  readonly target: AlertmanagerTarget;
  /** News this Alertmanager has not taken yet, by fingerprint. */
  readonly news: Map<string, Alert>;
  /** When everything was last posted and taken. */
  lastFull: number;
  /** Failed posts in a row. */
  failures: number;
  timer?: Subscription;
  dueAt: number;
  sending: boolean;
}

const isNews = (before: Alert | undefined, now: Alert) =>
  before === undefined || before.startsAt !== now.startsAt || (before.endsAt === undefined) !== (now.endsAt === undefined);

export class AlertmanagerFeed {
  private readonly held = new Map<string, Held>();
  private readonly feeds: Feed[];
  private readonly post: PostAlerts;
  private readonly abort = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: AlertmanagerFeedOptions) {
    this.post = options.post ?? ((target, alerts, signal) => postAlerts(target, alerts, POST_TIMEOUT_MS, signal));
    this.feeds = options.targets.map((target) => ({ target, news: new Map(), lastFull: -Infinity, failures: 0, dueAt: Infinity, sending: false }));
    for (const feed of this.feeds) this.schedule(feed, options.resendIntervalMs);
  }

  /** An alert opened, changed or resolved (the evaluator's view). */
  update(alert: Alert): void {
    const before = this.held.get(alert.fingerprint);
    const resolvedAt = alert.endsAt === undefined ? undefined : (before?.resolvedAt ?? this.options.scheduler.now());
    this.held.set(alert.fingerprint, { alert, ...(resolvedAt !== undefined ? { resolvedAt } : {}) });
    if (!isNews(before?.alert, alert)) return;
    for (const feed of this.feeds) {
      feed.news.set(alert.fingerprint, alert);
      // While an Alertmanager fails, news waits for the next retry: the back-off holds.
      if (feed.failures === 0) this.schedule(feed, 0);
    }
  }

  /** Alerts being posted: firing, and resolved within the retention. */
  get size(): number {
    return this.held.size;
  }

  /** Stops posting; a post under way is cut short. Alertmanager resolves the firing alerts at their `endsAt`. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const feed of this.feeds) feed.timer?.unsubscribe();
    await Promise.all(this.inFlight);
  }

  /** Sends no later than `delayMs` from now. */
  private schedule(feed: Feed, delayMs: number): void {
    if (this.abort.signal.aborted || feed.sending) return;
    const dueAt = this.options.scheduler.now() + delayMs;
    if (feed.timer && !feed.timer.closed && feed.dueAt <= dueAt) return;
    feed.timer?.unsubscribe();
    feed.dueAt = dueAt;
    feed.timer = this.options.scheduler.schedule(() => {
      const sending = this.send(feed);
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    }, Math.max(0, delayMs));
  }

  private async send(feed: Feed): Promise<void> {
    const { scheduler, resendIntervalMs } = this.options;
    const now = scheduler.now();
    this.forgetOldResolved(now);
    const full = now - feed.lastFull >= resendIntervalMs;
    const alerts = full ? this.everything(feed) : [...feed.news.values()];
    const news = new Map(feed.news);
    feed.dueAt = Infinity;
    if (alerts.length === 0) {
      feed.lastFull = now;
      this.schedule(feed, resendIntervalMs);
      return;
    }
    feed.sending = true;
    const validUntil = now + VALIDITY_INTERVALS * resendIntervalMs;
    const result = await this.post(feed.target, alerts.map((alert) => postableAlert(alert, validUntil, now)), this.abort.signal);
    feed.sending = false;
    if (this.abort.signal.aborted) return;
    // A refusal (400: an alert Alertmanager finds invalid; it still keeps the valid ones) does not get better with retries.
    const taken = result.ok || result.permanent;
    const attempt = feed.failures + 1;
    if (taken) {
      for (const [fingerprint, alert] of news) if (feed.news.get(fingerprint) === alert) feed.news.delete(fingerprint);
      feed.failures = 0;
      if (full) feed.lastFull = now;
    } else {
      feed.failures++;
    }
    this.options.onPost({ target: feed.target, news: [...news.values()], count: alerts.length, attempt, result, at: now });
    if (!taken) this.schedule(feed, backoffDelay(feed.failures, { initialMs: 1_000, maxMs: resendIntervalMs }));
    else this.schedule(feed, feed.news.size > 0 ? 0 : Math.max(0, feed.lastFull + resendIntervalMs - scheduler.now()));
  }

  /** Every alert held, and news this Alertmanager has not taken whose alert is no longer held (resolved long ago). */
  private everything(feed: Feed): Alert[] {
    const all = new Map(feed.news);
    for (const [fingerprint, held] of this.held) all.set(fingerprint, held.alert);
    return [...all.values()];
  }

  private forgetOldResolved(now: number): void {
    for (const [fingerprint, held] of this.held) {
      if (held.resolvedAt !== undefined && now - held.resolvedAt > RESOLVED_RETENTION_MS) this.held.delete(fingerprint);
    }
  }
}

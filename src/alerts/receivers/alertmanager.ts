/**
 * Alertmanager's alert API (`POST /api/v2/alerts`), as Prometheus uses it:
 * a client posts the alerts it holds, as a list, with their labels (the
 * alert's identity), annotations and times. A firing alert carries an
 * `endsAt` a few resend intervals ahead, so Alertmanager resolves it by
 * itself if the client stops re-posting; a resolved one carries the time it
 * ended. Grouping, silences, inhibition and the receivers are
 * Alertmanager's.
 */
import type { Alert } from '../evaluate.js';
import type { Labels } from '../matchers.js';
import { postJson, type DeliveryResult } from './webhook.js';

/** What Alertmanager's API v2 takes for one alert (`postableAlert`). */
export interface PostableAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** One Alertmanager instance to post to. */
export interface AlertmanagerTarget {
  /** The instance as logs and the history name it: credentials left out. */
  readonly name: string;
  /** `<base>/api/v2/alerts`. */
  readonly endpoint: string;
  /** `authorization` for credentials given in the URL (`http://user:pass@host:9093`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A base URL such as `http://alertmanager:9093` or `https://host/prefix/`, credentials allowed. */
export function alertmanagerTarget(base: string): AlertmanagerTarget {
  const url = new URL(base);
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const name = url.href.replace(/\/$/, '');
  return { name, endpoint: new URL('api/v2/alerts', url).href, headers };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The alert as Alertmanager gets it: trendmon's labels and annotations
 * (summary, description, demand lines), plus the projection's figures as
 * annotations of their own, so templates and receivers can use the numbers.
 * `validUntil`: the `endsAt` of a firing alert.
 */
export function postableAlert(alert: Alert, validUntil: number, now: number): PostableAlert {
  const { next24h, next7d } = alert.demand;
  const endsAt = alert.endsAt === undefined ? validUntil : Math.max(alert.startsAt, Math.min(alert.endsAt, now));
  return {
    labels: alert.labels,
    annotations: {
      ...alert.annotations,
      extra_units_24h: String(next24h.extra),
      extra_units_7d: String(next7d.extra),
      extra_units_7d_low: String(next7d.low),
      extra_units_7d_high: String(next7d.high),
    },
    startsAt: iso(alert.startsAt),
    endsAt: iso(endsAt),
  };
}

/** Posts a list of alerts; 200 means Alertmanager took them all (it refuses a list with a bad alert with 400). */
export function postAlerts(target: AlertmanagerTarget, alerts: readonly PostableAlert[], timeoutMs: number, signal?: AbortSignal): Promise<DeliveryResult> {
  return postJson({ url: target.endpoint, headers: target.headers, body: JSON.stringify(alerts), timeoutMs }, signal);
}

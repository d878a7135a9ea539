/**
 * What receivers get. The JSON body follows Alertmanager's webhook payload
 * version 4 (groupKey, status, receiver, groupLabels, commonLabels,
 * commonAnnotations, alerts[] with status, labels, annotations, startsAt,
 * endsAt, fingerprint), so tools that read Alertmanager webhooks read these,
 * plus what planners need in structured form: each alert's `demand`
 * projection and `spike` figures. The Slack format is the same notification
 * as `{"text": ...}` for Slack-compatible incoming webhooks.
 */
import type { Notification } from './dispatcher.js';
import type { Alert } from './evaluate.js';
import type { Labels } from './matchers.js';
import type { Projection } from './projection.js';

/** Alerts listed per notification; the rest are counted in `truncatedAlerts` (keeps bodies well under NATS's 1 MB). */
export const MAX_ALERTS = 50;

/** Alertmanager's "no end known yet" for firing alerts. */
const NO_END = '0001-01-01T00:00:00Z';

export interface WebhookAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly fingerprint: string;
  /** Projected demand now (docs/alerts.md, "Projection"). */
  readonly demand: Projection;
  /** The largest 7-day projection during the alert's life. */
  readonly peakDemand: Projection;
  readonly spike: {
    readonly spikeId: string;
    readonly dimension: string;
    readonly key: string;
    readonly status: string;
    readonly score: number;
    readonly peakScore: number;
    readonly volume: number;
    readonly expected: number;
    readonly pctAbove: number;
    readonly drivers: Readonly<Record<string, number>>;
    readonly startedAt: string;
    readonly updatedAt: string;
  };
}

export interface WebhookBody {
  readonly version: '4';
  readonly groupKey: string;
  readonly truncatedAlerts: number;
  readonly status: 'firing' | 'resolved';
  readonly receiver: string;
  readonly groupLabels: Labels;
  readonly commonLabels: Labels;
  readonly commonAnnotations: Labels;
  /** Unique per notification: retries of it carry the same id. */
  readonly notificationId: string;
  readonly alerts: readonly WebhookAlert[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The name/value pairs every map has in common. */
function common(maps: readonly Labels[]): Labels {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([name, value]) => rest.every((m) => m[name] === value)));
}

export function webhookAlert(alert: Alert): WebhookAlert {
  const s = alert.spike;
  return {
    status: alert.endsAt === undefined ? 'firing' : 'resolved',
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: iso(alert.startsAt),
    endsAt: alert.endsAt === undefined ? NO_END : iso(alert.endsAt),
    fingerprint: alert.fingerprint,
    demand: alert.demand,
    peakDemand: alert.peakDemand,
    spike: {
      spikeId: s.spikeId,
      dimension: s.dimension,
      key: s.key,
      status: s.status,
      score: s.score,
      peakScore: s.peakScore,
      volume: s.volume,
      expected: s.expected,
      pctAbove: s.pctAbove,
      drivers: s.drivers,
      startedAt: iso(s.startedAt),
      updatedAt: iso(s.updatedAt),
    },
  };
}

export function webhookBody(notification: Notification<Alert>): WebhookBody {
  return {
    version: '4',
    groupKey: notification.groupKey,
    truncatedAlerts: Math.max(0, notification.alerts.length - MAX_ALERTS),
    status: notification.status,
    receiver: notification.receiver,
    groupLabels: notification.groupLabels,
    commonLabels: common(notification.alerts.map((a) => a.labels)),
    commonAnnotations: common(notification.alerts.map((a) => a.annotations)),
    notificationId: notification.id,
    alerts: notification.alerts.slice(0, MAX_ALERTS).map(webhookAlert),
  };
}

/** Slack mrkdwn: a heading per status, one bullet per alert with its demand. */
export function slackText(notification: Notification<Alert>): string {
  const group = Object.entries(notification.groupLabels)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  const lines: string[] = [];
  for (const status of ['firing', 'resolved'] as const) {
    const alerts = notification.alerts.slice(0, MAX_ALERTS).filter((a) => (a.endsAt === undefined) === (status === 'firing'));
    if (alerts.length === 0) continue;
    lines.push(`*[${status.toUpperCase()}:${alerts.length}]* ${group}`.trimEnd());
    for (const alert of alerts) {
      const when = status === 'firing' ? `since ${iso(alert.startsAt)}` : `ended ${iso(alert.endsAt!)}`;
      lines.push(`• ${alert.annotations.summary} (${when})`);
      lines.push(`    demand: ${alert.demand.summary}; 24 h: ${alert.annotations.demand_24h}`);
    }
  }
  return lines.join('\n');
}

export function slackBody(notification: Notification<Alert>): { text: string } {
  return { text: slackText(notification) };
}

/**
 * The alert history in ClickHouse's `alerts` table: one row per alert per
 * step of its delivery, so "was this alert delivered, when, after how many
 * attempts" is one query by fingerprint.
 *
 * - `queued`: the notification entered the outbox for a receiver
 *   integration (attempt 0; `payload` is this alert's entry in the body);
 * - `delivered` / `failed`: one row per delivery attempt (attempt 1..n;
 *   `detail` is the HTTP status or error);
 * - `suppressed`: a silence or an inhibiting alert kept it from a receiver
 *   (`detail` names which).
 */
import type { Alert } from './evaluate.js';
import type { Labels } from './matchers.js';
import { webhookAlert } from './payload.js';

export type Outcome = 'queued' | 'delivered' | 'failed' | 'suppressed';

/** What the history needs of one alert, carried with its notification through the outbox. */
export interface AlertFacts {
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly startsAt: number;
  readonly endsAt?: number;
  readonly extra24h: number;
  readonly extra7d: number;
  readonly extra7dLow: number;
  readonly extra7dHigh: number;
}

/** A row of `alerts` (src/store/schema.ts, migrations 1 and 5). */
export interface AlertRow {
  alert_id: string;
  fingerprint: string;
  status: string;
  receiver: string;
  attempt: number;
  outcome: Outcome;
  detail: string;
  payload: string;
  sent_at: number;
  group_key: string;
  integration: string;
  alertname: string;
  dimension: string;
  key: string;
  labels: Labels;
  annotations: Labels;
  starts_at: number;
  ends_at: number | null;
  extra_units_24h: number;
  extra_units_7d: number;
  extra_units_7d_low: number;
  extra_units_7d_high: number;
}

export function alertFacts(alert: Alert): AlertFacts {
  return {
    fingerprint: alert.fingerprint,
    status: alert.endsAt === undefined ? 'firing' : 'resolved',
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    ...(alert.endsAt !== undefined ? { endsAt: alert.endsAt } : {}),
    extra24h: alert.demand.next24h.extra,
    extra7d: alert.demand.next7d.extra,
    extra7dLow: alert.demand.next7d.low,
    extra7dHigh: alert.demand.next7d.high,
  };
}

export interface RowContext {
  readonly notificationId: string;
  readonly groupKey: string;
  readonly receiver: string;
  readonly integration: string;
  readonly attempt: number;
  readonly outcome: Outcome;
  readonly detail: string;
  readonly payload: string;
  readonly at: number;
}

export function alertRow(facts: AlertFacts, context: RowContext): AlertRow {
  return {
    alert_id: context.notificationId,
    fingerprint: facts.fingerprint,
    status: facts.status,
    receiver: context.receiver,
    attempt: context.attempt,
    outcome: context.outcome,
    detail: context.detail,
    payload: context.payload,
    sent_at: context.at,
    group_key: context.groupKey,
    integration: context.integration,
    alertname: facts.labels.alertname ?? '',
    dimension: facts.labels.dimension ?? '',
    key: facts.labels.key ?? '',
    labels: facts.labels,
    annotations: facts.annotations,
    starts_at: facts.startsAt,
    ends_at: facts.endsAt ?? null,
    extra_units_24h: facts.extra24h,
    extra_units_7d: facts.extra7d,
    extra_units_7d_low: facts.extra7dLow,
    extra_units_7d_high: facts.extra7dHigh,
  };
}

/** The row for an alert a silence or inhibition kept from a receiver. */
export function suppressedRow(
  alert: Alert,
  muted: { readonly groupKey: string; readonly receiver: string; readonly silencedBy: readonly string[]; readonly inhibitedBy: readonly string[] },
  at: number,
): AlertRow {
  const reasons = [
    ...(muted.silencedBy.length ? [`silenced by ${muted.silencedBy.join(', ')}`] : []),
    ...(muted.inhibitedBy.length ? [`inhibited by ${muted.inhibitedBy.join(', ')}`] : []),
  ];
  return alertRow(alertFacts(alert), {
    notificationId: '',
    groupKey: muted.groupKey,
    receiver: muted.receiver,
    integration: '',
    attempt: 0,
    outcome: 'suppressed',
    detail: reasons.join('; '),
    payload: JSON.stringify(webhookAlert(alert)),
    at,
  });
}

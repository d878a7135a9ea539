/**
 * NATS delivery: the JSON body published on a subject (contract section 5:
 * `alerts.trend`). Core NATS, so a subscriber that is not connected misses
 * it; a consumer that must not miss alerts puts a JetStream stream on the
 * subject. `Nats-Msg-Id` is the notification id, so such a stream drops a
 * redelivered notification as a duplicate.
 */
import { headers, type NatsConnection } from '@nats-io/nats-core';
import type { DeliveryResult } from './webhook.js';

const FLUSH_TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();

/** Publishes and waits until the server has it (a flush round trip). */
export async function publishAlert(nc: NatsConnection, subject: string, body: string, notificationId: string): Promise<DeliveryResult> {
  const h = headers();
  h.set('Nats-Msg-Id', notificationId);
  h.set('Trendmon-Notification', notificationId);
  let timer: NodeJS.Timeout | undefined;
  try {
    nc.publish(subject, encoder.encode(body), { headers: h });
    await Promise.race([
      nc.flush(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no flush within ${FLUSH_TIMEOUT_MS} ms`)), FLUSH_TIMEOUT_MS))),
    ]);
    return { ok: true, permanent: false, detail: `published on ${subject}` };
  } catch (err) {
    return { ok: false, permanent: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

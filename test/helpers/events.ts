/** Publishing contract-shaped events (and deliberately broken ones) to NATS. */
import { headers, type NatsConnection } from '@nats-io/nats-core';

export interface PublishedEvent {
  readonly subject: string;
  readonly payload: Record<string, unknown>;
}

const encoder = new TextEncoder();

/** Publishes events with `Nats-Msg-Id` = id, flushing every few thousand. */
export async function publishEvents(nc: NatsConnection, events: readonly PublishedEvent[], withMsgId = true): Promise<void> {
  let sinceFlush = 0;
  for (const { subject, payload } of events) {
    const h = withMsgId && typeof payload.id === 'string' ? headers() : undefined;
    if (h) h.set('Nats-Msg-Id', payload.id as string);
    nc.publish(subject, encoder.encode(JSON.stringify(payload)), h ? { headers: h } : undefined);
    if (++sinceFlush >= 2000) {
      await nc.flush();
      sinceFlush = 0;
    }
  }
  await nc.flush();
}

/** Publishes raw bytes (for messages that are not JSON at all). */
export async function publishRaw(nc: NatsConnection, subject: string, data: Uint8Array | string): Promise<void> {
  nc.publish(subject, typeof data === 'string' ? encoder.encode(data) : data);
  await nc.flush();
}

/** N valid events of all kinds, ids `prefix-<i>`, event times spread over the last minute. */
export function validEvents(n: number, prefix = 'ev', now = Date.now()): PublishedEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}-${i}`;
    const ts = now - 60_000 + Math.floor((i / n) * 60_000);
    switch (i % 3) {
      case 0:
        return { subject: 'events.search', payload: { id, ts, query: `Linen  Dress ${i % 7}`, user: `u${i % 50}` } };
      case 1:
        return { subject: 'events.view', payload: { id, ts, sku: `SKU-${i % 20}`, region: 'eu-west' } };
      default:
        return { subject: 'events.sale.eu', payload: { id, ts: new Date(ts).toISOString(), sku: `SKU-${i % 20}`, qty: 1 + (i % 3), price: 19.5 } };
    }
  });
}

/** One invalid message per contract rule, each with the reason trendmon must give. */
export function invalidEvents(prefix = 'bad', now = Date.now()): (PublishedEvent & { reason: string })[] {
  return [
    { reason: 'invalid_field', subject: 'events.view', payload: { id: `${prefix}-1`, ts: now } },
    { reason: 'invalid_field', subject: 'events.sale', payload: { id: `${prefix}-2`, ts: now, sku: 'A', qty: 0 } },
    { reason: 'invalid_field', subject: 'events.sale', payload: { id: `${prefix}-3`, ts: now, sku: 'A', qty: '2' } },
    { reason: 'invalid_field', subject: 'events.search', payload: { id: `${prefix}-4`, ts: now, query: '   ' } },
    { reason: 'invalid_field', subject: 'events.view', payload: { id: 42, ts: now, sku: 'A' } },
    { reason: 'invalid_field', subject: 'events.view', payload: { id: `${prefix}-6`, ts: 'yesterday', sku: 'A' } },
    { reason: 'ts_in_future', subject: 'events.view', payload: { id: `${prefix}-7`, ts: now + 2 * 86_400_000, sku: 'A' } },
    { reason: 'unknown_subject', subject: 'events.click', payload: { id: `${prefix}-8`, ts: now, sku: 'A' } },
    { reason: 'invalid_field', subject: 'events.view', payload: { id: 'x'.repeat(200), ts: now, sku: 'A' } },
  ];
}

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

export interface FaultWorkload {
  readonly messages: readonly PublishedEvent[];
  readonly distinctValidIds: number;
  readonly invalid: number;
  readonly duplicates: number;
  /** The newest event time in the workload. */
  readonly maxTs: number;
  /** Distinct valid view + sale events per sku: what the sku windows must count. */
  readonly skuCounts: ReadonlyMap<string, number>;
}

/**
 * `n` messages for fault tests: ~5% repeat an earlier event's id (as a
 * redelivery would, so they carry no Nats-Msg-Id: see publishWorkload),
 * ~2% invalid; event times spread over [now - 4 min, now - 1 min).
 */
export function faultWorkload(n: number, now = Date.now()): FaultWorkload {
  const messages: PublishedEvent[] = [];
  const skuCounts = new Map<string, number>();
  let valid = 0;
  let invalid = 0;
  let duplicates = 0;
  for (let i = 0; i < n; i++) {
    const ts = now - 240_000 + Math.floor((i / n) * 180_000);
    if (i % 50 === 7) {
      invalid++;
      messages.push({ subject: 'events.sale', payload: { id: `bad-${i}`, ts, sku: 'SKU-1', qty: -1 } });
    } else if (i % 20 === 3 && messages.length > 0) {
      duplicates++;
      messages.push(messages[(i * 7919) % messages.length]!.payload.id?.toString().startsWith('bad') ? messages[0]! : messages[(i * 7919) % messages.length]!);
    } else {
      valid++;
      const sku = `SKU-${i % 13}`;
      const kind = i % 3;
      if (kind === 0) messages.push({ subject: 'events.search', payload: { id: `e-${i}`, ts, query: `dress ${i % 5}`, user: `u${i % 97}` } });
      else {
        skuCounts.set(sku, (skuCounts.get(sku) ?? 0) + 1);
        messages.push(
          kind === 1
            ? { subject: 'events.view', payload: { id: `e-${i}`, ts, sku, user: `u${i % 97}` } }
            : { subject: 'events.sale', payload: { id: `e-${i}`, ts, sku, qty: 1 + (i % 2), price: 10 } },
        );
      }
    }
  }
  return { messages, distinctValidIds: valid, invalid, duplicates, skuCounts, maxTs: now - 60_000 };
}

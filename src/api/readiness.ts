/** /readyz: ready while NATS is connected and the store takes inserts. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { NatsConnection } from '@nats-io/nats-core';
import type { BatchWriter } from '../store/writer.js';
import type { Readiness } from './http.js';

export async function readiness(nc: NatsConnection, clickhouse: ClickHouseClient, writer: BatchWriter): Promise<Readiness> {
  const natsOk = !nc.isClosed() && nc.info !== undefined;
  let chOk = false;
  let chDetail: string | undefined;
  try {
    const ping = await clickhouse.ping();
    chOk = ping.success;
    if (!ping.success) chDetail = String(ping.error);
  } catch (err) {
    chDetail = (err as Error).message;
  }
  const storeOk = chOk && !writer.failing;
  return {
    ready: natsOk && storeOk,
    checks: {
      nats: { ok: natsOk },
      clickhouse: { ok: chOk, ...(chDetail ? { detail: chDetail } : {}) },
      writer: { ok: !writer.failing, detail: `${writer.buffered} rows buffered` },
    },
  };
}

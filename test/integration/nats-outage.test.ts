/**
 * nats-server killed and restarted mid-stream: the app reconnects and
 * resumes with nothing lost. The server first comes back without JetStream
 * for longer than a slide plus the lateness, as a server still recovering
 * its streams answers: the client is connected again but nothing is
 * delivered. Windows that took that silence for idleness would close before
 * the backlog arrives and count it late.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { faultWorkload, publishEvents } from '../helpers/events.js';
import { expectExactlyOnce, ingestedTotal } from '../helpers/faults.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

describe('NATS outage: nats-server restarted mid-stream', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let app: TestApp;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    app = await startTestApp(nats.url, { WINDOW: '10m', SLIDE: '10s', ALLOWED_LATENESS: '2s', BATCH_MAX_ROWS: '2000' });
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('reconnects, holds the windows until JetStream delivers again, and loses nothing', { timeout: 180_000 }, async () => {
    const workload = faultWorkload(30_000);
    await publishEvents(nc, workload.messages, false);
    await eventually(async () => (await ingestedTotal(app.url)) > 3_000, 30_000, 20);
    const before = await ingestedTotal(app.url);
    nats.server.kill();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await nats.restart({ jetStream: false });
    await new Promise((resolve) => setTimeout(resolve, 15_000)); // > SLIDE + ALLOWED_LATENESS
    await nats.restart();
    const figures = await expectExactlyOnce(nc, app, workload);
    console.log(
      `nats outage: published ${workload.messages.length} (${workload.distinctValidIds} distinct valid, ${workload.duplicates} duplicates, ` +
        `${workload.invalid} invalid); stored before kill ${before}; after restart ${figures.storedIds} ids stored (${figures.rolledUp} in the rollups), ` +
        `${figures.deadLetters} dead letters, window ${figures.sku}=${figures.windowCount} (true ${figures.trueCount})`,
    );
  });
});

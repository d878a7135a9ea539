/**
 * kill -9 in the middle of a stream: after a restart nothing is lost and
 * nothing counted twice, in ClickHouse and in the live windows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, spawnTestApp, type ChildApp } from '../helpers/app.js';
import { faultWorkload, publishEvents } from '../helpers/events.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';
import { expectExactlyOnce, ingestedTotal } from '../helpers/faults.js';

const ENV = { WINDOW: '10m', SLIDE: '10s', ALLOWED_LATENESS: '2s', BATCH_MAX_ROWS: '2000' };

describe('crash: kill -9 mid-stream, then restart', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let app: ChildApp | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'trendmon-crash-'));

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every event exactly once across the crash', { timeout: 240_000 }, async () => {
    const workload = faultWorkload(50_000);
    const first = await spawnTestApp(nats.url, ENV, dataDir);
    await publishEvents(nc, workload.messages, false);
    // Let it store part of the stream, then kill it without warning.
    await eventually(async () => (await ingestedTotal(first.url)) > 8_000, 60_000, 20);
    const storedBeforeCrash = await ingestedTotal(first.url);
    const code = await first.signal('SIGKILL');
    expect(code).toBeNull();

    const info = await (await jetstream(nc).consumers.get('TRENDMON_EVENTS', 'trendmon-ingest')).info();
    const unackedAtCrash = info.num_ack_pending + info.num_pending;
    expect(unackedAtCrash).toBeGreaterThan(0);

    app = await spawnTestApp(nats.url, ENV, dataDir);
    const figures = await expectExactlyOnce(nc, app, workload);
    // The minutes the killed run was inserting, rolled up again at the restart (src/store/batch-inserts.ts).
    const rolledUpAgain = /"minutes":(\d+),"msg":"rolled up again/.exec(app.output())?.[1] ?? '0';
    console.log(
      `crash: published ${workload.messages.length} (${workload.distinctValidIds} distinct valid, ${workload.duplicates} duplicates, ` +
        `${workload.invalid} invalid); stored before kill ${storedBeforeCrash}, unacked at kill ${unackedAtCrash}; ` +
        `after restart (${rolledUpAgain} minutes rolled up again): ${figures.storedIds} distinct ids stored, ${figures.rolledUp} events in the rollups, ` +
        `${figures.deadLetters} dead letters, ` +
        `window count for ${figures.sku} ${figures.windowCount} (true ${figures.trueCount})`,
    );
  });
});

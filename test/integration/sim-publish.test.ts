import type { Msg } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCatalog } from '../../src/sim/catalog.js';
import { runSimulation, type SimulationProgress } from '../../src/sim/publisher.js';
import { createTraffic } from '../../src/sim/traffic.js';
import { TrafficPump } from '../helpers/alerts.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const T0 = Date.UTC(2025, 2, 14, 9, 0, 0);
const catalog = generateCatalog(11);

interface Received {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly payload: Record<string, unknown>;
}

let nats: TestNats;

beforeAll(async () => {
  nats = await startTestNats();
}, 30_000);

afterAll(async () => {
  await nats?.stop();
});

/** Subscribes to everything the simulator publishes and collects it. */
async function collect(): Promise<Received[]> {
  const nc = await nats.connect();
  const received: Received[] = [];
  const onMsg = (err: Error | null, msg: Msg): void => {
    if (err) throw err;
    received.push({ subject: msg.subject, msgId: msg.headers?.get('Nats-Msg-Id'), payload: msg.json() });
  };
  nc.subscribe('events.>', { callback: onMsg });
  nc.subscribe('catalog.upsert', { callback: onMsg });
  await nc.flush();
  return received;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runSimulation', () => {
  it('publishes the catalog, then every event with its id as Nats-Msg-Id', async () => {
    const received = await collect();
    const spikes = [{ sku: 'SKU-0004', startMs: T0 + 5000, durationMs: 10_000, factor: 6, rampMs: 2000 }];
    const traffic = () => createTraffic({ seed: 11, catalog, ratePerSec: 1000, spikes });
    const expected = traffic().eventsBetween(T0, T0 + 20_000);
    const summary = await runSimulation({
      nc: await nats.connect(),
      traffic: traffic(),
      catalog,
      durationMs: 20_000,
      realtime: false,
      startTs: T0,
    });

    expect(summary.published).toBe(expected.length);
    expect(summary.published).toBeGreaterThan(19_000);
    await waitFor(() => received.length >= catalog.length + summary.published);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(catalog.length + summary.published);

    const catalogMsgs = received.slice(0, catalog.length);
    expect(catalogMsgs.every((m) => m.subject === 'catalog.upsert' && m.msgId === undefined)).toBe(true);
    expect(catalogMsgs.map((m) => m.payload)).toEqual(catalog);

    const events = received.slice(catalog.length);
    expect(events.every((m) => m.subject.startsWith('events.') && m.msgId === m.payload.id)).toBe(true);
    expect(events.map((m) => ({ subject: m.subject, payload: m.payload }))).toEqual(
      expected.map((e) => ({ subject: e.subject, payload: e.payload })),
    );
    expect(new Set(events.map((m) => m.msgId)).size).toBe(events.length);

    const count = (subject: string) => events.filter((m) => m.subject === subject).length;
    expect(summary.byKind).toEqual({ search: count('events.search'), view: count('events.view'), sale: count('events.sale') });
    expect(summary.labelled).toBe(events.filter((m) => m.payload.label === 'spike:SKU-0004').length);
    expect(summary.labelled).toBeGreaterThan(0);
    expect(summary).toMatchObject({ catalogItems: catalog.length, fromTs: T0, toTs: T0 + 20_000, aborted: false });
  }, 30_000);

  it('paces to the wall clock in real time, with event times of now', async () => {
    const received = await collect();
    const progress: SimulationProgress[] = [];
    const before = Date.now();
    const summary = await runSimulation({
      nc: await nats.connect(),
      traffic: createTraffic({ seed: 12, catalog, ratePerSec: 400 }),
      catalog: [],
      durationMs: 1200,
      realtime: true,
      onProgress: (p) => progress.push(p),
    });
    const after = Date.now();

    expect(after - before).toBeGreaterThanOrEqual(1150);
    expect(summary.published).toBeGreaterThan(300);
    expect(summary.published).toBeLessThan(700);
    expect(summary.toTs - summary.fromTs).toBe(1200);
    await waitFor(() => received.length >= summary.published);
    const times = received.map((m) => m.payload.ts as number);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(before);
    expect(Math.max(...times)).toBeLessThan(after);
    expect(progress.at(-1)).toMatchObject({ published: summary.published, spikesActive: 0 });
  }, 10_000);

  it('stops early, without error, when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const summary = await runSimulation({
      nc: await nats.connect(),
      traffic: createTraffic({ seed: 13, catalog, ratePerSec: 100 }),
      catalog: [],
      durationMs: Infinity,
      realtime: true,
      signal: controller.signal,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(summary.aborted).toBe(true);
    expect(summary.published).toBeGreaterThan(0);
  }, 5_000);
});

describe('TrafficPump (the live tests\' traffic)', () => {
  it('records every event it publishes, so tests can count them exactly, even when started a while after it was made', async () => {
    const nc = await nats.connect();
    const seen = new Set<string>();
    const sub = nc.subscribe('events.>', {
      callback: (_err, msg) => {
        seen.add((msg.json() as { id: string }).id);
      },
    });
    await nc.flush();
    const pump = new TrafficPump(nc, catalog, { seed: 5, ratePerSec: 400, historyMs: 0, tickMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await pump.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await pump.stop();
    await nc.flush();
    sub.unsubscribe();
    const published = new Set(pump.published.map((e) => e.payload.id as string));
    expect(published.size).toBeGreaterThan(50);
    expect(seen).toEqual(published);
  });
});

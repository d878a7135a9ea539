/**
 * AlertManager's change hook (the wall's live alerts): told when an alert
 * fires, when what a viewer sees of it changes, and when it resolves, not
 * on every detector slide. The outbox needs JetStream, so a real
 * nats-server runs underneath; the default rules (every spike alerts) apply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertManager } from '../../src/alerts/manager.js';
import { DemandPlanner } from '../../src/alerts/planning.js';
import type { Detection } from '../../src/detect/detector.js';
import type { CatalogItem, Spike } from '../../src/domain.js';
import type { AlertView } from '../../src/alerts/view.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const CATALOG: Record<string, CatalogItem> = {
  'SKU-1': { sku: 'SKU-1', title: 'Linen Midi Dress', category: 'dresses', price: 60 },
};

const spike = (over: Partial<Spike> = {}): Spike => ({
  spikeId: 'sku:SKU-1:0',
  dimension: 'sku',
  key: 'SKU-1',
  direction: 'rising',
  status: 'rising',
  score: 8,
  volume: 240,
  expected: 60,
  pctAbove: 300,
  startedAt: 0,
  updatedAt: 0,
  peakScore: 8,
  peakVolume: 240,
  trendScore: 1,
  drivers: { search: 0, view: 200, sale: 40 },
  ...over,
});

const detection = (windowEnd: number, ...updates: Spike[]): Detection => ({ windowEnd, updates, ranking: [] });

describe('AlertManager change hook', () => {
  let nats: TestNats;
  let dataDir: string;
  let manager: AlertManager;
  const told: AlertView[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    dataDir = mkdtempSync(join(tmpdir(), 'trendmon-alert-manager-'));
    manager = await AlertManager.start({
      nc: await nats.connect(),
      writer: { add: () => undefined },
      catalog: (sku) => CATALOG[sku],
      log: pino({ level: 'silent' }),
      settings: {},
      dataDir,
      windowMs: 60_000,
      planner: new DemandPlanner({ catalog: (sku) => CATALOG[sku], variantsOf: () => [], categoryOfQuery: () => undefined }),
      env: {},
    });
    manager.onChange((alert) => told.push(alert));
  });

  afterAll(async () => {
    await manager?.stop();
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells a firing alert, its material changes and its resolution, and nothing else', async () => {
    manager.onDetection(detection(60_000, spike({ updatedAt: 60_000 })));
    expect(told).toHaveLength(1);
    const [fired] = told;
    expect(fired).toMatchObject({ status: 'firing', key: 'SKU-1', title: 'Linen Midi Dress', category: 'dresses', silencedBy: [], inhibitedBy: [] });
    expect(fired!.demand.summary).toMatch(/^\+[\d,]+ units\/7 d/);
    expect(manager.active()).toEqual([fired]);

    // The same window told again with a nudged score leaves the rounded projection as it was: nothing to tell.
    manager.onDetection(detection(60_000, spike({ updatedAt: 60_000, score: 8.3, pctAbove: 302 })));
    expect(told).toHaveLength(1);

    // Demand quadruples: the demand line changes.
    manager.onDetection(detection(120_000, spike({ updatedAt: 120_000, volume: 960, pctAbove: 1500, drivers: { search: 0, view: 800, sale: 160 } })));
    expect(told).toHaveLength(2);
    expect(told[1]!.demand.summary).not.toBe(fired!.demand.summary);
    expect(told[1]!.demand.next7d.extra).toBeGreaterThan(fired!.demand.next7d.extra);

    // Silenced: a viewer shows it muted from the next slide on.
    const silence = await manager.createSilence({ matchers: ['key=SKU-1'], duration: '2h', createdBy: 'ana', comment: 'promo' });
    manager.onDetection(detection(150_000, spike({ updatedAt: 150_000, volume: 960, pctAbove: 1500, drivers: { search: 0, view: 800, sale: 160 } })));
    expect(told).toHaveLength(3);
    expect(told[2]!.silencedBy).toEqual([silence.id]);

    manager.onDetection(detection(180_000, spike({ updatedAt: 180_000, status: 'ended', endedAt: 180_000, endReason: 'faded' })));
    expect(told).toHaveLength(4);
    expect(told[3]).toMatchObject({ status: 'resolved', fingerprint: fired!.fingerprint, endsAt: 180_000 });
    expect(manager.active()).toEqual([]);

    // A late update of the ended spike tells nothing more.
    manager.onDetection(detection(210_000, spike({ updatedAt: 210_000, status: 'ended', endedAt: 180_000 })));
    expect(told).toHaveLength(4);
  });
});

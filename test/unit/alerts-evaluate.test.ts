import { describe, expect, it } from 'vitest';
import { RuleEvaluator, type EvaluatorSettings } from '../../src/alerts/evaluate.js';
import { DemandPlanner } from '../../src/alerts/planning.js';
import { parseApiRules } from '../../src/alerts/rules.js';
import type { Detection } from '../../src/detect/detector.js';
import type { CatalogItem, Spike } from '../../src/domain.js';

const CATALOG: Record<string, CatalogItem> = {
  'SKU-1': { sku: 'SKU-1', title: 'Linen Midi Dress', category: 'dresses' },
  'SKU-2': { sku: 'SKU-2', title: 'Pleated Skirt', category: 'skirts' },
};

const spike = (over: Partial<Spike> = {}): Spike => ({
  spikeId: `${over.dimension ?? 'sku'}:${over.key ?? 'SKU-1'}:${over.startedAt ?? 0}`,
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

function settings(rules: unknown[], resolveTimeoutMs = 5 * 60_000): EvaluatorSettings {
  return { rules: parseApiRules({ rules }), projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs };
}

const planner = (catalog: (sku: string) => CatalogItem | undefined) => new DemandPlanner({ catalog, variantsOf: () => [], categoryOfQuery: () => undefined });

const evaluator = (rules: unknown[], resolveTimeoutMs?: number) =>
  new RuleEvaluator(settings(rules, resolveTimeoutMs), { catalog: (sku) => CATALOG[sku], windowMs: 60_000, planner: planner((sku) => CATALOG[sku]) });

const DRESSES = { name: 'dresses', scope: { dimension: 'sku', category: 'dresses' }, minScore: 5, minVolume: 100, minDuration: '1m', labels: { factory: 'porto' } };

describe('rules against spikes', () => {
  it('alerts once the spike ran minDuration with enough score and volume, labelled and worded for planners', () => {
    const e = evaluator([DRESSES]);
    expect(e.step(detection(0, spike()))).toEqual([]);
    expect(e.step(detection(30_000, spike({ updatedAt: 30_000 })))).toEqual([]);
    expect(e.step(detection(60_000, spike({ updatedAt: 60_000, score: 4 })))).toEqual([]);
    expect(e.step(detection(61_000, spike({ updatedAt: 61_000, volume: 90 })))).toEqual([]);
    const [alert] = e.step(detection(62_000, spike({ updatedAt: 62_000 })));
    expect(alert).toMatchObject({
      labels: { alertname: 'dresses', dimension: 'sku', key: 'SKU-1', category: 'dresses', factory: 'porto' },
      startsAt: 0,
      title: 'Linen Midi Dress',
      annotations: {
        summary: '"Linen Midi Dress" (SKU-1, dresses) is taking off: +300% vs baseline, score 8',
        title: 'Linen Midi Dress',
        spike_id: 'sku:SKU-1:0',
      },
    });
    expect(alert!.endsAt).toBeUndefined();
    expect(alert!.annotations.demand).toMatch(/^\+[\d,]+ units\/7 d, 80% interval [\d,]+-[\d,]+$/);
    expect(alert!.annotations.description).toMatch(/^Since 1970-01-01T00:00:00.000Z: 240 events in the latest 1m window against 60 expected \(0 searches, 200 views, 40 sales\)/);
    expect(alert!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps to its scope: dimension, category through the catalog, normalised search keys', () => {
    const e = evaluator([DRESSES, { name: 'linen', scope: { dimension: ['query', 'term'], key: ['Linen  Dress', 'LINEN'] } }]);
    const updates = [
      spike({ key: 'SKU-2', updatedAt: 120_000 }),
      spike({ key: 'SKU-404', updatedAt: 120_000 }),
      spike({ dimension: 'category', key: 'dresses', updatedAt: 120_000 }),
      spike({ dimension: 'query', key: 'linen dress', updatedAt: 120_000, drivers: { search: 240, view: 0, sale: 0 } }),
      spike({ dimension: 'term', key: 'linen', updatedAt: 120_000, drivers: { search: 240, view: 0, sale: 0 } }),
      spike({ dimension: 'term', key: 'silk', updatedAt: 120_000 }),
    ];
    expect(e.step(detection(120_000, ...updates)).map((a) => `${a.labels.alertname} ${a.labels.dimension}:${a.labels.key}`)).toEqual([
      'linen query:linen dress',
      'linen term:linen',
    ]);
  });

  it('follows the spike, then resolves when the detector ends it, keeping the last projection', () => {
    const e = evaluator([{ name: 'all' }]);
    const [opened] = e.step(detection(0, spike()));
    const [updated] = e.step(detection(60_000, spike({ updatedAt: 60_000, score: 12, volume: 400, drivers: { search: 0, view: 330, sale: 70 } })));
    expect(updated!.fingerprint).toBe(opened!.fingerprint);
    expect(updated!.spike.score).toBe(12);
    const [resolved] = e.step(
      detection(120_000, spike({ status: 'ended', updatedAt: 120_000, endedAt: 120_000, score: 1, volume: 70, drivers: { search: 0, view: 60, sale: 10 } })),
    );
    expect(resolved).toMatchObject({ fingerprint: opened!.fingerprint, endsAt: 120_000, startsAt: 0, spike: { status: 'ended' } });
    // Now: little extra left; at its peak: the biggest projection it made.
    expect(resolved!.demand.next7d.extra).toBeLessThan(updated!.demand.next7d.extra / 10);
    expect(resolved!.peakDemand).toEqual(updated!.demand);
    expect(resolved!.annotations.summary).toBe('"Linen Midi Dress" (SKU-1, dresses) is no longer taking off: back near its baseline');
    expect(resolved!.annotations.description).toMatch(/^Since .*: 70 events .* Ended at 1970-01-01T00:02:00.000Z, after 2m\.$/);
    expect(resolved!.annotations.demand_peak).toBe(`${updated!.demand.summary}, at its peak`);
    expect(e.firing()).toEqual([]);
    // The same key spiking again is the same alert (fingerprint), from a new start.
    const [again] = e.step(detection(600_000, spike({ startedAt: 600_000, updatedAt: 600_000 })));
    expect(again).toMatchObject({ fingerprint: opened!.fingerprint, startsAt: 600_000 });
  });

  it('resolves an alert whose spike stopped updating for resolveTimeout, and says why', () => {
    const e = evaluator([{ name: 'all' }], 60_000);
    e.step(detection(0, spike()));
    expect(e.step(detection(60_000))).toEqual([]);
    const [resolved] = e.step(detection(61_000));
    expect(resolved!.endsAt).toBe(61_000);
    expect(resolved!.annotations.summary).toMatch(/is no longer taking off: no update of its spike for 1m$/);
  });

  it('tells a surge that stayed up as a new normal', () => {
    const e = evaluator([{ name: 'all' }]);
    e.step(detection(0, spike()));
    const [resolved] = e.step(detection(3_600_000, spike({ status: 'ended', updatedAt: 3_600_000, endedAt: 3_600_000, endReason: 'new-normal' })));
    expect(resolved!.annotations.summary).toMatch(/settled at a new, higher level, now its baseline$/);
  });

  it("keeps an alert's identity while it fires, even if the catalog moves the item", () => {
    const catalog: Record<string, CatalogItem> = { 'SKU-1': { sku: 'SKU-1', title: 'Linen Midi Dress', category: 'dresses' } };
    const e = new RuleEvaluator(settings([{ name: 'all' }]), { catalog: (sku) => catalog[sku], windowMs: 60_000, planner: planner((sku) => catalog[sku]) });
    const [opened] = e.step(detection(0, spike()));
    catalog['SKU-1'] = { sku: 'SKU-1', title: 'Linen Midi Dress', category: 'summer' };
    const [updated] = e.step(detection(60_000, spike({ updatedAt: 60_000 })));
    expect(updated).toMatchObject({ fingerprint: opened!.fingerprint, labels: { category: 'dresses' } });
  });

  it('a new configuration resolves alerts whose rule is gone or labels changed, and keeps the rest', () => {
    const e = evaluator([{ name: 'a' }, { name: 'b' }, { name: 'c', labels: { team: 'x' } }]);
    e.step(detection(0, spike()));
    expect(e.firing()).toHaveLength(3);
    const resolved = e.configure(settings([{ name: 'a', minScore: 2 }, { name: 'c', labels: { team: 'y' } }]));
    expect(resolved.map((a) => a.labels.alertname).sort()).toEqual(['b', 'c']);
    expect(e.firing().map((a) => a.labels.alertname)).toEqual(['a']);
  });
});

describe('falls', () => {
  it('alert only for rules that ask for them, labelled direction="falling", judged on what was expected', () => {
    const rules = parseApiRules({
      rules: [
        { name: 'surges', scope: { dimension: 'sku' } },
        { name: 'stock-outs', scope: { dimension: 'sku', direction: 'falling' }, minScore: 4, minVolume: 30 },
      ],
    });
    const evaluator = new RuleEvaluator(
      { rules, projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs: 300_000 },
      { catalog: (sku) => CATALOG[sku], windowMs: 300_000, planner: planner((sku) => CATALOG[sku]) },
    );
    const fall = spike({ direction: 'falling', status: 'falling', score: -7, volume: 2, expected: 60, pctAbove: -96.7, updatedAt: 600_000 });
    const alerts = evaluator.step({ windowEnd: 600_000, updates: [fall], ranking: [fall] });
    expect(alerts.map((a) => a.labels.alertname)).toEqual(['stock-outs']);
    expect(alerts[0]!.labels.direction).toBe('falling');
    expect(alerts[0]!.annotations.summary).toMatch(/is falling: -97% vs baseline/);
    // Expected 20 is less than the rule's minimum volume: too small an item to call a stock-out.
    const small = spike({ key: 'SKU-2', direction: 'falling', status: 'falling', score: -7, volume: 0, expected: 20, pctAbove: -100, updatedAt: 900_000 });
    expect(evaluator.step({ windowEnd: 900_000, updates: [small], ranking: [small] })).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/alerts/dispatcher.js';
import { RuleEvaluator, type Alert } from '../../src/alerts/evaluate.js';
import { DemandPlanner } from '../../src/alerts/planning.js';
import { MAX_ALERTS, slackText, webhookBody } from '../../src/alerts/payload.js';
import { parseApiRules } from '../../src/alerts/rules.js';
import type { Spike } from '../../src/domain.js';

const spike = (key: string, over: Partial<Spike> = {}): Spike => ({
  spikeId: `sku:${key}:0`,
  dimension: 'sku',
  key,
  direction: 'rising',
  status: 'rising',
  score: 9.5,
  volume: 300,
  expected: 50,
  pctAbove: 500,
  startedAt: Date.UTC(2025, 5, 10, 14, 0),
  updatedAt: Date.UTC(2025, 5, 10, 14, 5),
  peakScore: 9.5,
  peakVolume: 300,
  trendScore: 2,
  drivers: { search: 0, view: 250, sale: 50 },
  ...over,
});

/** Alerts as the evaluator makes them, for two items of one category. */
function alerts(): Alert[] {
  const evaluator = new RuleEvaluator(
    { rules: parseApiRules({ rules: [{ name: 'surge', labels: { factory: 'porto' } }] }), projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs: 300_000 },
    {
      catalog: (sku) => ({ sku, title: `Item ${sku}`, category: 'dresses' }),
      windowMs: 300_000,
      planner: new DemandPlanner({ catalog: (sku) => ({ sku, title: `Item ${sku}`, category: 'dresses' }), variantsOf: () => [], categoryOfQuery: () => undefined }),
    },
  );
  return evaluator.step({ windowEnd: spike('A').updatedAt, updates: [spike('A'), spike('B', { score: 5 })], ranking: [] });
}

const notification = (list: readonly Alert[]): Notification<Alert> => ({
  id: 'n-1',
  groupKey: '{}:{category="dresses"}',
  receiver: 'planners',
  groupLabels: { category: 'dresses' },
  status: list.some((a) => a.endsAt === undefined) ? 'firing' : 'resolved',
  alerts: list,
  at: 0,
});

describe('payloads', () => {
  it('is Alertmanager webhook v4 with common labels, plus demand and spike figures', () => {
    const [a, b] = alerts();
    const body = webhookBody(notification([a!, { ...b!, endsAt: Date.UTC(2025, 5, 10, 15, 0) }]));
    expect(body).toMatchObject({
      version: '4',
      groupKey: '{}:{category="dresses"}',
      status: 'firing',
      receiver: 'planners',
      groupLabels: { category: 'dresses' },
      commonLabels: { alertname: 'surge', category: 'dresses', dimension: 'sku', factory: 'porto' },
      truncatedAlerts: 0,
      notificationId: 'n-1',
    });
    expect(body.commonLabels.key).toBeUndefined();
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      startsAt: '2025-06-10T14:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: a!.fingerprint,
      spike: { score: 9.5, volume: 300, expected: 50, drivers: { view: 250, sale: 50 }, updatedAt: '2025-06-10T14:05:00.000Z' },
      demand: { level: 0.8, next7d: { extra: expect.any(Number) } },
    });
    expect(body.alerts[1]).toMatchObject({ status: 'resolved', endsAt: '2025-06-10T15:00:00.000Z' });
  });

  it('lists at most MAX_ALERTS alerts and counts the rest', () => {
    const [a] = alerts();
    const many = Array.from({ length: MAX_ALERTS + 3 }, (_, i) => ({ ...a!, fingerprint: `f${i}` }));
    const body = webhookBody(notification(many));
    expect(body.alerts).toHaveLength(MAX_ALERTS);
    expect(body.truncatedAlerts).toBe(3);
  });

  it('renders Slack-compatible text: a heading per status, each alert with its demand', () => {
    const [a, b] = alerts();
    const text = slackText(notification([a!, { ...b!, endsAt: Date.UTC(2025, 5, 10, 15, 0) }]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('*[FIRING:1]* category=dresses');
    expect(lines[1]).toBe('• "Item A" (A, dresses) is taking off: +500% vs baseline, score 9.5 (since 2025-06-10T14:00:00.000Z)');
    expect(lines[2]).toMatch(/^ {4}demand: \+[\d,]+ units\/7 d, 80% interval [\d,]+-[\d,]+; 24 h: \+[\d,]+ units\/24 h, 80% interval/);
    expect(lines[3]).toBe('*[RESOLVED:1]* category=dresses');
    expect(lines[4]).toMatch(/^• "Item B" .* \(ended 2025-06-10T15:00:00.000Z\)$/);
  });
});

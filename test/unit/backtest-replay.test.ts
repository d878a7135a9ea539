/**
 * A backtest's core in virtual time (src/backtest/replay.ts): simulated
 * events replayed through the live operators and rules at full speed; what
 * would have fired, when, and its lead over the sales peak. ClickHouse and
 * the CLI around it are covered in test/integration/planning.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_HISTORY } from '../../src/alerts/planning.js';
import { parseApiRules } from '../../src/alerts/rules.js';
import { Replay, type BacktestAlert } from '../../src/backtest/replay.js';
import type { TrendEvent } from '../../src/domain.js';
import { createTraffic, generateCatalog } from '../../src/sim/index.js';

const MINUTE = 60_000;
const START = Date.UTC(2025, 4, 6, 9);
const catalog = generateCatalog(3);

function replay(rules: unknown[], fromMs: number, toMs = START + 40 * MINUTE): BacktestAlert[] {
  const traffic = createTraffic({
    seed: 3,
    catalog,
    ratePerSec: 30,
    spikes: [
      // In the warm-up: fires before the range, so not reported.
      { sku: 'SKU-0004', factor: 12, startMs: START + 8 * MINUTE, durationMs: 6 * MINUTE, rampMs: MINUTE },
      { sku: 'SKU-0010', factor: 12, startMs: START + 25 * MINUTE, durationMs: 8 * MINUTE, rampMs: MINUTE },
    ],
  });
  const run = new Replay({
    windows: { sizeMs: MINUTE, slideMs: 5_000, allowedLatenessMs: 2_000, capacity: { query: 10_000, term: 10_000 } },
    fromMs,
    toMs,
    rules: { rules: parseApiRules({ rules }), projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs: 5 * MINUTE },
    catalog,
    history: EMPTY_HISTORY,
  });
  for (let t = START; t < toMs; t += MINUTE) {
    run.push(traffic.eventsBetween(t, t + MINUTE).map((e) => ({ kind: e.kind, ...e.payload }) as TrendEvent));
  }
  expect(run.progress.events).toBeGreaterThan(60_000);
  return run.finish();
}

describe('backtest replay', () => {
  const items = [{ name: 'items', scope: { dimension: 'sku' }, minScore: 6 }];
  const alerts = replay(items, START + 20 * MINUTE);

  it('reports the alerts a rule would have fired in the range, in firing order', () => {
    const keys = alerts.map((a) => a.key);
    expect(keys).toContain('SKU-0010');
    expect(keys).not.toContain('SKU-0004');
    expect(alerts.map((a) => a.firedAt)).toEqual([...alerts.map((a) => a.firedAt)].sort((a, b) => a - b));
    const surge = alerts.find((a) => a.key === 'SKU-0010')!;
    expect(surge.firedAt).toBeGreaterThan(START + 25 * MINUTE);
    expect(surge.firedAt).toBeLessThan(START + 30 * MINUTE);
    expect(surge).toMatchObject({ alertname: 'items', dimension: 'sku', labels: { alertname: 'items', key: 'SKU-0010' } });
    expect(surge.peakScore).toBeGreaterThanOrEqual(6);
    expect(surge.demand.next7d.extra).toBeGreaterThan(0);
  });

  it("measures how early the alert came against the key's sales peak within the day", () => {
    const surge = alerts.find((a) => a.key === 'SKU-0010')!;
    expect(surge.leadMs).toBe(surge.salesPeakAt! - surge.firedAt);
    // The surge's sales peak within its eight minutes; the alert comes while it builds.
    expect(surge.salesPeakAt!).toBeGreaterThanOrEqual(START + 25 * MINUTE);
    expect(surge.salesPeakAt!).toBeLessThanOrEqual(START + 34 * MINUTE);
  });

  it('replays the same events to the same answer, and other rules to theirs', () => {
    expect(replay(items, START + 20 * MINUTE)).toEqual(alerts);
    const strict = replay([{ name: 'strict', scope: { dimension: 'sku', key: 'SKU-0001' } }], START + 20 * MINUTE);
    expect(strict.map((a) => a.key)).not.toContain('SKU-0010');
  });
});

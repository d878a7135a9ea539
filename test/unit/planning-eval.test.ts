/**
 * The planners' evaluations, CI-sized and seeded: the same code as
 * `npm run eval -- --projection` and `-- --unmet` on fewer surges and a
 * shorter shop. The full runs and their tables are in docs/planning.md.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateProjection, SMALL_PROJECTION_EVAL, type ProjectionReport } from '../../src/cli/eval/planning/projection.js';
import { projectionTable, unmetTable } from '../../src/cli/eval/planning/report.js';
import { evaluateUnmet, SMALL_UNMET_EVAL, type UnmetReport } from '../../src/cli/eval/planning/unmet.js';
import { SURGE_SHAPE_KINDS } from '../../src/sim/shapes.js';

describe('projection backtest on simulated surges', { timeout: 240_000 }, () => {
  let report: ProjectionReport;
  beforeAll(() => {
    report = evaluateProjection(SMALL_PROJECTION_EVAL);
    process.stdout.write(`${projectionTable(report)}\n`);
  });

  it('holds about 80% of what really sold in its 80% interval, over all shapes', () => {
    // Tens of alerted surges: the sampling error of a share near 0.8 is about 0.06, so the band is wide.
    expect(report.overall.found).toBeGreaterThanOrEqual(25);
    for (const coverage of [report.overall.coverage24h, report.overall.coverage7d]) {
      expect(coverage).toBeGreaterThanOrEqual(0.65);
      expect(coverage).toBeLessThanOrEqual(0.95);
    }
  });

  it('learns from history: forecasts come from past surges, not the prior', () => {
    expect(report.library).toBeGreaterThan(20);
    expect(report.overall.prior).toBe(0);
  });

  it('reports error and lead time for every shape the detector alerted on', () => {
    for (const kind of SURGE_SHAPE_KINDS) {
      const m = report.byShape[kind];
      if (m.found === 0) continue;
      expect(Number.isFinite(m.mdape24h) && Number.isFinite(m.mdape7d), kind).toBe(true);
      expect(Number.isFinite(m.medianLeadMs), kind).toBe(true);
    }
    // Searches lead sales: the first alert comes before the day's sales peak.
    expect(report.overall.medianLeadMs).toBeGreaterThan(0);
  });
});

describe('unmet demand found in a simulated shop', { timeout: 240_000 }, () => {
  let report: UnmetReport;
  beforeAll(() => {
    report = evaluateUnmet(SMALL_UNMET_EVAL);
    process.stdout.write(`${unmetTable(report)}\n`);
  });

  it('finds searches for what the catalog lacks as they take off, within minutes', () => {
    const emerging = report.byFamily.emerging;
    expect(emerging.planned).toBeGreaterThan(0);
    expect(emerging.recall).toBeGreaterThanOrEqual(0.5);
    expect(emerging.medianDelayMs).toBeLessThanOrEqual(10 * 60_000);
    expect(report.falseAlerts).toBeLessThanOrEqual(1);
  });

  it('measures brand-new searches too', () => {
    expect(report.byFamily.new.planned).toBeGreaterThan(0);
    expect(report.overall.planned).toBe(SMALL_UNMET_EVAL.plans * SMALL_UNMET_EVAL.runs);
  });
});

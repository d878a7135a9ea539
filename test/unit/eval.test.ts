/**
 * The detector evaluation, CI-sized: the same scenarios and metrics as
 * `npm run eval`, on fewer seeded series, held to the targets of issue 5.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, missedTargets, SMALL_EVAL, TARGETS, type EvalReport } from '../../src/cli/eval/evaluate.js';
import { SCENARIOS } from '../../src/cli/eval/scenarios.js';

describe('spike detection, measured on labelled series', () => {
  let report: EvalReport;
  beforeAll(() => {
    report = evaluate(SMALL_EVAL);
  });

  it('meets the targets: recall, precision, delay and false alarms', () => {
    expect(missedTargets(report)).toEqual([]);
    expect(report.overall.recall).toBeGreaterThanOrEqual(TARGETS.recall);
    expect(report.overall.precision).toBeGreaterThanOrEqual(TARGETS.precision);
    expect(report.overall.medianDelay).toBeLessThanOrEqual(TARGETS.medianDelay);
    expect(report.quiet.falseAlarmsPer100KeyDays).toBeLessThanOrEqual(TARGETS.falseAlarmsPer100KeyDays);
  });

  it('finds the real surges and level shifts of every targeted scenario', () => {
    for (const r of report.scenarios.filter((s) => s.scenario.target && s.scenario.positive)) {
      expect(r.surges, r.scenario.name).toBeGreaterThan(0);
      expect(r.recall, r.scenario.name).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('leaves no spike open forever: level shifts end as new normals', () => {
    expect(report.overall.stuck).toBe(0);
  });

  it('labels the series it generates consistently', () => {
    for (const scenario of SCENARIOS) {
      const series = scenario.generate(1, 3, SMALL_EVAL.stepMs);
      expect(series.events).toHaveLength((3 * 86_400_000) / SMALL_EVAL.stepMs);
      expect(series.actors).toHaveLength(series.events.length);
      expect(series.events.every((e) => Number.isInteger(e) && e >= 0)).toBe(true);
      if (!scenario.positive) expect(series.surges).toEqual([]);
      for (const surge of series.surges) expect(surge.until).toBeGreaterThan(surge.onset);
      expect(scenario.generate(1, 3, SMALL_EVAL.stepMs)).toEqual(series); // a pure function of the seed
    }
  });
});

/**
 * `trendmon backtest` arguments and rule files, and how its results read.
 * The command end to end is in test/integration/planning.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { backtestRules } from '../../src/backtest/rules.js';
import { AlertsConfigError } from '../../src/alerts/rule-schema.js';
import { backtestArgs, BacktestArgumentError, parseInstant, renderBacktest } from '../../src/cli/backtest.js';
import type { BacktestResult } from '../../src/backtest/run.js';

describe('backtest arguments', () => {
  it('take days, ISO times with a zone, epoch ms and now', () => {
    expect(parseInstant('2025-06-10', '--from')).toBe(Date.UTC(2025, 5, 10));
    expect(parseInstant('2025-06-10T14:00:00+02:00', '--from')).toBe(Date.UTC(2025, 5, 10, 12));
    expect(parseInstant('1749556800000', '--to')).toBe(1749556800000);
    expect(Math.abs(parseInstant('now', '--to') - Date.now())).toBeLessThan(60_000);
    expect(() => parseInstant('yesterday', '--from')).toThrow(/--from yesterday: not a time/);
  });

  it('say what is wrong in one line', () => {
    expect(backtestArgs(['--from', '2025-06-10', '--to', '2025-06-11'])).toEqual({ fromMs: Date.UTC(2025, 5, 10), toMs: Date.UTC(2025, 5, 11), warmupMs: 6 * 3_600_000, format: 'table' });
    expect(backtestArgs(['--from', '2025-06-10', '--to', '2025-06-11', '--warmup', '0', '--rules', 'r.json', '--format', 'json'])).toMatchObject({ warmupMs: 0, rulesFile: 'r.json', format: 'json' });
    for (const [args, message] of [
      [['--from', '2025-06-10'], /needs --from and --to/],
      [['--from', '2025-06-11', '--to', '2025-06-10'], /must be after/],
      [['--from', '2025-06-10', '--to', '2025-06-11', '--warmup', 'long'], /--warmup long: not a duration/],
      [['--from', '2025-06-10', '--to', '2025-06-11', '--format', 'xml'], /--format xml: use table or json/],
    ] as const) {
      expect(() => backtestArgs([...args])).toThrow(BacktestArgumentError);
      expect(() => backtestArgs([...args])).toThrow(message);
    }
  });
});

describe('backtest rule files', () => {
  it('need no receiver secrets, and are checked like the live ones otherwise', () => {
    const text = `{ "rules": [{ "name": "porto", "minScore": 5 }], "route": { "receiver": "erp" },
      "receivers": [{ "name": "erp", "webhooks": [{ "url": "\${PORTO_URL}", "secret": "\${PORTO_SECRET}" }] }] }`;
    const rules = backtestRules(text, 'porto.json', {});
    expect(rules).toMatchObject({ source: 'porto.json', rules: [{ name: 'porto', minScore: 5 }], resolveTimeoutMs: 300_000 });
    expect(() => backtestRules('{ "rules": [{ "name": "x", "min_score": 5 }], "route": { "receiver": "r" }, "receivers": [{ "name": "r" }] }', 'bad.json', {})).toThrow(
      AlertsConfigError,
    );
  });
});

describe('backtest results', () => {
  it('read as one line per alert, then the totals and where they are stored', () => {
    const result: BacktestResult = {
      runId: '3f1c2a9e-0000-4000-8000-000000000001',
      fromMs: Date.UTC(2025, 5, 10),
      toMs: Date.UTC(2025, 5, 11),
      warmupMs: 6 * 3_600_000,
      rulesSource: 'rules.json',
      events: 1_234_567,
      seconds: 61.2,
      eventsPerSec: 20_173,
      medianLeadMs: 5_400_000,
      alerts: [
        {
          alertname: 'item-surge',
          fingerprint: 'ab',
          dimension: 'sku',
          key: 'SKU-0007',
          labels: {},
          summary: '',
          startsAt: Date.UTC(2025, 5, 10, 9, 55),
          firedAt: Date.UTC(2025, 5, 10, 10),
          peakScore: 12.34,
          demand: { next7d: { baseline: 0, extra: 1800, low: 900, high: 3600 } } as BacktestResult['alerts'][number]['demand'],
          salesPeakAt: Date.UTC(2025, 5, 10, 11, 30),
          leadMs: 5_400_000,
        },
      ],
    };
    const text = renderBacktest(result);
    expect(text).toMatch(/^backtest 3f1c2a9e-.*: 2025-06-10 00:00 to 2025-06-11 00:00 UTC \(warm-up 6h\), rules rules\.json\n/);
    expect(text).toMatch(/2025-06-10 10:00 +item-surge +sku +SKU-0007 +12\.3 +1800 \(900\.\.3600\) +2025-06-10 11:30 +\+1\.5 h/);
    expect(text).toContain('1 alert(s); 1,234,567 events replayed in 61.2 s (20,173 events/s); median lead over the sales peak +1.5 h');
    expect(text).toContain(`stored: SELECT * FROM backtest_alerts WHERE run_id = '${result.runId}'`);
  });
});

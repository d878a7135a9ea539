/**
 * What operations gets for Prometheus, checked with Debian's promtool
 * (scripts/provision-test.sh): the app's real /metrics (in this process,
 * against a real nats-server and chDB, after good and bad events) passes
 * `promtool check metrics`; the scrape configuration and alert rules in
 * deploy/prometheus pass `promtool check config`, their unit tests pass
 * `promtool test rules`, every series the rules use is one the app exports,
 * and docs/operations.md shows those files as they are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { publishEvents, publishRaw, validEvents } from '../helpers/events.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy', 'prometheus');

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: DEPLOY, input, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool is not installed: run \`bash scripts/provision-test.sh\` (apt-get install prometheus): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('Prometheus: /metrics, scrape configuration and alert rules, checked by promtool', () => {
  let nats: TestNats;
  let app: TestApp;
  let metrics: string;

  beforeAll(async () => {
    nats = await startTestNats();
    app = await startTestApp(nats.url);
    const nc = await nats.connect();
    await publishEvents(nc, validEvents(300, 'prom'));
    await publishRaw(nc, 'events.sale', 'not json');
    // Labelled series appear once counted: wait for the stored events and the dead letter.
    metrics = await eventually(async () => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      return /^trendmon_events_ingested_total\{kind="sale"\} 100$/m.test(text) && /^trendmon_events_rejected_total\{reason="not_json"\} 1$/m.test(text) ? text : undefined;
    }, 60_000);
  });

  afterAll(async () => {
    await app?.stop();
    await nats?.stop();
  });

  it('/metrics passes promtool check metrics', () => {
    const check = promtool(['check', 'metrics'], metrics);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('the scrape configuration and the rules it loads pass promtool check config', () => {
    const check = promtool(['check', 'config', 'prometheus.yml']);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toMatch(/SUCCESS: 9 rules found/);
  });

  it('each alert rule fires on the series it is for, and only then (promtool test rules)', () => {
    const check = promtool(['test', 'rules', 'trendmon-rules.test.yml']);
    expect(check.status, check.output).toBe(0);
    const rules = parse(readFileSync(join(DEPLOY, 'trendmon-rules.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const tested = readFileSync(join(DEPLOY, 'trendmon-rules.test.yml'), 'utf8');
    for (const { alert } of rules.groups.flatMap((g) => g.rules)) expect(tested, `${alert} has a unit test`).toContain(`alertname: ${alert}\n`);
  });

  it('the rules use only series the app exports', () => {
    const exported = new Set([...metrics.matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [name!, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const used = new Set(readFileSync(join(DEPLOY, 'trendmon-rules.yml'), 'utf8').match(/\btrendmon_\w+/g));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported, name).toContain(name);
  });

  it('docs/operations.md shows the configuration and the rules as they are in deploy/prometheus', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const file of ['prometheus.yml', 'trendmon-rules.yml']) {
      expect(doc, `docs/operations.md shows deploy/prometheus/${file}`).toContain('```yaml\n' + readFileSync(join(DEPLOY, file), 'utf8') + '```\n');
    }
  });
});

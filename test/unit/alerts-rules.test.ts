import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { languageOf, parseRuleDocument } from '../../src/alerts/document.js';
import { parseMatcher, matchesAll } from '../../src/alerts/matchers.js';
import { AlertsConfigError, type ConfigProblem } from '../../src/alerts/rule-schema.js';
import { defaultAlertsConfig, parseAlertsConfig, parseApiRules } from '../../src/alerts/rules.js';
import { ConfigError, loadConfig, maskSecrets } from '../../src/config/index.js';

const FILE = 'alerts.json';

/** The problems a rule file text is refused with. */
function problems(text: string, file = FILE, env: Record<string, string> = {}): ConfigProblem[] {
  try {
    parseAlertsConfig(text, file, env);
  } catch (err) {
    if (err instanceof AlertsConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('the rule file was accepted');
}

const MINIMAL = `{
  "route": { "receiver": "planners" },
  "receivers": [{ "name": "planners", "nats": {} }]
}`;

describe('rule file: JSON with comments and positions', () => {
  const parseJsonc = (text: string) => parseRuleDocument(text, 'JSON');

  it('parses comments and locates values and keys by path', () => {
    const doc = parseJsonc(`// planners' rules
{
  /* the one rule */
  "rules": [
    { "name": "a", "minScore": 4 }
  ]
}`);
    expect(doc.value).toEqual({ rules: [{ name: 'a', minScore: 4 }] });
    expect(doc.locate(['rules', 0, 'minScore'])).toEqual({ line: 5, column: 20 });
    // A missing field resolves to the nearest enclosing value.
    expect(doc.locate(['rules', 0, 'labels', 'team'])).toEqual({ line: 5, column: 5 });
  });

  it.each([
    ['{ "a": 1, }', /1:11: trailing comma before }/],
    ['[1, /* two */ ]', /1:15: trailing comma before ]/],
    ['{ "a": 1 "b": 2 }', /1:10: expected ',' between members, found '"b"'/],
    ['{ "a": 1, "a": 2 }', /1:11: duplicate key "a"/],
    ['{\n  "a": tru }', /2:8: unexpected 'tru'/],
    ['{ "a": "x\n" }', /1:8: unterminated string/],
    ['{ "a": 1 } /* open', /1:12: unterminated \/\* comment/],
    ['', /1:1: expected a value, found end of file/],
  ])('refuses %j with line and column', (text, message) => {
    expect(() => parseJsonc(text)).toThrow(message);
  });

  it('keeps "__proto__" as data', () => {
    const doc = parseJsonc('{ "__proto__": { "polluted": true } }');
    expect(Object.keys(doc.value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('rule file: YAML and positions', () => {
  const parseYaml = (text: string) => parseRuleDocument(text, 'YAML');

  it('picks YAML by the file name', () => {
    expect(['alerts.yaml', 'ALERTS.YML', 'alerts.json', 'alerts.jsonc', 'alerts'].map(languageOf)).toEqual(['YAML', 'YAML', 'JSON', 'JSON', 'JSON']);
  });

  it('parses comments, anchors and aliases, and locates values and keys by path', () => {
    const doc = parseYaml(`# planners' rules
labels: &porto { factory: porto }
rules:
  - name: a       # the one rule
    minScore: 4
    labels: *porto
`);
    expect(doc.value).toEqual({ labels: { factory: 'porto' }, rules: [{ name: 'a', minScore: 4, labels: { factory: 'porto' } }] });
    expect(doc.locate(['rules', 0, 'minScore'])).toEqual({ line: 5, column: 5 });
    expect(doc.locate(['rules', 0, 'name'])).toEqual({ line: 4, column: 5 });
    expect(doc.locate(['rules', 0, 'scope', 'key'])).toEqual({ line: 4, column: 5 });
  });

  it.each([
    ['a: 1\na: 2\n', /2:1: duplicate key/],
    ['a:\n\tb: 1\n', /2:1: tabs are not allowed as indentation/],
    ['a: 1\n---\nb: 2\n', /2:1: more than one document/],
    ['a: *nowhere\n', /1:4: unknown anchor "nowhere"/],
    ['? [a]\n: 1\n', /1:3: keys must be plain names/],
    ['x: "open\n', /missing closing "quote/],
  ])('refuses %j with line and column', (text, message) => {
    expect(() => parseYaml(text)).toThrow(message);
  });

  it('keeps "__proto__" as data', () => {
    const doc = parseYaml('__proto__: { polluted: true }\n');
    expect(Object.keys(doc.value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('rule file: validation', () => {
  it('accepts a full file and applies inheritance down the routing tree', () => {
    const config = parseAlertsConfig(
      `{
        "projection": { "persistence": "3d", "interval": 0.9 },
        "rules": [{ "name": "dresses", "scope": { "dimension": "sku", "category": ["dresses"] }, "minScore": 5,
                    "minVolume": 40, "minDuration": "2m", "labels": { "team": "womenswear", "factory": "porto" } }],
        "route": { "receiver": "planners", "groupBy": ["category", "factory"], "groupWait": "10s",
                   "routes": [{ "matchers": ["factory=porto"], "receiver": "porto", "repeatInterval": "1h" }] },
        "receivers": [{ "name": "planners", "nats": {} },
                      { "name": "porto", "webhooks": [{ "url": "http://porto.example/alerts", "secret": "0123456789abcdef" }] }],
        "inhibitRules": [{ "sourceMatchers": ["dimension=category"], "targetMatchers": ["dimension=sku"], "equal": ["category"] }]
      }`,
      FILE,
      {},
    );
    expect(config.projection).toEqual({ persistenceMs: 3 * 86_400_000, level: 0.9 });
    expect(config.rules[0]).toMatchObject({
      name: 'dresses',
      scope: { dimensions: ['sku'], categories: ['dresses'] },
      minDurationMs: 120_000,
      labels: { team: 'womenswear', factory: 'porto' },
      source: 'file',
    });
    const child = config.route.routes[0]!;
    expect(child).toMatchObject({ key: '{}/{factory="porto"}', receiver: 'porto', groupBy: ['category', 'factory'], groupWaitMs: 10_000 });
    expect(child.groupIntervalMs).toBe(5 * 60_000);
    expect(child.repeatIntervalMs).toBe(3_600_000);
    expect(config.receivers[1]!.webhooks[0]).toEqual({
      url: 'http://porto.example/alerts',
      secret: '0123456789abcdef',
      format: 'alertmanager',
      timeoutMs: 10_000,
      retry: { initialMs: 1000, maxMs: 60_000 },
    });
  });

  it('reports every problem with file, line, column, field and reason', () => {
    const found = problems(`{
  "rules": [
    { "name": "a", "min_score": 4 },
    { "name": "b", "minScore": "high", "minDuration": "soon" },
    { "name": "a", "labels": { "category": "x" } }
  ],
  "route": { "receiver": "nobody", "routes": [{ "matchers": ["factory=~("] }] },
  "receivers": [{ "name": "planners", "webhooks": [{ "url": "ftp://x", "timeout": "2m" }] }]
}`);
    const line = (field: string) => found.find((p) => p.field === field);
    expect(line('rules[0].min_score')).toEqual({ where: `${FILE}:3:20`, field: 'rules[0].min_score', reason: 'unknown field "min_score" (did you mean "minScore"?)' });
    expect(line('rules[1].minScore')).toMatchObject({ where: `${FILE}:4:20`, reason: expect.stringMatching(/expected number/) });
    expect(line('rules[1].minDuration')).toMatchObject({ where: `${FILE}:4:40`, reason: '"soon" is not a duration (use e.g. 30s, 5m, 4h, 2d)' });
    expect(line('rules[2].labels.category')).toMatchObject({ where: `${FILE}:5:32`, reason: expect.stringMatching(/set by trendmon/) });
    expect(line('route.routes[0].matchers[0]')).toMatchObject({ where: `${FILE}:7:62`, reason: expect.stringMatching(/invalid regular expression: Unterminated group/) });
    expect(line('receivers[0].webhooks[0].url')).toMatchObject({ where: `${FILE}:8:54`, reason: '"ftp://x" is not an http(s) URL' });
    expect(line('receivers[0].webhooks[0].timeout')).toMatchObject({ where: `${FILE}:8:72`, reason: 'must be at most 1m' });
    expect(new AlertsConfigError(found).message.split('\n')[0]).toBe(`${FILE}:3:20 rules[0].min_score: unknown field "min_score" (did you mean "minScore"?)`);
  });

  it('checks names and references across the file', () => {
    const found = problems(`{
  "rules": [{ "name": "a" }, { "name": "a" }],
  "route": { "receiver": "planners", "routes": [{ "receiver": "nobody" }] },
  "receivers": [{ "name": "planners", "nats": {} }, { "name": "empty" }]
}`);
    expect(found).toEqual(
      expect.arrayContaining([
        { where: `${FILE}:2:32`, field: 'rules[1].name', reason: 'rule "a" is defined twice' },
        { where: `${FILE}:3:51`, field: 'route.routes[0].receiver', reason: 'no receiver named "nobody" (have: planners, empty)' },
        { where: `${FILE}:4:53`, field: 'receivers[1]', reason: 'receiver "empty" has no webhooks and no nats: it would deliver nowhere' },
      ]),
    );
  });

  it('reports a syntax error with its line', () => {
    expect(problems('{\n  "rules": [\n    { "name": "a" },\n  ]\n}')).toEqual([
      { where: `${FILE}:4:3`, field: '', reason: 'not valid JSON: trailing comma before ]' },
    ]);
  });

  it('expands ${ENV} in webhook urls and secrets, and names a missing variable', () => {
    const text = `{
  "route": { "receiver": "r" },
  "receivers": [{ "name": "r", "webhooks": [{ "url": "\${HOOK_URL}", "secret": "\${HOOK_SECRET}" }] }]
}`;
    const config = parseAlertsConfig(text, FILE, { HOOK_URL: 'https://hooks.example/x', HOOK_SECRET: 'a-long-enough-secret' });
    expect(config.receivers[0]!.webhooks[0]).toMatchObject({ url: 'https://hooks.example/x', secret: 'a-long-enough-secret' });
    expect(problems(text, FILE, { HOOK_URL: 'https://hooks.example/x' })).toEqual([
      { where: `${FILE}:3:69`, field: 'receivers[0].webhooks[0].secret', reason: 'environment variable HOOK_SECRET is not set' },
    ]);
  });

  it('has defaults that alert on every rising spike and every item that falls, group by category, publish on alerts.trend and post to ALERT_WEBHOOK_URL', () => {
    const plain = defaultAlertsConfig({});
    expect(plain.rules.map((r) => [r.name, r.scope])).toEqual([
      ['trend', {}],
      ['fall', { dimensions: ['sku'], directions: ['falling'] }],
    ]);
    expect(plain.receivers).toEqual([{ name: 'default', webhooks: [], nats: { subject: 'alerts.trend' } }]);
    expect(plain.route).toMatchObject({ groupBy: ['alertname', 'category'], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 });
    const hooked = defaultAlertsConfig({ ALERT_WEBHOOK_URL: 'http://h.example/', ALERT_WEBHOOK_SECRET: 'sixteen-chars-ok' });
    expect(hooked.receivers[0]!.webhooks[0]).toMatchObject({ url: 'http://h.example/', secret: 'sixteen-chars-ok' });
    expect(parseAlertsConfig(MINIMAL, FILE, {}).rules).toEqual([]);
  });

  it('validates API rules, naming the field in the request body', () => {
    expect(parseApiRules({ rules: [{ name: 'linen', scope: { dimension: 'term', key: 'Linen' } }] })[0]).toMatchObject({
      name: 'linen',
      scope: { dimensions: ['term'], keys: ['Linen'] },
      source: 'api',
    });
    expect(() => parseApiRules({ rules: [{ name: 'x', scope: { dimension: 'colour' } }] })).toThrow(
      /request body rules\[0\]\.scope\.dimension\[0\]: Invalid option/,
    );
  });

  it('validates the rule file shown in docs/alerts.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');
    const block = /```jsonc\n([\s\S]*?)```/.exec(doc);
    expect(block, 'docs/alerts.md shows a ```jsonc rule file').not.toBeNull();
    const env = { PORTO_WEBHOOK_SECRET: 'a-secret-of-16-chars' };
    const config = parseAlertsConfig(block![1]!, 'alerts.jsonc', env);
    expect(config.rules.length).toBeGreaterThan(0);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc);
    expect(yaml, 'docs/alerts.md shows the same rule file in ```yaml').not.toBeNull();
    expect({ ...parseAlertsConfig(yaml![1]!, 'alerts.yaml', env), source: 'alerts.jsonc' }).toEqual(config);
  });

  it('reports problems in a YAML file with file, line, column, field and reason', () => {
    const found = problems(
      `rules:
  - name: a
    min_score: 4
    minDuration: soon
route:
  receiver: planners
receivers:
  - { name: planners, nats: {} }
`,
      'alerts.yaml',
    );
    expect(found).toEqual([
      { where: 'alerts.yaml:3:5', field: 'rules[0].min_score', reason: 'unknown field "min_score" (did you mean "minScore"?)' },
      { where: 'alerts.yaml:4:5', field: 'rules[0].minDuration', reason: '"soon" is not a duration (use e.g. 30s, 5m, 4h, 2d)' },
    ]);
    expect(problems('route: {\n', 'alerts.yml')).toEqual([
      { where: 'alerts.yml:2:1', field: '', reason: expect.stringMatching(/^not valid YAML: /) },
    ]);
  });
});

describe('matchers', () => {
  it('matches Alertmanager-style, anchored, missing labels as empty', () => {
    const labels = { category: 'dresses', factory: 'porto' };
    expect(matchesAll([parseMatcher('category=dresses')], labels)).toBe(true);
    expect(matchesAll([parseMatcher('category=~"dress"')], labels)).toBe(false);
    expect(matchesAll([parseMatcher('category=~"dress.*|skirts"')], labels)).toBe(true);
    expect(matchesAll([parseMatcher('team!=x'), parseMatcher('team=""')], labels)).toBe(true);
    expect(() => parseMatcher('category')).toThrow(/expected name, an operator/);
  });
});

describe('config: alerting variables', () => {
  it('reads them, and refuses a missing rule file and a short secret with one line each', () => {
    expect(loadConfig({ ALERT_WEBHOOK_URL: 'https://h.example/x' }).alerts).toEqual({ webhookUrl: 'https://h.example/x' });
    expect(() => loadConfig({ ALERTS_CONFIG: '/nope/alerts.json' })).toThrow(/ALERTS_CONFIG="\/nope\/alerts.json" no such file/);
    expect(() => loadConfig({ ALERT_WEBHOOK_SECRET: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ALERT_WEBHOOK_URL: 'nope' })).toThrow(/ALERT_WEBHOOK_URL="nope" is not a URL/);
  });

  it('reads ALERTMANAGER_URL (one or several) and its resend interval, refuses bad values with one line each, and masks credentials', () => {
    expect(loadConfig({}).alerts.alertmanager).toBeUndefined();
    expect(loadConfig({ ALERTMANAGER_URL: 'http://am-1:9093, http://am-2:9093' }).alerts.alertmanager).toEqual({
      urls: ['http://am-1:9093', 'http://am-2:9093'],
      resendIntervalMs: 60_000,
    });
    expect(loadConfig({ ALERTMANAGER_URL: 'https://ops.example/am/', ALERTMANAGER_RESEND_INTERVAL: '30s' }).alerts.alertmanager?.resendIntervalMs).toBe(30_000);
    expect(() => loadConfig({ ALERTMANAGER_URL: 'am:9093' })).toThrow(/^ALERTMANAGER_URL="am:9093" is not a list of Alertmanager URLs \(use http:\/\/host:9093/);
    const refused = (() => {
      try {
        loadConfig({ ALERTMANAGER_URL: 'ftp://trendmon:hunter22@am:9093' });
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(refused).toBe('ALERTMANAGER_URL="ftp://****@am:9093" is not a list of Alertmanager URLs (use http://host:9093[,http://other:9093])');
    expect(() => loadConfig({ ALERTMANAGER_RESEND_INTERVAL: 'often' })).toThrow(/^ALERTMANAGER_RESEND_INTERVAL="often" is not a duration/);
    expect(() => loadConfig({ ALERTMANAGER_URL: 'http://am:9093', ALERTMANAGER_RESEND_INTERVAL: '100ms' })).toThrow(/^ALERTMANAGER_RESEND_INTERVAL must be at least 1s/);
    const shown = JSON.stringify(maskSecrets(loadConfig({ ALERTMANAGER_URL: 'http://trendmon:hunter22@am:9093' })));
    expect(shown).toContain('http://****@am:9093');
    expect(shown).not.toContain('hunter22');
  });
});

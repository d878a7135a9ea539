/**
 * Feeding Alertmanager (ALERTMANAGER_URL): what one alert looks like to its
 * API, and the re-post loop in virtual time against a scripted
 * Alertmanager that can be down. The real Alertmanager is in
 * test/integration/alertmanager.test.ts.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { AlertmanagerFeed, RESOLVED_RETENTION_MS, type AlertmanagerPost } from '../../src/alerts/alertmanager-feed.js';
import { RuleEvaluator, type Alert } from '../../src/alerts/evaluate.js';
import { alertmanagerTarget, postableAlert, type AlertmanagerTarget, type PostableAlert } from '../../src/alerts/receivers/alertmanager.js';
import { DemandPlanner } from '../../src/alerts/planning.js';
import { parseApiRules } from '../../src/alerts/rules.js';
import type { CatalogItem, Spike } from '../../src/domain.js';

const S = 1000;
const M = 60 * S;
const T0 = Date.UTC(2025, 5, 10, 14, 0);

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
  startedAt: T0,
  updatedAt: T0 + 5 * M,
  peakScore: 9.5,
  peakVolume: 300,
  trendScore: 2,
  drivers: { search: 0, view: 250, sale: 50 },
  ...over,
});

const catalog = (sku: string): CatalogItem => ({ sku, title: `Item ${sku}`, category: 'dresses' });

/** Alerts as the evaluator makes them. */
function alertsFor(...keys: string[]): Alert[] {
  const evaluator = new RuleEvaluator(
    { rules: parseApiRules({ rules: [{ name: 'surge', labels: { factory: 'porto' } }] }), projection: { persistenceMs: 2 * 86_400_000, level: 0.8 }, resolveTimeoutMs: 300_000 },
    { catalog, windowMs: 300_000, planner: new DemandPlanner({ catalog, variantsOf: () => [], categoryOfQuery: () => undefined }) },
  );
  return evaluator.step({ windowEnd: T0 + 5 * M, updates: keys.map((key) => spike(key)), ranking: [] });
}

/** Virtual time starts here, a minute after the spikes' last update; harness times are relative to it. */
const START = T0 + 6 * M;
const resolved = (alert: Alert, at: number): Alert => ({ ...alert, endsAt: START + at });

describe('Alertmanager: the target and the alert as its API takes it', () => {
  it('takes a base URL, with a path prefix or credentials', () => {
    expect(alertmanagerTarget('http://am:9093')).toEqual({ name: 'http://am:9093', endpoint: 'http://am:9093/api/v2/alerts', headers: {} });
    expect(alertmanagerTarget('https://ops.example/alertmanager/').endpoint).toBe('https://ops.example/alertmanager/api/v2/alerts');
    const secured = alertmanagerTarget('http://trendmon:p%40ss@am:9093');
    expect(secured.name).toBe('http://am:9093');
    expect(secured.endpoint).toBe('http://am:9093/api/v2/alerts');
    expect(Buffer.from(secured.headers.authorization!.replace('Basic ', ''), 'base64').toString()).toBe('trendmon:p@ss');
  });

  it('keeps the labels and annotations, adds the demand figures, and ends a firing alert at its validity', () => {
    const [alert] = alertsFor('SKU-1');
    const now = T0 + 6 * M;
    const firing = postableAlert(alert!, now + 4 * M, now);
    expect(firing.labels).toEqual(alert!.labels);
    expect(firing.labels).toMatchObject({ alertname: 'surge', dimension: 'sku', key: 'SKU-1', category: 'dresses', factory: 'porto' });
    expect(firing.annotations).toMatchObject({
      ...alert!.annotations,
      demand: alert!.demand.summary,
      extra_units_24h: String(alert!.demand.next24h.extra),
      extra_units_7d: String(alert!.demand.next7d.extra),
      extra_units_7d_low: String(alert!.demand.next7d.low),
      extra_units_7d_high: String(alert!.demand.next7d.high),
    });
    expect(Object.values(firing.annotations).every((value) => typeof value === 'string')).toBe(true);
    expect(firing).toMatchObject({ startsAt: new Date(T0).toISOString(), endsAt: new Date(now + 4 * M).toISOString() });
    // Resolved: its end, or now when the end (event time) is ahead of the clock.
    expect(postableAlert({ ...alert!, endsAt: now - S }, now + 4 * M, now).endsAt).toBe(new Date(now - S).toISOString());
    expect(postableAlert({ ...alert!, endsAt: now + S }, now + 4 * M, now).endsAt).toBe(new Date(now).toISOString());
  });
});

/** The feed against scripted Alertmanagers; `down` ones answer like a refused connection. */
function harness(resendIntervalMs = M, names = ['http://am-1:9093']) {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = START;
  const down = new Set<string>();
  const received: { at: number; target: string; alerts: readonly PostableAlert[] }[] = [];
  const posts: AlertmanagerPost[] = [];
  const feed = new AlertmanagerFeed({
    targets: names.map(alertmanagerTarget),
    resendIntervalMs,
    scheduler,
    onPost: (post) => posts.push({ ...post, at: post.at - START }),
    post: async (target: AlertmanagerTarget, alerts) => {
      if (down.has(target.name)) return { ok: false, permanent: false, detail: 'ECONNREFUSED' };
      received.push({ at: scheduler.now() - START, target: target.name, alerts });
      return { ok: true, permanent: false, detail: 'HTTP 200' };
    },
  });
  return {
    feed,
    down,
    received,
    posts,
    /**
     * Runs every timer due up to `t` (ms), one instant at a time, letting the posts started at
     * an instant settle before the clock moves on, and leaves the clock at `t`.
     */
    async at(t: number) {
      for (let next = scheduler.actions[0]; next && next.delay <= START + t; next = scheduler.actions[0]) {
        scheduler.maxFrames = next.delay;
        scheduler.flush();
        await new Promise((resolve) => setImmediate(resolve));
      }
      scheduler.frame = START + t;
    },
    /** `time: key(firing|resolved) ...` per post received. */
    log: () =>
      received.map(
        (r) =>
          `${r.at / S}s ${r.target.replace('http://', '').replace(':9093', '')}: ${r.alerts
            .map((a) => `${a.labels.key}${Date.parse(a.endsAt) > START + r.at ? '' : '(resolved)'}`)
            .join(' ')}`,
      ),
  };
}

describe('Alertmanager: the re-post loop (virtual time)', () => {
  it('posts news at once, everything every resend interval, and firing alerts valid for four intervals', async () => {
    const h = harness();
    const [a, b] = alertsFor('A', 'B');
    h.feed.update(a!);
    await h.at(10 * S);
    h.feed.update(b!);
    // Not news: the same alert re-described (a new score) waits for the next re-post.
    h.feed.update({ ...a!, annotations: { ...a!.annotations, summary: 'stronger' } });
    await h.at(2 * M + 30 * S);
    expect(h.received.map((r) => [r.at / S, r.alerts.map((x) => x.labels.key).join(',')])).toEqual([
      [0, 'A'],
      [10, 'B'],
      [60, 'A,B'],
      [120, 'A,B'],
    ]);
    expect(h.received[2]!.alerts[0]!.annotations.summary).toBe('stronger');
    for (const post of h.received) {
      for (const alert of post.alerts) expect(Date.parse(alert.endsAt)).toBe(START + post.at + 4 * M);
    }
    expect(h.posts.filter((p) => p.news.length > 0).map((p) => [p.at / S, p.news.map((x) => x.labels.key).join(','), p.attempt])).toEqual([
      [0, 'A', 1],
      [10, 'B', 1],
    ]);
    await h.feed.stop();
  });

  it('posts a resolution at once, re-posts it for 15 minutes, then forgets it', async () => {
    const h = harness();
    const [a] = alertsFor('A');
    h.feed.update(a!);
    await h.at(30 * S);
    h.feed.update(resolved(a!, 30 * S));
    await h.at(30 * S);
    expect(h.received.at(-1)).toMatchObject({ at: 30 * S, alerts: [{ labels: { key: 'A' }, endsAt: new Date(START + 30 * S).toISOString() }] });
    await h.at(30 * S + RESOLVED_RETENTION_MS + 2 * M);
    const carrying = h.received.filter((r) => r.alerts.length > 0).map((r) => r.at);
    expect(carrying.at(-1)! - 30 * S).toBeLessThanOrEqual(RESOLVED_RETENTION_MS + M);
    expect(h.feed.size).toBe(0);
    // Nothing held: nothing posted.
    expect(h.received.filter((r) => r.at > 30 * S + RESOLVED_RETENTION_MS + M)).toEqual([]);
    await h.feed.stop();
  });

  it('retries an Alertmanager that is down with back-off, and its first post once back carries everything, news included', async () => {
    const h = harness(M, ['http://am-1:9093', 'http://am-2:9093']);
    const [a, b] = alertsFor('A', 'B');
    h.down.add('http://am-2:9093');
    h.feed.update(a!);
    await h.at(5 * S);
    h.feed.update(resolved(a!, 5 * S));
    h.feed.update(b!);
    await h.at(3 * M);
    // am-1 heard everything as it happened; am-2 heard nothing.
    expect(h.log().filter((line) => line.includes('am-1')).slice(0, 3)).toEqual(['0s am-1: A', '5s am-1: A(resolved) B', '60s am-1: A(resolved) B']);
    expect(h.log().filter((line) => line.includes('am-2'))).toEqual([]);
    const failed = h.posts.filter((p) => p.target.name === 'http://am-2:9093');
    const delays = failed.slice(1).map((p, i) => (p.at - failed[i]!.at) / S);
    // Back-off: doubling with jitter (each step at least half of 1 s, 2 s, 4 s, ...), capped at the resend interval.
    delays.forEach((delay, i) => expect(delay).toBeGreaterThanOrEqual(Math.min(60, 2 ** i) / 2));
    expect(Math.max(...delays)).toBeLessThanOrEqual(60);
    expect(failed.map((p) => p.attempt)).toEqual(failed.map((_, i) => i + 1));

    h.down.delete('http://am-2:9093');
    await h.at(5 * M);
    const back = h.received.find((r) => r.target === 'http://am-2:9093')!;
    expect(back.alerts.map((x) => x.labels.key).sort()).toEqual(['A', 'B']);
    const taken = h.posts.find((p) => p.target.name === 'http://am-2:9093' && p.result.ok)!;
    expect(taken.news.map((x) => `${x.labels.key}${x.endsAt === undefined ? '' : '(resolved)'}`).sort()).toEqual(['A(resolved)', 'B']);
    expect(taken.attempt).toBe(failed.length + 1);
    await h.feed.stop();
  });
});

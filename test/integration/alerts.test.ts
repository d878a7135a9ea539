/**
 * Alerting end to end, in the app's process with a real nats-server and
 * chDB: simulated traffic with surges, a real local HTTP receiver (signed
 * webhooks) and a NATS subscriber on `alerts.trend`.
 *
 * Event time follows the wall clock (the pump publishes up to "now" every
 * 250 ms), with 10 s windows sliding by 1 s, and alert timings shrunk in the
 * rule file: group wait 4 s, group interval 1 s, repeat interval 6 s.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookAlert, WebhookBody } from '../../src/alerts/payload.js';
import type { AlertView } from '../../src/alerts/view.js';
import { generateCatalog } from '../../src/sim/index.js';
import { TestReceiver, TrafficPump } from '../helpers/alerts.js';
import { appState, eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const SECRET = 'integration-test-signing-secret';
const REPEAT_MS = 6_000;
const GROUP_INTERVAL_MS = 1_000;
/** Two knitwear items (a group by category), a dress (silenced), a coat (receiver down). */
const GROUPED = ['SKU-0011', 'SKU-0047'];
const SILENCED = 'SKU-0010';
const OUTAGE = 'SKU-0025';

const RULES = `{
  // Planners of knitwear and friends: any item taking off for 2 s of event time.
  "projection": { "persistence": "2d", "interval": 0.8 },
  "rules": [
    { "name": "item-surge", "scope": { "dimension": "sku" }, "minScore": 4, "minVolume": 20, "minDuration": "2s",
      "labels": { "team": "planning", "factory": "porto" } }
  ],
  "route": { "receiver": "planners", "groupBy": ["category", "factory"],
             "groupWait": "4s", "groupInterval": "1s", "repeatInterval": "6s" },
  "receivers": [
    { "name": "planners",
      "webhooks": [{ "url": "\${ALERT_WEBHOOK_URL}", "secret": "\${ALERT_WEBHOOK_SECRET}", "timeout": "2s",
                     "retry": { "initial": "200ms", "max": "1s" } }],
      "nats": {} }
  ]
}`;

const alertsOf = (bodies: readonly WebhookBody[], key: string): (WebhookAlert & { notificationId: string; at: number })[] =>
  bodies.flatMap((b, at) => b.alerts.filter((a) => a.labels.key === key).map((a) => ({ ...a, notificationId: b.notificationId, at })));

describe('alerts: surge -> grouped, signed notifications with projected demand -> webhook and NATS', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let app: TestApp;
  let pump: TrafficPump;
  let subscription: Subscription;
  const receiver = new TestReceiver(SECRET);
  const published: WebhookBody[] = [];
  let rulesPath: string;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    await receiver.start();
    const dir = mkdtempSync(join(tmpdir(), 'trendmon-alerts-'));
    rulesPath = join(dir, 'alerts.json');
    writeFileSync(rulesPath, RULES);
    app = await startTestApp(nats.url, {
      WINDOW: '10s',
      SLIDE: '1s',
      ALLOWED_LATENESS: '1s',
      BATCH_MAX_WAIT: '100ms',
      ALERTS_CONFIG: rulesPath,
      ALERT_WEBHOOK_URL: receiver.url,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    subscription = nc.subscribe('alerts.trend', {
      callback: (_err, msg) => {
        published.push(msg.json<WebhookBody>());
      },
    });
    pump = new TrafficPump(nc, generateCatalog(7), { seed: 7, ratePerSec: 300, historyMs: 60_000 });
    await pump.start();
  });

  afterAll(async () => {
    subscription?.unsubscribe();
    await pump?.stop();
    await app?.stop();
    await receiver.stop();
    await nats?.stop();
  });

  it('a surge produces one grouped alert with projected demand, signed, also on alerts.trend', { timeout: 60_000 }, async () => {
    pump.surge(GROUPED, 16_000);
    const first = await eventually(
      () => receiver.accepted.find((b) => b.alerts.some((a) => GROUPED.includes(a.labels.key!))),
      40_000,
      200,
      () => appState(app, GROUPED.map((key) => ({ dimension: 'sku', key }))),
    );
    expect(first).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'planners',
      groupLabels: { category: 'knitwear', factory: 'porto' },
      commonLabels: { alertname: 'item-surge', category: 'knitwear', dimension: 'sku', factory: 'porto', team: 'planning' },
      truncatedAlerts: 0,
    });
    expect(first.groupKey).toBe('{}:{category="knitwear", factory="porto"}');
    // Both items are in the group's first notification; another knitwear item may join it when
    // the surges' searches ("cashmere turtleneck") name it too: searches lead sales.
    expect(first.alerts.map((a) => a.labels.key)).toEqual(expect.arrayContaining(GROUPED));
    for (const alert of first.alerts) {
      expect(alert.status).toBe('firing');
      expect(alert.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(alert.endsAt).toBe('0001-01-01T00:00:00Z');
      expect(Date.parse(alert.startsAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(alert.annotations.summary).toMatch(/is taking off/);
      expect(alert.annotations.demand).toMatch(/^\+[\d,]+ units\/7 d, 80% interval [\d,]+-[\d,]+$/);
      expect(alert.demand.next7d.extra).toBeGreaterThan(0);
      expect(alert.demand.next7d.low).toBeLessThan(alert.demand.next7d.extra);
      expect(alert.demand.next7d.high).toBeGreaterThan(alert.demand.next7d.extra);
      if (GROUPED.includes(alert.labels.key!)) expect(alert.demand.basis.leadingSignal).toBe('view');
    }
    const request = receiver.requests.find((r) => r.body.notificationId === first.notificationId)!;
    expect(request.signed).toBe(true);
    expect(request.headers['x-trendmon-notification']).toBe(first.notificationId);
    await eventually(() => published.some((b) => b.notificationId === first.notificationId));
    expect(published.find((b) => b.notificationId === first.notificationId)).toEqual(first);

    const active = (await (await fetch(`${app.url}/api/alerts`)).json()) as { active: AlertView[] };
    expect(active.active.filter((a) => GROUPED.includes(a.key)).map((a) => a.category)).toEqual(['knitwear', 'knitwear']);
  });

  it('repeats respect the intervals while the surge lasts', { timeout: 60_000 }, async () => {
    const group = () => receiver.accepted.filter((b) => b.groupKey === '{}:{category="knitwear", factory="porto"}' && b.status === 'firing');
    await eventually(() => group().length >= 2, 30_000);
    const ids = receiver.requests
      .filter((r) => r.status === 200 && r.body.groupKey === '{}:{category="knitwear", factory="porto"}' && r.body.status === 'firing')
      .map((r) => r.body.notificationId);
    // When each notification was formed (its `queued` history row): arrival times add the delivery path's jitter.
    const queued = await eventually(async () => {
      const rows = await app.sql<{ id: string; at: string }>(
        `SELECT alert_id AS id, toUnixTimestamp64Milli(min(sent_at)) AS at FROM trendmon.alerts
         WHERE outcome = 'queued' AND integration = 'webhook-0' AND alert_id IN ('${ids.join("','")}') GROUP BY alert_id`,
      );
      return rows.length === ids.length ? new Map(rows.map((r) => [r.id, Number(r.at)])) : undefined;
    });
    const times = ids.map((id) => queued.get(id)!);
    for (let i = 1; i < times.length; i++) {
      const sameAlerts = group()[i]!.alerts.length === group()[i - 1]!.alerts.length;
      // A repeat of the same firing set waits the repeat interval; news waits at least a group interval.
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual((sameAlerts ? REPEAT_MS : GROUP_INTERVAL_MS) - 100);
    }
  });

  it('the end of the spike produces resolved, once', { timeout: 60_000 }, async () => {
    const resolved = await eventually(
      () => receiver.accepted.find((b) => b.groupKey === '{}:{category="knitwear", factory="porto"}' && b.alerts.some((a) => a.status === 'resolved')),
      50_000,
    );
    await eventually(() => GROUPED.every((key) => alertsOf(receiver.accepted, key).some((a) => a.status === 'resolved')), 20_000);
    for (const key of GROUPED) {
      const ends = alertsOf(receiver.accepted, key).filter((a) => a.status === 'resolved');
      expect(ends).toHaveLength(1);
      expect(Date.parse(ends[0]!.endsAt)).toBeGreaterThan(Date.parse(ends[0]!.startsAt));
      expect(ends[0]!.annotations.description).toMatch(/Ended at/);
    }
    expect(resolved.receiver).toBe('planners');
    const history = await app.sql<{ outcome: string; n: string }>(
      `SELECT outcome, count() AS n FROM trendmon.alerts WHERE key IN ('${GROUPED.join("','")}') GROUP BY outcome ORDER BY outcome`,
    );
    expect(history.map((h) => h.outcome)).toEqual(['delivered', 'queued']);
    const recent = await eventually(async () => {
      const body = (await (await fetch(`${app.url}/api/alerts`)).json()) as { recent: { key: string; status: string; notifications: string }[] };
      const rows = body.recent.filter((r) => GROUPED.includes(r.key));
      return rows.length === 2 && rows.every((r) => r.status === 'resolved') ? rows : undefined;
    });
    expect(recent.every((r) => Number(r.notifications) >= 2)).toBe(true);
  });

  it('a silence suppresses, and expiring it lets the alert through', { timeout: 60_000 }, async () => {
    const created = await fetch(`${app.url}/api/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [`key=${SILENCED}`], duration: '10m', createdBy: 'test', comment: 'known promotion' }),
    });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string; state: string };
    expect(silence.state).toBe('active');
    pump.surge([SILENCED], 20_000);
    const muted = await eventually(async () => {
      const body = (await (await fetch(`${app.url}/api/alerts`)).json()) as { active: AlertView[] };
      return body.active.find((a) => a.key === SILENCED && a.silencedBy.includes(silence.id));
    }, 40_000);
    expect(muted.status).toBe('firing');
    await eventually(async () => {
      const rows = await app.sql<{ detail: string }>(`SELECT detail FROM trendmon.alerts WHERE key = '${SILENCED}' AND outcome = 'suppressed'`);
      return rows.some((r) => r.detail === `silenced by ${silence.id}`);
    });
    expect(alertsOf(receiver.requests.map((r) => r.body), SILENCED)).toEqual([]);

    expect((await fetch(`${app.url}/api/silences/${silence.id}`, { method: 'DELETE' })).status).toBe(200);
    await eventually(() => alertsOf(receiver.accepted, SILENCED).some((a) => a.status === 'firing'), 15_000);
  });

  it('a receiver down for a while then back gets every alert, once', { timeout: 150_000 }, async () => {
    const queued = async (status: string) => {
      const rows = await app.sql<{ n: string }>(
        `SELECT count() AS n FROM trendmon.alerts WHERE key = '${OUTAGE}' AND outcome = 'queued' AND status = '${status}'`,
      );
      return Number(rows[0]?.n ?? 0) > 0;
    };
    receiver.failing = true;
    const downAt = Date.now();
    pump.surge([OUTAGE], 8_000);
    await eventually(() => queued('firing'), 40_000);
    await eventually(() => receiver.requests.filter((r) => r.status === 503 && r.at >= downAt).length >= 3, 20_000);
    await receiver.stop(); // from 503s to refused connections
    // Meanwhile the surge ends: its resolution queues behind what is waiting.
    await eventually(() => queued('resolved'), 60_000);
    // What waits for the webhook while it is away (asked before it is back, so none can slip through meanwhile).
    const queuedIds = await app.sql<{ id: string; t: number }>(
      `SELECT alert_id AS id, toUnixTimestamp64Milli(min(sent_at)) AS t FROM trendmon.alerts
       WHERE outcome = 'queued' AND integration = 'webhook-0' GROUP BY alert_id ORDER BY t`,
    );
    const queuedAt = new Map(queuedIds.map((r) => [r.id, Number(r.t)]));
    const waiting = queuedIds.map((r) => r.id).filter((id) => !receiver.accepted.some((b) => b.notificationId === id));
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    receiver.failing = false;
    await receiver.start();

    // Everything queued for the webhook while it was away arrives, each notification once, in order.
    await eventually(() => waiting.every((id) => receiver.accepted.some((b) => b.notificationId === id)), 60_000);
    const accepted = receiver.accepted.map((b) => b.notificationId);
    expect(new Set(accepted).size).toBe(accepted.length);
    // In queue order: the history's queued times order them, except two queued in the
    // same few milliseconds, whose rows cannot tell which the outbox took first.
    const delivered = accepted.filter((id) => waiting.includes(id));
    expect(delivered.sort()).toEqual([...waiting].sort());
    const inOrder = accepted.filter((id) => waiting.includes(id));
    for (let i = 1; i < inOrder.length; i++) {
      expect(queuedAt.get(inOrder[i]!)! - queuedAt.get(inOrder[i - 1]!)!, `${inOrder[i - 1]} then ${inOrder[i]}`).toBeGreaterThan(-5);
    }

    const got = alertsOf(receiver.accepted, OUTAGE);
    expect(new Set(got.map((a) => a.fingerprint)).size).toBe(1);
    expect(got[0]!.status).toBe('firing');
    expect(got.filter((a) => a.status === 'resolved')).toHaveLength(1);
    expect(got.at(-1)!.status).toBe('resolved');
    const [failed] = await app.sql<{ n: string }>(`SELECT count() AS n FROM trendmon.alerts WHERE outcome = 'failed' AND sent_at >= fromUnixTimestamp64Milli(${downAt})`);
    expect(Number(failed!.n)).toBeGreaterThanOrEqual(3);
  });

  it('manages rules through the API, and reloads the file only when it is valid', async () => {
    const put = (body: unknown) =>
      fetch(`${app.url}/api/alerts/rules`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const rules = async () => ((await (await fetch(`${app.url}/api/alerts/rules`)).json()) as { rules: { name: string; source: string; minScore: number }[] }).rules;

    const ok = await put({ rules: [{ name: 'linen-searches', scope: { dimension: 'term', key: 'linen' }, minScore: 6, labels: { team: 'womenswear' } }] });
    expect(ok.status).toBe(200);
    const described = (await ok.json()) as { rules: { name: string; source: string }[]; receivers: { webhooks: { url: string; signed: boolean }[] }[] };
    expect(described.rules.map((r) => `${r.name}:${r.source}`)).toEqual(['item-surge:file', 'linen-searches:api']);
    expect(described.receivers[0]!.webhooks[0]).toEqual({ url: `${new URL(receiver.url).origin}/…`, signed: true, format: 'alertmanager', timeout: '2s' });
    expect(readFileSync(join(app.dataDir, 'alerts', 'api-rules.json'), 'utf8')).toMatch(/"linen-searches"/);

    const bad = await put({ rules: [{ name: 'x', minScore: 'high' }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'bad_request', problems: [{ where: 'request body', field: 'rules[0].minScore' }] });
    const clash = await put({ rules: [{ name: 'item-surge' }] });
    expect(((await clash.json()) as { problems: { reason: string }[] }).problems[0]!.reason).toMatch(/also defined in .*alerts\.json/);

    writeFileSync(rulesPath, RULES.replace('"minScore": 4', '"minScore": "four"'));
    const broken = await fetch(`${app.url}/api/alerts/reload`, { method: 'POST' });
    expect(broken.status).toBe(422);
    const problem = ((await broken.json()) as { problems: { where: string; field: string }[] }).problems[0]!;
    expect(problem.field).toBe('rules[0].minScore');
    expect(problem.where).toMatch(/:5:\d+$/);
    expect(problem.where.startsWith(`${rulesPath}:`)).toBe(true);
    expect((await rules()).find((r) => r.name === 'item-surge')!.minScore).toBe(4);

    writeFileSync(rulesPath, RULES.replace('"minScore": 4', '"minScore": 5'));
    process.emit('SIGHUP');
    await eventually(async () => (await rules()).find((r) => r.name === 'item-surge')!.minScore === 5, 5_000);
    expect((await rules()).map((r) => r.name)).toEqual(['item-surge', 'linen-searches']);
  });
});

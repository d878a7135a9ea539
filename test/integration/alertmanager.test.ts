/**
 * ALERTMANAGER_URL against a real Alertmanager (Debian's
 * prometheus-alertmanager 0.25): the app in this process with a real
 * nats-server and chDB, simulated traffic with surges, Alertmanager
 * grouping by alertname and category and notifying a webhook receiver in
 * this test, a silence made through Alertmanager's API, and Alertmanager
 * stopped and started again while an alert is news.
 *
 * trendmon reaches Alertmanager through a recorder that passes every
 * request on and notes what was posted when. Event time follows the wall
 * clock (10 s windows sliding by 1 s); trendmon re-posts every 2 s, so a
 * firing alert is valid for 8 s; Alertmanager waits 3 s before a group's
 * first notification and 1 s between updates. The figures of the run are
 * printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostableAlert } from '../../src/alerts/receivers/alertmanager.js';
import { generateCatalog } from '../../src/sim/index.js';
import { TestReceiver, TrafficPump } from '../helpers/alerts.js';
import { recordRequests, startAlertmanager, type AlertmanagerWebhook, type ApiRecorder, type TestAlertmanager } from '../helpers/alertmanager.js';
import { eventually, startTestApp, type TestApp } from '../helpers/app.js';
import { startTestNats, type TestNats } from '../helpers/nats.js';

const RESEND_MS = 2_000;
/** Two knitwear items (one group by category), a dress (silenced), a coat (beside it), shoes (Alertmanager down). */
const GROUPED = ['SKU-0011', 'SKU-0047'];
const SILENCED = 'SKU-0010';
const BESIDE = 'SKU-0025';
const OUTAGE = 'SKU-0007';

/** What decides what alerts; the embedded routing only publishes on NATS here. */
const RULES = `{
  "rules": [
    { "name": "item-surge", "scope": { "dimension": "sku" }, "minScore": 4, "minVolume": 20, "minDuration": "2s",
      "labels": { "team": "planning", "factory": "porto" } }
  ],
  "route": { "receiver": "bus" },
  "receivers": [{ "name": "bus", "nats": {} }]
}`;

const ALERTMANAGER_CONFIG = (webhookUrl: string) => ({
  route: { receiver: 'planners', group_by: ['alertname', 'category'], group_wait: '3s', group_interval: '1s', repeat_interval: '1h' },
  receivers: [{ name: 'planners', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
});

const firing = (alert: PostableAlert, at: number) => Date.parse(alert.endsAt) > at;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

describe('Alertmanager: trendmon posts its alerts, Alertmanager groups, silences and notifies', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let alertmanager: TestAlertmanager;
  let recorder: ApiRecorder<PostableAlert[]>;
  let app: TestApp;
  let pump: TrafficPump;
  const receiver = new TestReceiver('unused: Alertmanager does not sign');
  const figures: Record<string, unknown> = {};

  /** Notifications Alertmanager sent, with when they arrived. */
  const notifications = () => receiver.requests.map((r) => ({ at: r.at, body: r.body as unknown as AlertmanagerWebhook }));
  const notified = (key: string, status: 'firing' | 'resolved') =>
    notifications().filter((n) => n.body.alerts.some((a) => a.labels.key === key && a.status === status));
  /** trendmon's posts that Alertmanager took, each alert with its post's arrival. */
  const posted = (key: string) =>
    recorder.posts.filter((p) => p.status === 200).flatMap((p) => p.body.filter((a) => a.labels.key === key).map((alert) => ({ at: p.at, alert })));

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await nats.connect();
    await receiver.start();
    alertmanager = await startAlertmanager(ALERTMANAGER_CONFIG(receiver.url));
    recorder = await recordRequests<PostableAlert[]>(alertmanager.url);
    const dir = mkdtempSync(join(tmpdir(), 'trendmon-am-'));
    writeFileSync(join(dir, 'alerts.json'), RULES);
    app = await startTestApp(nats.url, {
      WINDOW: '10s',
      SLIDE: '1s',
      ALLOWED_LATENESS: '1s',
      BATCH_MAX_WAIT: '100ms',
      ALERTS_CONFIG: join(dir, 'alerts.json'),
      ALERTMANAGER_URL: recorder.url,
      ALERTMANAGER_RESEND_INTERVAL: `${RESEND_MS / 1000}s`,
    });
    pump = new TrafficPump(nc, generateCatalog(7), { seed: 7, ratePerSec: 300, historyMs: 60_000 });
    await pump.start();
    // Surge only once the windows run live (their clock holds for a while after a start with a backlog),
    // so the figures measure a spike's way to Alertmanager, not the start-up.
    await eventually(async () => {
      const window = await fetch(`${app.url}/api/window?dimension=sku&key=${GROUPED[0]}`);
      return window.ok && ((await window.json()) as { end: number }).end > Date.now() - 5_000;
    }, 90_000, 500);
  });

  afterAll(async () => {
    console.log(`alertmanager figures: ${JSON.stringify(figures)}`);
    await pump?.stop();
    await app?.stop();
    await recorder?.close();
    await alertmanager?.close();
    await receiver.stop();
    await nats?.stop();
  });

  it('a surge reaches Alertmanager\'s receiver as one group, with trendmon\'s labels, annotations and demand', { timeout: 90_000 }, async () => {
    const surgeAt = Date.now();
    pump.surge(GROUPED, 16_000);
    const first = await eventually(() => notifications().find((n) => n.body.alerts.some((a) => GROUPED.includes(a.labels.key!))), 60_000);
    // One group for the category: Alertmanager lists every firing alert of it in each notification, so
    // both items are in one (the first, unless the machine is so loaded that their spikes open more
    // than the group wait apart; another knitwear item may join: the surge's searches name it too).
    const both = await eventually(() => notifications().find((n) => GROUPED.every((key) => n.body.alerts.some((a) => a.labels.key === key && a.status === 'firing'))), 30_000);
    expect(both.body.groupKey).toBe(first.body.groupKey);
    expect(both.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'planners',
      groupLabels: { alertname: 'item-surge', category: 'knitwear' },
      commonLabels: { alertname: 'item-surge', category: 'knitwear', dimension: 'sku', factory: 'porto', team: 'planning' },
    });
    for (const alert of both.body.alerts) {
      expect(alert.status).toBe('firing');
      expect(alert.annotations.summary).toMatch(/is taking off/);
      expect(alert.annotations.demand).toMatch(/^\+[\d,]+ units\/7 d, 80% interval [\d,]+-[\d,]+$/);
      expect(Number(alert.annotations.extra_units_7d)).toBeGreaterThan(0);
      expect(alert.annotations.spike_id).toBe(`sku:${alert.labels.key}:${Date.parse(alert.startsAt)}`);
    }
    // Alertmanager's fingerprint is its own hash of the labels: the same alert, posted again, is the same alert there.
    const [held] = await alertmanager.alerts([`key="${GROUPED[0]}"`]);
    expect(held!.fingerprint).toBe(both.body.alerts.find((a) => a.labels.key === GROUPED[0])!.fingerprint);
    const firstPost = Math.min(...GROUPED.map((key) => posted(key)[0]!.at));
    const spikeStart = Math.min(...GROUPED.map((key) => Date.parse(posted(key)[0]!.alert.startsAt)));
    Object.assign(figures, {
      surgeToSpikeStartMs: spikeStart - surgeAt,
      surgeToWebhookMs: first.at - surgeAt,
      surgeToFirstPostMs: firstPost - surgeAt,
      firstPostToWebhookMs: first.at - firstPost,
      alertsInFirstNotification: first.body.alerts.length,
      bothInOneNotificationAfterMs: both.at - first.at,
    });
  });

  it('re-posts a firing alert before its endsAt, and Alertmanager keeps it firing meanwhile', { timeout: 60_000 }, async () => {
    await eventually(() => GROUPED.every((key) => posted(key).filter((p) => firing(p.alert, p.at)).length >= 3), 30_000);
    const [key] = GROUPED;
    const posts = posted(key!).filter((p) => firing(p.alert, p.at));
    for (const { at, alert } of posts) {
      expect(Date.parse(alert.startsAt)).toBe(Date.parse(posts[0]!.alert.startsAt));
      // Valid for four resend intervals from when trendmon posted it.
      expect(Date.parse(alert.endsAt)).toBeGreaterThan(at);
    }
    expect(notified(key!, 'resolved')).toEqual([]);
  });

  it('the end of the spike is posted resolved, and Alertmanager tells the receiver it resolved, with no notification for a re-post', { timeout: 90_000 }, async () => {
    await eventually(() => GROUPED.every((key) => notified(key, 'resolved').length > 0), 80_000);
    for (const key of GROUPED) {
      const resolution = posted(key).find((p) => !firing(p.alert, p.at))!;
      const [told] = notified(key, 'resolved');
      // trendmon re-posts a resolved alert (as Prometheus does), and each re-post puts it back in its group, so it
      // rides along when another alert of the group changes; but a re-post alone never makes a notification:
      // each one of the group tells something the one before did not.
      const group = notifications().filter((n) => n.body.groupKey === told!.body.groupKey);
      const states = group.map((n) => n.body.alerts.map((a) => `${a.fingerprint}:${a.status}`).sort().join(' '));
      for (let i = 1; i < states.length; i++) expect(states[i], `notification ${i} of ${key}'s group`).not.toBe(states[i - 1]);
      // Every resolution it was told is the one trendmon posted: the alert did not fire again and end anew.
      for (const n of notified(key, 'resolved')) {
        expect(Date.parse(n.body.alerts.find((a) => a.labels.key === key)!.endsAt)).toBe(Date.parse(resolution.alert.endsAt));
      }
      const alert = told!.body.alerts.find((a) => a.labels.key === key)!;
      expect(alert.annotations.summary).toMatch(/is no longer taking off/);
      // Alertmanager resolved it because trendmon said so (its end is the one trendmon posted), not because
      // a firing copy ran out (that end would be a re-post's endsAt).
      expect(told!.at).toBeGreaterThan(resolution.at);
      figures[`resolvedPostToWebhookMs:${key}`] = told!.at - resolution.at;
    }
  });

  it('a silence made in Alertmanager keeps its alert from the receiver, while an unsilenced one beside it arrives', { timeout: 90_000 }, async () => {
    const silenceId = await alertmanager.silence({ key: SILENCED }, 10 * 60_000, 'known promotion');
    pump.surge([SILENCED, BESIDE], 16_000);
    const suppressed = await eventually(async () => {
      const [held] = await alertmanager.alerts([`key="${SILENCED}"`]);
      return held?.status.state === 'suppressed' ? held : undefined;
    }, 60_000);
    expect(suppressed.status.silencedBy).toEqual([silenceId]);
    expect(suppressed.labels).toMatchObject({ alertname: 'item-surge', key: SILENCED, category: 'dresses' });
    // The alert beside it, posted at about the same time, goes through and resolves ...
    await eventually(() => notified(BESIDE, 'resolved').length > 0, 80_000);
    expect(notified(BESIDE, 'firing').length).toBeGreaterThan(0);
    // ... while the silenced one, posted all along, never reached the receiver.
    expect(posted(SILENCED).length).toBeGreaterThan(0);
    expect([...notified(SILENCED, 'firing'), ...notified(SILENCED, 'resolved')]).toEqual([]);
    figures.silencedAlertsPosted = posted(SILENCED).length;
    figures.silencedAlertsNotified = 0;
  });

  it('Alertmanager down while an alert fires: trendmon retries, and once it is back the alert arrives', { timeout: 120_000 }, async () => {
    await alertmanager.stop();
    const downAt = Date.now();
    pump.surge([OUTAGE], 30_000);
    // trendmon tried to tell it, and could not.
    await eventually(() => recorder.posts.filter((p) => p.status === 502 && p.body.some((a) => a.labels.key === OUTAGE)).length >= 2, 60_000);
    const failedPosts = recorder.posts.filter((p) => p.status === 502).length;
    await alertmanager.start();
    const backAt = Date.now();
    const told = await eventually(() => notified(OUTAGE, 'firing')[0], 60_000);
    expect(told.body.alerts.find((a) => a.labels.key === OUTAGE)).toMatchObject({ status: 'firing', labels: { category: 'shoes' } });
    const history = await eventually(async () => {
      const rows = await app.sql<{ outcome: string; n: string }>(
        `SELECT outcome, count() AS n FROM trendmon.alerts WHERE receiver = 'alertmanager' AND key = '${OUTAGE}' GROUP BY outcome ORDER BY outcome`,
      );
      return rows.some((r) => r.outcome === 'delivered') ? rows : undefined;
    });
    expect(history.map((r) => r.outcome)).toEqual(['delivered', 'failed']);
    Object.assign(figures, { outageMs: backAt - downAt, postsFailedDuringOutage: failedPosts, backToWebhookMs: told.at - backAt });
  });

  it('the Alertmanager configuration shown in docs/alerts.md is one Alertmanager accepts (amtool check-config)', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'alerts.md'), 'utf8');
    const shown = /An Alertmanager configuration for planners[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc);
    expect(shown, 'docs/alerts.md shows an Alertmanager configuration').not.toBeNull();
    const file = join(mkdtempSync(join(tmpdir(), 'trendmon-amtool-')), 'alertmanager.yml');
    writeFileSync(file, shown![1]!);
    const check = spawnSync('amtool', ['check-config', file], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS/);
  });

  it('counts what it sent on /metrics', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const sent = Number(/^trendmon_alertmanager_alerts_sent_total\{alertmanager="[^"]+"\} (\d+)/m.exec(text)?.[1]);
    const errors = Number(/^trendmon_alertmanager_errors_total\{alertmanager="[^"]+"\} (\d+)/m.exec(text)?.[1]);
    expect(sent).toBeGreaterThan(0);
    expect(errors).toBeGreaterThanOrEqual(2);
    // Over the whole run: the gaps between two posts carrying the same firing alert, and how long each post kept it valid.
    const firingPosts = recorder.posts.filter((p) => p.status === 200).flatMap((p) => p.body.filter((a) => firing(a, p.at)).map((a) => ({ at: p.at, alert: a })));
    const byAlert = new Map<string, typeof firingPosts>();
    for (const post of firingPosts) {
      const id = `${JSON.stringify(post.alert.labels)}@${post.alert.startsAt}`;
      byAlert.set(id, [...(byAlert.get(id) ?? []), post]);
    }
    const gaps = [...byAlert.values()].flatMap((posts) => posts.slice(1).map((p, i) => p.at - posts[i]!.at));
    const validity = firingPosts.map((p) => Date.parse(p.alert.endsAt) - p.at);
    Object.assign(figures, {
      repostIntervalMedianMs: median(gaps),
      repostIntervalP90Ms: [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length * 0.9)],
      repostIntervalMaxMs: Math.max(...gaps),
      repostGapsMeasured: gaps.length,
      firingValidityMedianMs: median(validity),
      alertsPostedDistinct: byAlert.size,
      groupsNotified: new Set(notifications().map((n) => n.body.groupKey)).size,
      postsToAlertmanager: recorder.posts.length,
      alertsSent: sent,
      postErrors: errors,
      notificationsReceived: receiver.requests.length,
    });
  });
});

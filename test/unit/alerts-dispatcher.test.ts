/**
 * The dispatcher's timing in virtual time: group wait, group interval,
 * repeat interval, resolved notifications, silences, inhibition, routing.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Dispatcher, type Notification, type Suppression } from '../../src/alerts/dispatcher.js';
import { parseAlertsConfig } from '../../src/alerts/rules.js';
import { Silences, SilenceError } from '../../src/alerts/silences.js';

interface TestAlert {
  readonly fingerprint: string;
  readonly labels: Record<string, string>;
  readonly endsAt?: number;
}

const S = 1000;
const M = 60 * S;

function harness(config: Record<string, unknown> = {}) {
  const parsed = parseAlertsConfig(
    JSON.stringify({
      route: { receiver: 'planners', groupBy: ['category'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
      receivers: [{ name: 'planners', nats: {} }, { name: 'porto', nats: {} }],
      ...config,
    }),
    'test',
    {},
  );
  const scheduler = new VirtualTimeScheduler();
  const sent: Notification<TestAlert>[] = [];
  const muted: Suppression<TestAlert>[] = [];
  const silences = new Silences(() => scheduler.now());
  let ids = 0;
  const dispatcher = new Dispatcher<TestAlert>({
    scheduler,
    route: parsed.route,
    inhibitRules: parsed.inhibitRules,
    silences,
    notify: (n) => sent.push(n),
    suppressed: (s) => muted.push(s),
    newId: () => `n${++ids}`,
  });
  return {
    dispatcher,
    silences,
    sent,
    muted,
    /** Runs every timer due up to `t` (ms), leaving the clock at `t`. */
    at(t: number) {
      scheduler.maxFrames = t;
      scheduler.flush();
      scheduler.frame = t;
    },
    /** What each notification said: `status@time: fingerprint:status, ...`. */
    log: () =>
      sent.map(
        (n) => `${n.status}@${n.at / S}s ${n.groupKey}: ${n.alerts.map((a) => `${a.fingerprint}${a.endsAt === undefined ? '' : '(resolved)'}`).join(',')}`,
      ),
  };
}

const alert = (fingerprint: string, labels: Record<string, string> = {}, endsAt?: number): TestAlert => ({
  fingerprint,
  labels: { alertname: 'trend', category: 'dresses', key: fingerprint, ...labels },
  ...(endsAt === undefined ? {} : { endsAt }),
});

describe('dispatcher: grouping and timing (virtual time)', () => {
  it('waits groupWait, then tells the alerts that arrived meanwhile in one notification', () => {
    const h = harness();
    h.dispatcher.upsert(alert('a'));
    h.at(10 * S);
    h.dispatcher.upsert(alert('b'));
    h.dispatcher.upsert(alert('x', { category: 'skirts' }));
    h.at(29 * S);
    expect(h.sent).toEqual([]);
    h.at(30 * S);
    expect(h.log()).toEqual(['firing@30s {}:{category="dresses"}: a,b']);
    h.at(40 * S);
    expect(h.log()).toEqual(['firing@30s {}:{category="dresses"}: a,b', 'firing@40s {}:{category="skirts"}: x']);
    expect(h.sent[0]).toMatchObject({ id: 'n1', receiver: 'planners', groupLabels: { category: 'dresses' } });
  });

  it('tells a new alert at the next group interval, and nothing when nothing changed', () => {
    const h = harness();
    h.dispatcher.upsert(alert('a'));
    h.at(30 * S);
    h.at(1 * M);
    h.dispatcher.upsert(alert('a')); // an update (new score) is not news
    h.dispatcher.upsert(alert('b'));
    h.at(5 * M + 29 * S);
    expect(h.sent).toHaveLength(1);
    h.at(5 * M + 30 * S);
    expect(h.log()[1]).toBe('firing@330s {}:{category="dresses"}: a,b');
    h.at(3 * 60 * M);
    expect(h.sent).toHaveLength(2);
  });

  it('repeats an unchanged group after repeatInterval, on the group interval grid', () => {
    const h = harness({ route: { receiver: 'planners', groupBy: ['category'], groupWait: '30s', groupInterval: '5m', repeatInterval: '1h' } });
    h.dispatcher.upsert(alert('a'));
    h.at(4 * 60 * M);
    const times = h.sent.map((n) => n.at / S);
    // 30 s, then the first interval tick at least 1 h later: 30 s + 12 x 5 m, and so on.
    expect(times).toEqual([30, 3630, 7230, 10_830]);
  });

  it('tells a resolved alert once, then forgets it; a group whose alerts all resolved goes away', () => {
    const h = harness();
    h.dispatcher.upsert(alert('a'));
    h.dispatcher.upsert(alert('b'));
    h.at(30 * S);
    h.dispatcher.upsert(alert('a', {}, 2 * M));
    h.at(5 * M + 30 * S);
    expect(h.log()[1]).toBe('firing@330s {}:{category="dresses"}: b,a(resolved)');
    expect(h.sent[1]!.status).toBe('firing');
    h.dispatcher.upsert(alert('b', {}, 6 * M));
    h.at(10 * M + 30 * S);
    expect(h.log()[2]).toBe('resolved@630s {}:{category="dresses"}: b(resolved)');
    expect(h.dispatcher.current()).toEqual([]);
    h.at(5 * 60 * M);
    expect(h.sent).toHaveLength(3);
  });

  it('does not tell a resolution of an alert that was never told', () => {
    const h = harness();
    h.dispatcher.upsert(alert('a'));
    h.at(10 * S);
    h.dispatcher.upsert(alert('a', {}, 10 * S));
    h.at(60 * M);
    expect(h.sent).toEqual([]);
    expect(h.dispatcher.current()).toEqual([]);
  });

  it('a silence mutes matching alerts (reported once), and its end lets them through', () => {
    const h = harness();
    const silence = h.silences.create({ matchers: ['key=b'], duration: '20m', createdBy: 'planner', comment: 'known promo' });
    h.dispatcher.upsert(alert('a'));
    h.dispatcher.upsert(alert('b'));
    h.at(30 * S);
    expect(h.log()).toEqual(['firing@30s {}:{category="dresses"}: a']);
    h.at(15 * M);
    expect(h.muted).toHaveLength(1);
    expect(h.muted[0]).toMatchObject({ alert: { fingerprint: 'b' }, silencedBy: [silence.id], inhibitedBy: [] });
    h.at(20 * M + 30 * S);
    expect(h.log()[1]).toBe('firing@1230s {}:{category="dresses"}: a,b');
    expect(h.silences.list()[0]!.state).toBe('expired');
  });

  it('expiring a silence early applies at the next flush', () => {
    const h = harness();
    const silence = h.silences.create({ matchers: ['category=~"dress.*"'], endsAt: new Date(24 * 60 * M).toISOString() });
    h.dispatcher.upsert(alert('a'));
    h.at(10 * M);
    expect(h.sent).toEqual([]);
    expect(h.silences.expire(silence.id)).toBe(true);
    expect(h.silences.expire(silence.id)).toBe(false);
    h.at(10 * M + 30 * S);
    expect(h.log()).toEqual(['firing@630s {}:{category="dresses"}: a']);
  });

  it('refuses silences that match everything or never end', () => {
    const h = harness();
    expect(() => h.silences.create({ matchers: [], duration: '1h' })).toThrow(/at least one matcher/);
    expect(() => h.silences.create({ matchers: ['key=a'] })).toThrow(SilenceError);
    expect(() => h.silences.create({ matchers: ['key'], duration: '1h' })).toThrow(/expected name, an operator/);
    expect(() => h.silences.create({ matchers: ['key=a'], duration: 'soon' })).toThrow(/not a duration/);
  });

  it('a firing category alert inhibits its own items, not other categories', () => {
    const h = harness({
      inhibitRules: [{ sourceMatchers: ['dimension=category'], targetMatchers: ['dimension=sku'], equal: ['category'] }],
    });
    h.dispatcher.upsert(alert('cat', { dimension: 'category' }));
    h.dispatcher.upsert(alert('sku1', { dimension: 'sku' }));
    h.dispatcher.upsert(alert('sku2', { dimension: 'sku', category: 'skirts' }));
    h.at(30 * S);
    expect(h.log().sort()).toEqual(['firing@30s {}:{category="dresses"}: cat', 'firing@30s {}:{category="skirts"}: sku2']);
    expect(h.muted.map((m) => [m.alert.fingerprint, m.inhibitedBy])).toEqual([['sku1', ['cat']]]);
    // The category settles; its item is news at the next interval.
    h.dispatcher.upsert(alert('cat', { dimension: 'category' }, 4 * M));
    h.at(5 * M + 30 * S);
    expect(h.log()).toContain('firing@330s {}:{category="dresses"}: sku1,cat(resolved)');
  });

  it('routes down the tree: the first matching child, further siblings with continue', () => {
    const h = harness({
      route: {
        receiver: 'planners',
        groupBy: ['factory'],
        groupWait: '10s',
        routes: [
          { matchers: ['factory=porto'], receiver: 'porto', continue: true },
          { matchers: ['team=womenswear'] },
          { matchers: ['factory=porto'], receiver: 'planners', groupWait: '1m' },
        ],
      },
    });
    h.dispatcher.upsert(alert('p', { factory: 'porto', team: 'womenswear' }));
    h.dispatcher.upsert(alert('q', { factory: 'izmir' }));
    h.at(2 * M);
    expect(h.sent.map((n) => `${n.receiver} ${n.groupKey}: ${n.alerts.map((a) => a.fingerprint).join(',')}`).sort()).toEqual([
      'planners {}/{team="womenswear"}:{factory="porto"}: p',
      'planners {}:{factory="izmir"}: q',
      'porto {}/{factory="porto"}:{factory="porto"}: p',
    ]);
  });

  it('a new configuration regroups without telling what was told again', () => {
    const h = harness();
    h.dispatcher.upsert(alert('a'));
    h.at(30 * S);
    const next = parseAlertsConfig(
      JSON.stringify({
        route: { receiver: 'planners', groupBy: ['category'], groupWait: '5s', groupInterval: '1m', repeatInterval: '4h' },
        receivers: [{ name: 'planners', nats: {} }],
      }),
      'test',
      {},
    );
    h.dispatcher.configure(next.route, next.inhibitRules);
    h.at(10 * M);
    expect(h.sent).toHaveLength(1);
    h.dispatcher.upsert(alert('b'));
    h.at(11 * M);
    // The rebuilt group flushed at 35 s, then every minute: 635 s.
    expect(h.log()[1]).toBe('firing@635s {}:{category="dresses"}: a,b');
  });
});

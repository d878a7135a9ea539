/**
 * Alertmanager's notification pipeline, minus the network: routing into
 * groups, group wait / group interval / repeat interval, deduplication,
 * resolved notifications, silences and inhibition. Pure apart from time,
 * which comes from an RxJS scheduler, so tests run it in virtual time.
 *
 * Per group (route + group labels):
 * - the first flush comes `groupWait` after the group's first alert, so
 *   alerts that arrive together are told together;
 * - then a flush every `groupInterval`, which notifies only when something
 *   changed: an alert not yet notified as firing, or a notified one that
 *   resolved; with no change, the same firing set is repeated once
 *   `repeatInterval` has passed since the last notification;
 * - a resolved alert is told once, and only if it was told as firing;
 * - muted alerts (silenced, or inhibited by a firing source alert) are left
 *   out, and reported once per change of reason.
 */
import { randomUUID } from 'node:crypto';
import type { SchedulerLike, Subscription } from 'rxjs';
import { matchesAll, type Labels } from './matchers.js';
import { groupKey, groupLabels, matchRoutes } from './routing.js';
import type { InhibitRule, RouteConfig } from './rules.js';

/** What the dispatcher needs of an alert. */
export interface Dispatchable {
  readonly fingerprint: string;
  readonly labels: Labels;
  /** Set once the alert is resolved. */
  readonly endsAt?: number;
}

export interface Notification<A extends Dispatchable> {
  /** Unique per notification: the receivers' idempotency key. */
  readonly id: string;
  readonly groupKey: string;
  readonly receiver: string;
  readonly groupLabels: Labels;
  /** `firing` while any alert in it fires. */
  readonly status: 'firing' | 'resolved';
  /** Firing alerts, then resolved ones. */
  readonly alerts: readonly A[];
  /** Scheduler time of the flush. */
  readonly at: number;
}

export interface MuteReasons {
  /** Ids of active silences matching the alert. */
  readonly silencedBy: readonly string[];
  /** Fingerprints of firing alerts that inhibit it. */
  readonly inhibitedBy: readonly string[];
}

export interface Suppression<A extends Dispatchable> extends MuteReasons {
  readonly alert: A;
  readonly groupKey: string;
  readonly receiver: string;
  readonly at: number;
}

export interface SilenceLookup {
  /** Ids of the silences active at `now` whose matchers all match `labels`. */
  silencing(labels: Labels, now: number): string[];
}

export interface DispatcherOptions<A extends Dispatchable> {
  readonly scheduler: SchedulerLike;
  readonly route: RouteConfig;
  readonly inhibitRules: readonly InhibitRule[];
  readonly silences: SilenceLookup;
  readonly notify: (notification: Notification<A>) => void;
  readonly suppressed?: (suppression: Suppression<A>) => void;
  readonly newId?: () => string;
}

interface Group {
  readonly key: string;
  readonly route: RouteConfig;
  readonly labels: Labels;
  readonly members: Set<string>;
  /** Mute reason last reported per alert, so each change is reported once. */
  readonly reported: Map<string, string>;
  timer?: Subscription;
}

/** What a group last told its receiver (Alertmanager's notification log). */
interface LogEntry {
  readonly firing: ReadonlySet<string>;
  readonly at: number;
}

export class Dispatcher<A extends Dispatchable> {
  private readonly alerts = new Map<string, A>();
  private readonly groups = new Map<string, Group>();
  private readonly log = new Map<string, LogEntry>();
  private route: RouteConfig;
  private inhibitRules: readonly InhibitRule[];
  private readonly newId: () => string;

  constructor(private readonly options: DispatcherOptions<A>) {
    this.route = options.route;
    this.inhibitRules = options.inhibitRules;
    this.newId = options.newId ?? randomUUID;
  }

  /** Adds or updates an alert (resolved when `endsAt` is set). */
  upsert(alert: A): void {
    this.alerts.set(alert.fingerprint, alert);
    this.place(alert);
  }

  /** Alerts held now: firing ones, and resolved ones not yet told. */
  current(): A[] {
    return [...this.alerts.values()];
  }

  /**
   * Applies a new routing tree and inhibition rules: groups are rebuilt
   * (starting with their group wait), while the notification log is kept,
   * so a group whose alerts were already told is not told again.
   */
  configure(route: RouteConfig, inhibitRules: readonly InhibitRule[]): void {
    this.route = route;
    this.inhibitRules = inhibitRules;
    for (const group of this.groups.values()) group.timer?.unsubscribe();
    this.groups.clear();
    for (const alert of this.alerts.values()) this.place(alert);
  }

  /** Why an alert is muted now, or undefined when it is not. */
  muteReasons(alert: A, now = this.options.scheduler.now()): MuteReasons | undefined {
    const silencedBy = this.options.silences.silencing(alert.labels, now);
    const inhibitedBy: string[] = [];
    for (const rule of this.inhibitRules) {
      if (!matchesAll(rule.targetMatchers, alert.labels)) continue;
      for (const source of this.alerts.values()) {
        if (
          source.fingerprint !== alert.fingerprint &&
          source.endsAt === undefined &&
          matchesAll(rule.sourceMatchers, source.labels) &&
          rule.equal.every((name) => (source.labels[name] ?? '') === (alert.labels[name] ?? '')) &&
          !inhibitedBy.includes(source.fingerprint)
        ) {
          inhibitedBy.push(source.fingerprint);
        }
      }
    }
    return silencedBy.length || inhibitedBy.length ? { silencedBy, inhibitedBy } : undefined;
  }

  /** Cancels every pending flush. */
  stop(): void {
    for (const group of this.groups.values()) group.timer?.unsubscribe();
    this.groups.clear();
  }

  private place(alert: A): void {
    for (const route of matchRoutes(this.route, alert.labels)) {
      const labels = groupLabels(route, alert.labels);
      const key = groupKey(route, labels);
      let group = this.groups.get(key);
      if (!group) {
        group = { key, route, labels, members: new Set(), reported: new Map() };
        this.groups.set(key, group);
        this.schedule(group, route.groupWaitMs);
      }
      group.members.add(alert.fingerprint);
    }
  }

  private schedule(group: Group, delayMs: number): void {
    group.timer = this.options.scheduler.schedule(() => this.flush(group), delayMs);
  }

  private flush(group: Group): void {
    const now = this.options.scheduler.now();
    const told = this.log.get(group.key);
    const firing: A[] = [];
    const resolved: A[] = [];
    for (const fingerprint of group.members) {
      const alert = this.alerts.get(fingerprint);
      if (!alert) continue;
      const muted = this.muteReasons(alert, now);
      if (muted) {
        this.reportMuted(group, alert, muted, now);
        continue;
      }
      group.reported.delete(fingerprint);
      if (alert.endsAt === undefined) firing.push(alert);
      else if (told?.firing.has(fingerprint)) resolved.push(alert);
    }
    const news = firing.some((alert) => !told?.firing.has(alert.fingerprint));
    const repeat = told !== undefined && firing.length > 0 && now - told.at >= group.route.repeatIntervalMs;
    if ((firing.length > 0 && (news || repeat)) || resolved.length > 0) {
      this.options.notify({
        id: this.newId(),
        groupKey: group.key,
        receiver: group.route.receiver,
        groupLabels: group.labels,
        status: firing.length > 0 ? 'firing' : 'resolved',
        alerts: [...firing, ...resolved],
        at: now,
      });
      this.log.set(group.key, { firing: new Set(firing.map((a) => a.fingerprint)), at: now });
    }
    this.dropResolved(group);
    if (group.members.size > 0) {
      this.schedule(group, group.route.groupIntervalMs);
    } else {
      this.groups.delete(group.key);
      this.log.delete(group.key);
    }
  }

  /** Resolved alerts leave the group after a flush, and the store once no group holds them. */
  private dropResolved(group: Group): void {
    for (const fingerprint of group.members) {
      if (this.alerts.get(fingerprint)?.endsAt === undefined) continue;
      group.members.delete(fingerprint);
      group.reported.delete(fingerprint);
      if (![...this.groups.values()].some((g) => g.members.has(fingerprint))) this.alerts.delete(fingerprint);
    }
  }

  private reportMuted(group: Group, alert: A, muted: MuteReasons, now: number): void {
    const reason = `${muted.silencedBy.join(',')}|${muted.inhibitedBy.join(',')}`;
    if (group.reported.get(alert.fingerprint) === reason) return;
    group.reported.set(alert.fingerprint, reason);
    this.options.suppressed?.({ alert, groupKey: group.key, receiver: group.route.receiver, at: now, ...muted });
  }
}

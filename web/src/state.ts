/**
 * What the wall knows, folded from feed messages. The ranked list comes from
 * `snapshot` and is replaced by each `ranking`; single `spike` messages patch
 * it in between. The feed sends no history, so each spike's sparkline is
 * built from the windows the wall itself has seen. Alerts likewise: the
 * snapshot's list, patched by `alert` messages.
 */
import type { AlertView } from '../../src/alerts/view.js';
import type { Counters } from '../../src/domain.js';
import type { FeedMessage, SnapshotMessage, SpikeView } from '../../src/feed/protocol.js';

/** Points kept per sparkline: three hours of 30 s windows. */
export const HISTORY_POINTS = 360;

/** How long a resolved alert stays up, so someone glancing sees it resolve rather than vanish. */
export const RESOLVED_ALERT_MS = 30_000;

export interface History {
  /** Window end (event time) of each point. */
  readonly t: number[];
  readonly volume: number[];
  readonly expected: number[];
  /** Bumped on every change, so a sparkline redraws only when needed. */
  version: number;
}

/** The parts of the screen a message changed. */
export interface Changes {
  readonly board: boolean;
  readonly counters: boolean;
  readonly header: boolean;
  readonly alerts: boolean;
}

const NOTHING: Changes = { board: false, counters: false, header: false, alerts: false };
const BOARD: Changes = { ...NOTHING, board: true };

export class WallState {
  /** Both boards' spikes: the rising ranking, then the falling one (`onBoard` picks). */
  spikes: readonly SpikeView[] = [];
  /** Rising searches the catalog lacks, ranked by the server (each with `unmet` set). */
  unmet: readonly SpikeView[] = [];
  counters: Counters | undefined;
  /** Biggest projected 7-day demand first, as the server ranks them. */
  alerts: readonly AlertView[] = [];
  window: SnapshotMessage['window'] | undefined;
  /** A snapshot has arrived: an empty board now means nothing is spiking. */
  synced = false;
  readonly history = new Map<string, History>();
  /** Wall time each spike first appeared after the first snapshot. */
  private readonly arrivals = new Map<string, number>();
  /**
   * Shown alerts told resolved: when (wall time), and the 7-day demand they
   * had while firing, which keeps their place in the list until they leave.
   */
  private readonly resolved = new Map<string, { readonly at: number; readonly rank: number }>();

  apply(message: FeedMessage, now: number): Changes {
    switch (message.type) {
      case 'snapshot': {
        const first = !this.synced;
        this.synced = true;
        this.window = message.window;
        this.counters = message.counters;
        this.unmet = message.unmet ?? [];
        this.setSpikes([...message.spikes, ...message.falling], first ? undefined : now);
        this.resolved.clear();
        this.alerts = this.byDemand(message.alerts ?? []);
        return { board: true, counters: true, header: true, alerts: true };
      }
      case 'ranking':
        this.setSpikes([...message.entries, ...message.falling], now);
        return BOARD;
      case 'unmet':
        this.unmet = message.entries;
        for (const entry of message.entries) this.record(entry, now);
        return BOARD;
      case 'spike': {
        const { type: _type, ...spike } = message;
        this.upsert(spike, now);
        return BOARD;
      }
      case 'counters': {
        const { type: _type, serverTime: _serverTime, ...counters } = message;
        this.counters = counters;
        return { ...NOTHING, counters: true };
      }
      case 'alert': {
        const { type: _type, ...alert } = message;
        return { ...NOTHING, alerts: this.upsertAlert(alert, now) };
      }
      case 'heartbeat':
        return NOTHING;
    }
  }

  /** Drops alerts resolved more than `RESOLVED_ALERT_MS` ago; true when any went. */
  pruneAlerts(now: number): boolean {
    const gone = new Set<string>();
    for (const [fingerprint, { at }] of this.resolved) if (now - at >= RESOLVED_ALERT_MS) gone.add(fingerprint);
    if (gone.size === 0) return false;
    for (const fingerprint of gone) this.resolved.delete(fingerprint);
    this.alerts = this.alerts.filter((a) => !gone.has(a.fingerprint));
    return true;
  }

  /** When a spike arrived live, or undefined if it was already there at start-up. */
  arrivedAt(spikeId: string): number | undefined {
    return this.arrivals.get(spikeId);
  }

  /** Adds or patches an alert; a resolution of one not shown changes nothing. */
  private upsertAlert(alert: AlertView, now: number): boolean {
    const shown = this.alerts.find((a) => a.fingerprint === alert.fingerprint);
    if (alert.status === 'resolved') {
      if (!shown) return false;
      if (!this.resolved.has(alert.fingerprint)) {
        this.resolved.set(alert.fingerprint, { at: now, rank: shown.demand.next7d.extra });
      }
    } else {
      this.resolved.delete(alert.fingerprint);
    }
    this.alerts = this.byDemand([...this.alerts.filter((a) => a !== shown), alert]);
    return true;
  }

  private byDemand(alerts: readonly AlertView[]): AlertView[] {
    const rank = (a: AlertView) => this.resolved.get(a.fingerprint)?.rank ?? a.demand.next7d.extra;
    return [...alerts].sort((a, b) => rank(b) - rank(a));
  }

  /** Replaces the list; forgets what dropped out (of it and of the unmet list) so a long-running wall stays small. */
  private setSpikes(spikes: readonly SpikeView[], now: number | undefined): void {
    this.spikes = spikes;
    const ids = new Set([...spikes, ...this.unmet].map((s) => s.spikeId));
    for (const id of this.history.keys()) if (!ids.has(id)) this.history.delete(id);
    for (const id of this.arrivals.keys()) if (!ids.has(id)) this.arrivals.delete(id);
    for (const spike of [...spikes, ...this.unmet]) this.record(spike, now);
  }

  /** Patches a spike in place, or slots a new one in by trend score. */
  private upsert(spike: SpikeView, now: number): void {
    const list = this.spikes.slice();
    const index = list.findIndex((s) => s.spikeId === spike.spikeId);
    if (index >= 0) {
      list[index] = spike;
    } else {
      const at = list.findIndex((s) => s.trendScore < spike.trendScore);
      list.splice(at < 0 ? list.length : at, 0, spike);
    }
    this.spikes = list;
    this.record(spike, now);
  }

  private record(spike: SpikeView, now: number | undefined): void {
    let history = this.history.get(spike.spikeId);
    if (!history) {
      history = { t: [], volume: [], expected: [], version: 0 };
      this.history.set(spike.spikeId, history);
      if (now !== undefined) this.arrivals.set(spike.spikeId, now);
    }
    const last = history.t.length - 1;
    const lastT = history.t[last];
    if (lastT !== undefined && spike.updatedAt < lastT) return; // late, already superseded
    if (lastT === spike.updatedAt) {
      if (history.volume[last] === spike.volume && history.expected[last] === spike.expected) return;
      history.volume[last] = spike.volume;
      history.expected[last] = spike.expected;
    } else {
      history.t.push(spike.updatedAt);
      history.volume.push(spike.volume);
      history.expected.push(spike.expected);
      if (history.t.length > HISTORY_POINTS) {
        history.t.shift();
        history.volume.shift();
        history.expected.shift();
      }
    }
    history.version++;
  }
}

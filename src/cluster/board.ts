/**
 * The board every wall shows: what each key partition's detector says,
 * merged into one ranking. With one instance the partitions report in
 * process; scaled out, each owner publishes on `trendmon.board.<partition>`
 * and every instance listens, so any instance's /ws shows the global board.
 */
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { rankSpikes, type Detection } from '../detect/detector.js';
import type { Direction } from '../domain.js';
import type { Spike } from '../domain.js';
import type { AlertView } from '../alerts/view.js';
import type { Counters } from '../domain.js';
import { ALERTS_BOARD_SUBJECT, BOARD_SUBJECTS, boardSubject, COUNTERS_SUBJECT } from '../../streams/cluster.js';

export interface PartitionDetection {
  readonly partition: number;
  readonly detection: Detection;
}

export type BoardListener = (update: PartitionDetection) => void;

/** How a partition's detections, and the alert manager's changes, reach every board. */
export interface BoardTransport {
  publish(update: PartitionDetection): void;
  publishAlert(alert: AlertView): void;
  close(): Promise<void>;
}

export class Board {
  private readonly rankings = new Map<number, readonly Spike[]>();
  private readonly firing = new Map<string, AlertView>();
  private readonly listeners: BoardListener[] = [];
  private readonly alertListeners: ((alert: AlertView) => void)[] = [];

  constructor(private readonly rankingSize: number) {}

  /** Called for every partition detection, after the board took it in. */
  onDetection(listener: BoardListener): void {
    this.listeners.push(listener);
  }

  /** Takes in one partition's detection (from this process or another instance). */
  receive(update: PartitionDetection): void {
    this.rankings.set(update.partition, update.detection.ranking);
    for (const listener of this.listeners) listener(update);
  }

  /** Called for every alert that fires, changes or resolves, wherever the alert manager runs. */
  onAlert(listener: (alert: AlertView) => void): void {
    this.alertListeners.push(listener);
  }

  receiveAlert(alert: AlertView): void {
    if (alert.status === 'firing') this.firing.set(alert.fingerprint, alert);
    else this.firing.delete(alert.fingerprint);
    for (const listener of this.alertListeners) listener(alert);
  }

  /** Alerts firing now, biggest projected 7-day demand first. */
  alerts(): AlertView[] {
    return [...this.firing.values()].sort((a, b) => b.demand.next7d.extra - a.demand.next7d.extra);
  }

  /** What is trending now across every partition: rising (the trending board), or falling. */
  ranking(direction: Direction = 'rising'): Spike[] {
    return rankSpikes([...this.rankings.values()].flat(), this.rankingSize, direction);
  }
}

/** The board in one process: detections go straight to it. */
export const localTransport = (board: Board): BoardTransport => ({
  publish: (update) => board.receive(update),
  publishAlert: (alert) => board.receiveAlert(alert),
  close: async () => undefined,
});

/** The board across instances: detections go out on core NATS and every instance's board takes them in. */
export function natsTransport(nc: NatsConnection, board: Board, log: Logger): BoardTransport {
  const subscription: Subscription = nc.subscribe(BOARD_SUBJECTS, {
    callback: (err, msg) => {
      if (err) return;
      try {
        board.receive(parseUpdate(msg.json()));
      } catch (error) {
        log.warn({ subject: msg.subject, err: (error as Error).message }, 'board message ignored');
      }
    },
  });
  const alerts: Subscription = nc.subscribe(ALERTS_BOARD_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      try {
        const alert = msg.json<AlertView>();
        if (typeof alert?.fingerprint !== 'string' || (alert.status !== 'firing' && alert.status !== 'resolved')) throw new Error('not an alert view');
        board.receiveAlert(alert);
      } catch (error) {
        log.warn({ subject: msg.subject, err: (error as Error).message }, 'board alert ignored');
      }
    },
  });
  return {
    publish: (update) => nc.publish(boardSubject(update.partition), JSON.stringify(update)),
    publishAlert: (alert) => nc.publish(ALERTS_BOARD_SUBJECT, JSON.stringify(alert)),
    close: async () => {
      subscription.unsubscribe();
      alerts.unsubscribe();
    },
  };
}

function parseUpdate(value: unknown): PartitionDetection {
  const update = value as PartitionDetection;
  const d = update?.detection;
  if (!Number.isInteger(update?.partition) || typeof d?.windowEnd !== 'number' || !Array.isArray(d.updates) || !Array.isArray(d.ranking)) {
    throw new Error('not a partition detection ({partition, detection: {windowEnd, updates, ranking}})');
  }
  return update;
}

interface InstanceCounters {
  readonly instance: string;
  readonly counters: Counters;
}

/**
 * The wall's big numbers across instances: each publishes its own every
 * second; rates and last-minute sums add up over the instances heard from
 * lately. Today's totals cannot be summed (each instance seeded them from the
 * store), so they come from the store, via `today`.
 */
export class ClusterCounters {
  private readonly latest = new Map<string, { counters: Counters; at: number }>();
  private readonly subscription: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly instance: string,
    private readonly local: () => Counters,
    private readonly today: () => { units: number; revenue: number },
  ) {
    this.subscription = nc.subscribe(COUNTERS_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const { instance, counters } = msg.json<InstanceCounters>();
          if (typeof instance === 'string' && typeof counters?.eventsPerSec === 'number') this.latest.set(instance, { counters, at: Date.now() });
        } catch {
          // not counters: ignore
        }
      },
    });
  }

  /** Publishes this instance's counters (call every second). */
  publish(): void {
    const message: InstanceCounters = { instance: this.instance, counters: this.local() };
    this.nc.publish(COUNTERS_SUBJECT, JSON.stringify(message));
  }

  read(): Counters {
    const fresh = Date.now() - 3_000;
    let eventsPerSec = 0;
    let salesLastMinute = 0;
    let revenueLastMinute = 0;
    const mine = this.local();
    const all = new Map(this.latest);
    all.set(this.instance, { counters: mine, at: Date.now() });
    for (const [instance, { counters, at }] of all) {
      if (at < fresh) {
        this.latest.delete(instance);
        continue;
      }
      eventsPerSec += counters.eventsPerSec;
      salesLastMinute += counters.salesLastMinute;
      revenueLastMinute += counters.revenueLastMinute;
    }
    const today = this.today();
    return {
      eventsPerSec,
      salesLastMinute,
      revenueLastMinute: Math.round(revenueLastMinute * 100) / 100,
      salesToday: today.units,
      revenueToday: Math.round(today.revenue * 100) / 100,
    };
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

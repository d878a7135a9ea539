/**
 * The board every wall shows: what each key partition's detector says,
 * merged into one ranking, and the alerts firing now. The topology brings
 * the partitions' detections and the alert manager's changes to it: in
 * process alone, over NATS from every instance scaled out.
 */
import { DEFAULT_DETECTOR_OPTIONS, rankSpikes, type Detection } from '../detect/detector.js';
import type { Direction, Spike } from '../domain.js';
import type { AlertView } from '../alerts/view.js';

export interface PartitionDetection {
  readonly partition: number;
  readonly detection: Detection;
}

export type BoardListener = (update: PartitionDetection) => void;

export class Board {
  private readonly rankings = new Map<number, readonly Spike[]>();
  private readonly firing = new Map<string, AlertView>();
  private readonly listeners: BoardListener[] = [];
  private readonly alertListeners: ((alert: AlertView) => void)[] = [];

  constructor(private readonly rankingSize = DEFAULT_DETECTOR_OPTIONS.rankingSize) {}

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

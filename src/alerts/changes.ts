/**
 * Which alert updates a live viewer (the wall) needs to hear about. The
 * evaluator re-describes every firing alert on each detector slide, and
 * most of those updates only nudge the score. A viewer is told when an
 * alert fires, when its demand line changes (rounded to two significant
 * digits, so it moves only when the projection does) or its muting changes,
 * and when it resolves.
 */
import type { AlertView } from './view.js';

export class AlertChanges {
  /** Fingerprint -> what the viewer was last told, for the alerts it knows firing. */
  private readonly told = new Map<string, string>();

  /** True when `view` should be told; remembers it as told. */
  changed(view: AlertView): boolean {
    // A resolution matters only for an alert the viewer was told is firing.
    if (view.status === 'resolved') return this.told.delete(view.fingerprint);
    const shown = JSON.stringify([view.demand.summary, view.silencedBy, view.inhibitedBy]);
    if (this.told.get(view.fingerprint) === shown) return false;
    this.told.set(view.fingerprint, shown);
    return true;
  }
}

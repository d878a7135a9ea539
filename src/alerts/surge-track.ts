/**
 * The path of each open spike, window by window: what the projection
 * matches against how past surges went. Pure and bounded: a spike keeps at
 * most MAX_POINTS points (older ones thinned, recent ones kept), and is
 * forgotten when it ends.
 */
import type { Spike } from '../domain.js';

/** One detector window of a spike. */
export interface TrackPoint {
  /** Window end, event time. */
  readonly end: number;
  /** Events above what the baseline expected in the window. */
  readonly excess: number;
  /** What the baseline expected. */
  readonly expected: number;
}

export interface SurgeTrack {
  readonly startedAt: number;
  /** Oldest first. */
  readonly points: readonly TrackPoint[];
}

const MAX_POINTS = 240;

export class SurgeTracks {
  private readonly tracks = new Map<string, { startedAt: number; points: TrackPoint[] }>();

  /** Adds a spike update to its track and returns the track; an ended spike's track is returned and forgotten. */
  update(spike: Spike): SurgeTrack {
    let track = this.tracks.get(spike.spikeId);
    if (!track) this.tracks.set(spike.spikeId, (track = { startedAt: spike.startedAt, points: [] }));
    const last = track.points[track.points.length - 1];
    const point = { end: spike.updatedAt, excess: spike.volume - spike.expected, expected: spike.expected };
    if (last?.end === point.end) track.points[track.points.length - 1] = point;
    else if (!last || point.end > last.end) track.points.push(point);
    if (track.points.length > MAX_POINTS) thin(track.points);
    if (spike.status === 'ended') this.tracks.delete(spike.spikeId);
    return { startedAt: track.startedAt, points: [...track.points] };
  }

  /** Forgets spikes with no update since `before` (event time): their end was never seen. */
  forgetStale(before: number): void {
    for (const [id, track] of this.tracks) {
      if ((track.points[track.points.length - 1]?.end ?? track.startedAt) < before) this.tracks.delete(id);
    }
  }

}

/** Drops every other point of the older half: detail stays where the spike is now. */
function thin(points: TrackPoint[]): void {
  const half = Math.floor(points.length / 2);
  const older = points.slice(0, half).filter((_, i) => i % 2 === 0);
  points.splice(0, half, ...older);
}

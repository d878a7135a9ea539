/**
 * What the wall knows, folded from feed messages. The ranked list comes from
 * `snapshot` and is replaced by each `ranking`; single `spike` messages patch
 * it in between. The feed sends no history, so each spike's sparkline is
 * built from the windows the wall itself has seen.
 */
import type { Counters, FeedMessage, SnapshotMessage, SpikeView } from '../../src/feed/protocol.js';

/** Points kept per sparkline: three hours of 30 s windows. */
export const HISTORY_POINTS = 360;

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
}

const NOTHING: Changes = { board: false, counters: false, header: false };

export class WallState {
  spikes: readonly SpikeView[] = [];
  counters: Counters | undefined;
  window: SnapshotMessage['window'] | undefined;
  /** A snapshot has arrived: an empty board now means nothing is spiking. */
  synced = false;
  readonly history = new Map<string, History>();
  /** Wall time each spike first appeared after the first snapshot. */
  private readonly arrivals = new Map<string, number>();

  apply(message: FeedMessage, now: number): Changes {
    switch (message.type) {
      case 'snapshot': {
        const first = !this.synced;
        this.synced = true;
        this.window = message.window;
        this.counters = message.counters;
        this.setSpikes(message.spikes, first ? undefined : now);
        return { board: true, counters: true, header: true };
      }
      case 'ranking':
        this.setSpikes(message.entries, now);
        return { board: true, counters: false, header: false };
      case 'spike': {
        const { type: _type, ...spike } = message;
        this.upsert(spike, now);
        return { board: true, counters: false, header: false };
      }
      case 'counters': {
        const { type: _type, serverTime: _serverTime, ...counters } = message;
        this.counters = counters;
        return { board: false, counters: true, header: false };
      }
      case 'heartbeat':
        return NOTHING;
    }
  }

  /** When a spike arrived live, or undefined if it was already there at start-up. */
  arrivedAt(spikeId: string): number | undefined {
    return this.arrivals.get(spikeId);
  }

  /** Replaces the list; forgets what dropped out so a long-running wall stays small. */
  private setSpikes(spikes: readonly SpikeView[], now: number | undefined): void {
    this.spikes = spikes;
    const ids = new Set(spikes.map((s) => s.spikeId));
    for (const id of this.history.keys()) if (!ids.has(id)) this.history.delete(id);
    for (const id of this.arrivals.keys()) if (!ids.has(id)) this.arrivals.delete(id);
    for (const spike of spikes) this.record(spike, now);
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

/**
 * The WebSocket feed's protocol: every message on `/ws` is one JSON object
 * of this discriminated union. The server (src/feed) and the wall (web/)
 * both import it, so the two cannot drift apart.
 *
 * Times are epoch milliseconds. Server -> wall only; the wall sends nothing
 * but pongs.
 */
import type { Spike } from '../domain.js';

export type { Dimension, SignalMix, SpikeStatus } from '../domain.js';

/** One spike as the wall draws it: the detector's spike plus catalog names. */
export interface SpikeView extends Spike {
  /** From the catalog when the key is a known sku. */
  readonly title?: string;
  readonly category?: string;
}

/** Live counters for the wall's big numbers, in processing time. */
export interface Counters {
  readonly eventsPerSec: number;
  readonly salesLastMinute: number;
  readonly revenueLastMinute: number;
  readonly salesToday: number;
  readonly revenueToday: number;
}

export interface SnapshotMessage {
  readonly type: 'snapshot';
  readonly serverTime: number;
  readonly window: { readonly sizeMs: number; readonly slideMs: number };
  /** Open spikes and recently ended ones, ranked. */
  readonly spikes: readonly SpikeView[];
  readonly counters: Counters;
}

export interface SpikeMessage extends SpikeView {
  readonly type: 'spike';
}

export interface RankingMessage {
  readonly type: 'ranking';
  /** Event time of the window end this ranking was computed at. */
  readonly windowEnd: number;
  readonly entries: readonly SpikeView[];
}

export interface CountersMessage extends Counters {
  readonly type: 'counters';
  readonly serverTime: number;
}

export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly serverTime: number;
}

export type FeedMessage =
  | SnapshotMessage
  | SpikeMessage
  | RankingMessage
  | CountersMessage
  | HeartbeatMessage;

export type FeedMessageType = FeedMessage['type'];

/**
 * The WebSocket feed's protocol: every message on `/ws` is one JSON object
 * of this discriminated union. The server (src/feed) and the wall (web/)
 * both import it, so the two cannot drift apart.
 *
 * Times are epoch milliseconds. Server -> wall only; the wall sends nothing
 * but pongs.
 */
import type { AlertView } from '../alerts/view.js';
import type { Counters, Spike } from '../domain.js';

/** What the catalog lacks for a rising search (src/detect/unmet.ts), with the closest items' titles. */
export interface UnmetView {
  /** Words no item has (or has together with the rest of the search), e.g. `["crochet"]`. */
  readonly missing: readonly string[];
  /** Share of the search's words the closest item has: 0 for nothing like it. */
  readonly strength: number;
  /** The closest catalog items, best first. */
  readonly nearest: readonly { readonly sku: string; readonly title?: string }[];
  /** Attributes (`name=value`) most searched together with what is missing, most first. */
  readonly coSearched: readonly string[];
}

/** One spike as the wall draws it: the detector's spike plus catalog names. */
export interface SpikeView extends Spike {
  /** From the catalog when the key is a known sku. */
  readonly title?: string;
  readonly category?: string;
  /** Set on a rising query or term the catalog does not cover: unmet demand. */
  readonly unmet?: UnmetView;
}

export interface SnapshotMessage {
  readonly type: 'snapshot';
  readonly serverTime: number;
  readonly window: { readonly sizeMs: number; readonly slideMs: number };
  /** Rising spikes, open and recently ended, ranked: the trending board. */
  readonly spikes: readonly SpikeView[];
  /** Falling spikes (stock-outs, broken listings), ranked: their own board. */
  readonly falling: readonly SpikeView[];
  readonly counters: Counters;
  /** Alerts firing now, biggest projected demand first (docs/alerts.md). */
  readonly alerts?: readonly AlertView[];
  /** Unmet demand now: rising searches the catalog lacks, ranked (each with `unmet` set). */
  readonly unmet?: readonly SpikeView[];
}

export interface SpikeMessage extends SpikeView {
  readonly type: 'spike';
}

export interface RankingMessage {
  readonly type: 'ranking';
  /** Event time of the window end this ranking was computed at. */
  readonly windowEnd: number;
  /** The trending board: rising spikes. */
  readonly entries: readonly SpikeView[];
  /** Falling spikes, ranked. */
  readonly falling: readonly SpikeView[];
}

/** Unmet demand after each detector window: the ranked list, replacing the last one. */
export interface UnmetMessage {
  readonly type: 'unmet';
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

/**
 * An alert fired, changed in a way a viewer would notice (its rounded
 * demand line, or whether it is muted), or resolved. Between messages the
 * wall keeps what it was last told; every snapshot carries the full list.
 */
export interface AlertMessage extends AlertView {
  readonly type: 'alert';
}

export type FeedMessage =
  | SnapshotMessage
  | SpikeMessage
  | RankingMessage
  | UnmetMessage
  | CountersMessage
  | HeartbeatMessage
  | AlertMessage;

export type FeedMessageType = FeedMessage['type'];

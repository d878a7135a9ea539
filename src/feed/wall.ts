/**
 * What the wall shows, over the `/ws` feed: the board's rankings with each
 * item's title and category and what shoppers lack, the alerts, and the big
 * numbers; a snapshot on connect, then live messages.
 */
import type { Server } from 'node:http';
import type { Detection } from '../detect/detector.js';
import type { UnmetDetails, UnmetTracker } from '../detect/unmet.js';
import type { Counters, Direction, Spike } from '../domain.js';
import type { Metrics } from '../metrics.js';
import type { Board } from '../pipeline/board.js';
import type { CatalogLookup } from '../windows/keys.js';
import type { SnapshotMessage, SpikeView, UnmetView } from './protocol.js';
import { FeedServer, type FeedServerOptions } from './server.js';

export interface WallOptions {
  /** The HTTP server whose port /ws shares. */
  readonly server: Server;
  readonly authorize: FeedServerOptions['authorize'];
  readonly board: Board;
  readonly catalog: CatalogLookup;
  readonly unmet: UnmetTracker;
  /** The big numbers: this instance's, or the cluster's. */
  readonly counters: () => Counters;
  readonly window: { readonly sizeMs: number; readonly slideMs: number };
  readonly metrics: Pick<Metrics, 'spikesOpen' | 'feedClients'>;
}

export class Wall {
  private readonly feed: FeedServer;
  private readonly countersTimer: NodeJS.Timeout;

  constructor(private readonly options: WallOptions) {
    const { server, authorize, board, metrics } = options;
    this.feed = new FeedServer({ server, authorize, snapshot: () => this.snapshot(), onClientCountChange: (n) => metrics.feedClients.set(n) });
    // Alerts reach the wall as they fire, change and resolve; snapshots carry the full list.
    board.onAlert((alert) => this.feed.broadcast({ type: 'alert', ...alert }));
    this.countersTimer = setInterval(() => this.feed.broadcast({ type: 'counters', serverTime: Date.now(), ...options.counters() }), 1000);
  }

  /** Shows a partition's detection: its spikes, then the board's rankings and unmet demand as they stand now. */
  show(detection: Detection): void {
    const ranking = this.ranking('rising');
    const falling = this.ranking('falling');
    this.options.metrics.spikesOpen.set([...ranking, ...falling].filter((s) => s.status !== 'ended').length);
    for (const spike of detection.updates) this.feed.broadcast({ type: 'spike', ...this.view(spike) });
    this.feed.broadcast({ type: 'ranking', windowEnd: detection.windowEnd, entries: ranking, falling });
    this.feed.broadcast({ type: 'unmet', windowEnd: detection.windowEnd, entries: this.unmetBoard() });
  }

  /** The board in one direction, as the wall shows it. */
  ranking(direction: Direction): SpikeView[] {
    return this.options.board.ranking(direction).map((spike) => this.view(spike));
  }

  /** Searches for what the catalog lacks, as the wall shows them. */
  unmetBoard(): SpikeView[] {
    return this.options.unmet.ranking().map(({ spike, unmet }) => ({ ...spike, unmet: this.unmetView(unmet) }));
  }

  async close(): Promise<void> {
    clearInterval(this.countersTimer);
    await this.feed.close();
  }

  private snapshot(): SnapshotMessage {
    const { board, counters, window } = this.options;
    return {
      type: 'snapshot',
      serverTime: Date.now(),
      window: { sizeMs: window.sizeMs, slideMs: window.slideMs },
      spikes: this.ranking('rising'),
      falling: this.ranking('falling'),
      counters: counters(),
      alerts: board.alerts(),
      unmet: this.unmetBoard(),
    };
  }

  private view(spike: Spike): SpikeView {
    const item = spike.dimension === 'sku' ? this.options.catalog(spike.key) : undefined;
    const lacking = this.options.unmet.describe(spike);
    return {
      ...spike,
      ...(item ? { title: item.title, category: item.category } : {}),
      ...(lacking ? { unmet: this.unmetView(lacking) } : {}),
    };
  }

  private unmetView(details: UnmetDetails): UnmetView {
    const { catalog } = this.options;
    return { ...details, nearest: details.nearest.map((sku) => ({ sku, ...(catalog(sku) ? { title: catalog(sku)!.title } : {}) })) };
  }
}

/**
 * An alert as people see it: the wall (live over /ws, src/feed/protocol.ts),
 * `GET /api/alerts` and the other instances' boards (src/cluster/board.ts).
 * Plain data, built from the alert state by the AlertManager.
 */
import type { Dimension } from '../domain.js';

/** Extra units a trend implies over one horizon, with its interval (docs/alerts.md, "Projection"). */
export interface DemandRangeView {
  /** What the baseline alone would sell. */
  readonly baseline: number;
  readonly extra: number;
  readonly low: number;
  readonly high: number;
}

/** An alert for planners: what is taking off, how strongly, since when, and the demand it implies. */
export interface AlertView {
  readonly fingerprint: string;
  /** The rule that raised it. */
  readonly alertname: string;
  readonly status: 'firing' | 'resolved';
  readonly dimension: Dimension;
  readonly key: string;
  /** From the catalog for sku alerts. */
  readonly title?: string;
  readonly category?: string;
  /** Every label, rule labels (team, factory, ...) included. */
  readonly labels: Readonly<Record<string, string>>;
  /** One line, e.g. `"Linen Midi Dress" (SKU-0010, dresses) is taking off: +1,420% vs baseline, score 12.4`. */
  readonly summary: string;
  readonly score: number;
  readonly pctAbove: number;
  /** Event time the spike opened. */
  readonly startsAt: number;
  /** Set once resolved. */
  readonly endsAt?: number;
  readonly demand: {
    /** Probability covered by low..high, e.g. 0.8. */
    readonly level: number;
    /** e.g. `+1,800 units/7 d, 80% interval 1,200-2,500`. */
    readonly summary: string;
    readonly next24h: DemandRangeView;
    readonly next7d: DemandRangeView;
    /** The 7-day extra units by variant (or item), largest first: "make 1,200 sage M". */
    readonly variants?: readonly { readonly sku: string; readonly label: string; readonly units: number }[];
  };
  /** Ids of silences muting it (nobody is notified while non-empty). */
  readonly silencedBy: readonly string[];
  /** Fingerprints of alerts inhibiting it, e.g. its category's alert. */
  readonly inhibitedBy: readonly string[];
}

/**
 * The ranked board. Rows are keyed by spikeId and updated in place, so a
 * sparkline survives re-ranking; moves are animated FLIP-style (measure,
 * reorder, then slide each row from where it was).
 */
import type { Dimension, Signal } from '../../src/domain.js';
import type { SpikeView } from '../../src/feed/protocol.js';
import { cell, h, setText } from './dom.js';
import {
  DIMENSION_LABELS,
  displayKey,
  formatClock,
  formatCompact,
  formatDuration,
  formatPctAbove,
} from './format.js';
import { Sparkline, type SparkColors } from './sparkline.js';
import type { WallState } from './state.js';

/** Row slots on screen; the stylesheet sizes them to fill the board exactly. */
export const BOARD_ROWS = 10;

/** How long a newly arrived spike glows. */
const ARRIVAL_GLOW_MS = 8_000;
const SLIDE_MS = 700;
const SIGNALS: readonly Signal[] = ['search', 'view', 'sale'];

export class BoardView {
  private readonly rows = new Map<string, Row>();
  private shown = BOARD_ROWS;

  constructor(
    board: HTMLElement,
    private readonly list: HTMLElement,
    private readonly empty: HTMLElement,
    private readonly colors: SparkColors,
    private readonly animate: boolean,
  ) {
    board.style.setProperty('--rows', String(BOARD_ROWS));
    this.reserve(0);
  }

  /**
   * Leaves the bottom `slots` row slots to another panel (the alerts). The
   * slots keep their size, so the rows above neither move nor resize.
   */
  reserve(slots: number): void {
    this.shown = BOARD_ROWS - slots;
    this.list.style.setProperty('--span', String(this.shown));
  }

  /** Shows the top of `spikes` (already filtered for this board). */
  render(spikes: readonly SpikeView[], state: WallState, now: number): void {
    const visible = spikes.slice(0, this.shown);
    const before = new Map<Row, number>();
    for (const row of this.rows.values()) {
      before.set(row, row.el.getBoundingClientRect().top);
      row.stopSliding();
    }

    const keep = new Set(visible.map((s) => s.spikeId));
    for (const [id, row] of this.rows) {
      if (keep.has(id)) continue;
      row.destroy();
      this.rows.delete(id);
    }

    visible.forEach((spike, index) => {
      let row = this.rows.get(spike.spikeId);
      const created = !row;
      if (!row) {
        row = new Row();
        this.rows.set(spike.spikeId, row);
      }
      const slot = this.list.children[index];
      if (slot !== row.el) this.list.insertBefore(row.el, slot ?? null);
      row.update(spike, index + 1, state, this.colors);
      const arrivedAt = state.arrivedAt(spike.spikeId);
      if (created && arrivedAt !== undefined && now - arrivedAt < ARRIVAL_GLOW_MS) {
        row.glow(ARRIVAL_GLOW_MS - (now - arrivedAt));
      }
    });

    this.empty.hidden = visible.length > 0 || !state.synced;

    if (!this.animate) return;
    for (const [row, top] of before) {
      if (!row.el.isConnected) continue;
      const dy = top - row.el.getBoundingClientRect().top;
      if (Math.abs(dy) >= 1) row.slide(dy);
    }
  }

  /** Call after the viewport changed size: canvases do not scale themselves. */
  resize(): void {
    for (const row of this.rows.values()) row.resize();
  }
}

/** One `<li>`; built once, then only its text and data change. */
class Row {
  readonly el = h('li', 'row');
  private readonly rank = h('span', 'row-rank');
  private readonly title = h('span', 'row-title');
  private readonly meta = h('span', 'row-meta');
  private readonly pct = h('span', 'row-pct');
  private readonly volume = h('span', 'row-volume');
  private readonly expected = h('span', 'row-expected');
  private readonly badge = h('span', 'row-badge');
  private readonly when = h('span', 'row-when');
  private readonly bar = h('span', 'drivers-bar');
  private readonly barParts = SIGNALS.map((signal) => h('span', `drivers-part signal-${signal}`));
  private readonly lead = h('span', 'drivers-lead');
  private readonly sparkHost = h('div', 'row-spark');
  private readonly glowEl = h('span', 'row-glow');
  private spark: Sparkline | undefined;
  private sliding: Animation | undefined;

  constructor() {
    this.el.dataset.testid = 'wall-row';
    this.bar.append(...this.barParts);
    this.el.append(
      this.glowEl,
      this.rank,
      cell('row-subject', this.title, this.meta),
      cell('row-surge', this.pct),
      cell('row-volumes', this.volume, this.expected),
      cell('row-state', this.badge, this.when),
      cell('row-drivers', this.bar, this.lead),
      this.sparkHost,
    );
  }

  update(spike: SpikeView, rank: number, state: WallState, colors: SparkColors): void {
    const data = this.el.dataset;
    data.spikeId = spike.spikeId;
    data.key = spike.key;
    data.dimension = spike.dimension;
    data.direction = spike.direction;
    data.status = spike.status;
    if (spike.unmet) data.unmet = spike.unmet.missing.join(' ');
    else delete data.unmet;
    if (spike.endReason) data.endReason = spike.endReason;
    else delete data.endReason;

    setText(this.rank, String(rank));
    setText(this.title, spike.title ?? displayKey(spike.dimension, spike.key));
    setText(this.meta, meta(spike));
    setText(this.pct, formatPctAbove(spike.pctAbove));
    setText(this.volume, formatCompact(spike.volume));
    setText(this.expected, `vs ${formatCompact(spike.expected)} expected`);
    // A spike that stayed up became the baseline: demand is higher for good, unlike one that faded.
    setText(this.badge, spike.status === 'ended' && spike.endReason === 'new-normal' ? 'new normal' : spike.status);
    setText(
      this.when,
      spike.status === 'ended' && spike.endedAt !== undefined
        ? `lasted ${formatDuration(spike.endedAt - spike.startedAt)}`
        : `since ${formatClock(spike.startedAt)}`,
    );
    this.drivers(spike);

    // Created lazily: uPlot sizes its canvas from the host, which needs layout.
    this.spark ??= new Sparkline(this.sparkHost, colors);
    const history = state.history.get(spike.spikeId);
    if (history) this.spark.update(history);
  }

  private drivers(spike: SpikeView): void {
    const total = SIGNALS.reduce((sum, s) => sum + Math.max(0, spike.drivers[s] ?? 0), 0);
    const shares = SIGNALS.map((s) => (total > 0 ? Math.max(0, spike.drivers[s] ?? 0) / total : 0));
    shares.forEach((share, i) => {
      const part = this.barParts[i];
      if (part) part.style.flexGrow = String(share);
    });
    // The detector's own reading of which signals carry the surge beats the
    // biggest share: a sku's views can outnumber searches while searches surge.
    const leadIndex = shares.indexOf(Math.max(...shares));
    const lead = SIGNALS[leadIndex];
    if (spike.drivenBy?.length) setText(this.lead, `driven by ${spike.drivenBy.join(' + ')}`);
    else setText(this.lead, total > 0 && lead ? `${lead} ${Math.round((shares[leadIndex] ?? 0) * 100)}%` : '');
    this.bar.title = SIGNALS.map((s, i) => `${s} ${Math.round((shares[i] ?? 0) * 100)}%`).join(' · ');
  }

  slide(dy: number): void {
    this.sliding = this.el.animate([{ transform: `translateY(${dy}px)` }, { transform: 'none' }], {
      duration: SLIDE_MS,
      easing: 'cubic-bezier(0.2, 0.8, 0.2, 1)',
    });
  }

  /** Ends a running slide so the row can be measured where it really is. */
  stopSliding(): void {
    this.sliding?.cancel();
    this.sliding = undefined;
  }

  /** A calm highlight that fades out; scripted, so it survives DOM moves. */
  glow(durationMs: number): void {
    this.glowEl.animate([{ opacity: 1 }, { opacity: 1, offset: 0.25 }, { opacity: 0 }], {
      duration: durationMs,
      easing: 'ease-out',
    });
  }

  resize(): void {
    this.spark?.resize();
  }

  destroy(): void {
    this.spark?.destroy();
    this.el.remove();
  }
}

/**
 * `Product · SKU-10482 · dresses`; a search also names what it is about: `Search · → SKU-10482, dresses`;
 * unmet demand says what the catalog lacks: `Not in the catalog: crochet · wanted in sage, linen · closest: Cotton Tote Bag`.
 */
function meta(spike: SpikeView): string {
  if (spike.unmet) return unmetMeta(spike.unmet);
  const parts = [DIMENSION_LABELS[spike.dimension]];
  if (spike.title !== undefined) parts.push(spike.key);
  if (spike.category !== undefined) parts.push(spike.category);
  if (spike.linkedTo?.length) parts.push(`→ ${spike.linkedTo.map(linkName).join(', ')}`);
  return parts.join(' · ');
}

/** `sku:SKU-10482` -> `SKU-10482`, `attribute:color=sage` -> `color: sage`. */
function linkName(link: string): string {
  const colon = link.indexOf(':');
  return displayKey(link.slice(0, colon) as Dimension, link.slice(colon + 1));
}

function unmetMeta(unmet: NonNullable<SpikeView['unmet']>): string {
  const parts = [`Not in the catalog: ${unmet.missing.join(' ')}`];
  if (unmet.coSearched.length) parts.push(`wanted in ${unmet.coSearched.map((a) => a.slice(a.indexOf('=') + 1)).join(', ')}`);
  const closest = unmet.nearest[0];
  if (closest) parts.push(`closest: ${closest.title ?? closest.sku}`);
  return parts.join(' · ');
}

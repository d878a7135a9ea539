/**
 * Alerts for factory planners, at the foot of the board: the alerts with
 * the biggest projected demand as cards, and how many are firing. The panel
 * takes the board's bottom row slots only while there are alerts, and the
 * rows above keep their size, so it comes and goes without shifting them.
 */
import type { AlertView } from '../../src/alerts/view.js';
import { h, setText } from './dom.js';
import { DIMENSION_LABELS, displayKey, formatClock, formatUnits } from './format.js';

/** Board row slots the panel takes: two hold a card's lines at wall-readable sizes. */
export const ALERT_SLOTS = 2;
/** Cards side by side; more would cut titles short at 16:9. */
const ALERT_CARDS = 2;

export interface AlertsPanelElements {
  readonly root: HTMLElement;
  readonly list: HTMLElement;
  readonly count: HTMLElement;
  readonly note: HTMLElement;
}

export class AlertsPanel {
  private readonly cards = new Map<string, Card>();

  constructor(private readonly els: AlertsPanelElements) {
    els.root.style.setProperty('--span', String(ALERT_SLOTS));
    els.list.style.setProperty('--cards', String(ALERT_CARDS));
  }

  /** Shows the top of `alerts` (biggest demand first); returns whether the panel is up. */
  render(alerts: readonly AlertView[]): boolean {
    const visible = alerts.slice(0, ALERT_CARDS);
    const keep = new Set(visible.map((a) => a.fingerprint));
    for (const [fingerprint, card] of this.cards) {
      if (keep.has(fingerprint)) continue;
      card.el.remove();
      this.cards.delete(fingerprint);
    }
    visible.forEach((alert, index) => {
      let card = this.cards.get(alert.fingerprint);
      if (!card) {
        card = new Card();
        this.cards.set(alert.fingerprint, card);
      }
      const slot = this.els.list.children[index];
      if (slot !== card.el) this.els.list.insertBefore(card.el, slot ?? null);
      card.update(alert);
    });

    const firing = alerts.filter((a) => a.status === 'firing').length;
    setText(this.els.count, String(firing));
    setText(this.els.note, alerts.length > ALERT_CARDS ? `firing\ntop ${ALERT_CARDS} shown` : 'firing');
    this.els.root.hidden = alerts.length === 0;
    return alerts.length > 0;
  }
}

/** One alert; built once, then only its text and data change. */
class Card {
  readonly el = h('article', 'alert');
  private readonly title = h('span', 'alert-title');
  private readonly badge = h('span', 'alert-badge');
  private readonly meta = h('span', 'alert-meta');
  private readonly summary = h('span', 'alert-summary');
  private readonly extra = h('span', 'alert-extra');
  private readonly unit = h('span', 'alert-unit');
  private readonly range = h('span', 'alert-range');
  private readonly variants = h('span', 'alert-variants');

  constructor() {
    this.el.dataset.testid = 'alert';
    this.badge.dataset.testid = 'alert-badge';
    const head = h('div', 'alert-head');
    head.append(this.title, this.badge);
    const main = h('div', 'alert-main');
    main.append(head, this.meta);
    const demand = h('div', 'alert-demand');
    demand.dataset.testid = 'alert-demand';
    demand.append(this.extra, this.unit, this.range, this.variants);
    this.variants.dataset.testid = 'alert-variants';
    // The summary gets the card's whole width: its tail (how far above baseline) is the point.
    this.el.append(main, demand, this.summary);
  }

  update(alert: AlertView): void {
    const data = this.el.dataset;
    data.fingerprint = alert.fingerprint;
    data.key = alert.key;
    data.status = alert.status;
    const badge = muteBadge(alert);
    if (badge) data.badge = badge;
    else delete data.badge;

    setText(this.title, alert.title ?? displayKey(alert.dimension, alert.key));
    setText(this.badge, badge ?? '');
    this.badge.hidden = badge === undefined;
    setText(this.meta, `${meta(alert)} · since ${formatClock(alert.startsAt)}`);
    setText(this.summary, alert.summary);
    // `+1,800 units/7 d (1,200–2,500)`: what the factory may need to make on top of the usual.
    const week = alert.demand.next7d;
    setText(this.extra, `+${formatUnits(week.extra)}`);
    setText(this.unit, ' units/7 d');
    setText(this.range, ` (${formatUnits(week.low)}–${formatUnits(week.high)})`);
    // What to make, per variant: `make 1,200 sage M · 900 sage L`.
    const variants = alert.demand.variants ?? [];
    const make = variants.length ? `make ${variants.slice(0, 3).map((v) => `${formatUnits(v.units)} ${v.label}`).join(' · ')}` : '';
    setText(this.variants, make);
    this.variants.title = make;
    this.variants.hidden = variants.length === 0;
  }
}

/** Resolved beats muted: nobody needs to act on either, but resolved says more. */
function muteBadge(alert: AlertView): string | undefined {
  if (alert.status === 'resolved') return 'resolved';
  if (alert.silencedBy.length) return 'silenced';
  if (alert.inhibitedBy.length) return 'inhibited';
  return undefined;
}

/** `SKU-0010 · dresses · factory porto`; without a title, the kind of key instead of the key. */
function meta(alert: AlertView): string {
  const parts = [alert.title !== undefined ? alert.key : DIMENSION_LABELS[alert.dimension]];
  if (alert.category !== undefined && alert.category !== alert.key) parts.push(alert.category);
  const factory = alert.labels.factory;
  if (factory !== undefined) parts.push(`factory ${factory}`);
  return parts.join(' · ');
}

/**
 * A small, hand-made shop history with known answers to every question in
 * docs/analytics.md. Each question gets its own days, keys or regions so
 * the expected answers can be worked out by hand (they are, in
 * test/integration/analytics-questions.test.ts).
 *
 * The story: four items; on 2025-06-11 the linen dress (SKU-A) spikes from
 * 12:00 to 13:00, preceded by a surge of searches for it at 11:40 and of
 * its sales at 12:05; the sneakers (SKU-B) spike from 18:00 (still open at
 * 18:45) after searches at 17:20 and sales at 17:50. Around it: searches in
 * the hour of 2025-06-10 14:00 and a week before, a month of apac views by
 * attribute, a conversion week, a day of shoppers by region with a
 * redelivered view, spikes of other dimensions and dead letters.
 */
import type { CatalogItem, TrendEvent } from '../../src/domain.js';
import { catalogRow, eventRow, spikeRow, TABLE_OF_KIND, type DeadLetterRow, type SaleRow, type SpikeRow } from '../../src/store/rows.js';
import type { Dimension, Spike } from '../../src/domain.js';

export const CATALOG: readonly CatalogItem[] = [
  { sku: 'SKU-A', title: 'Linen Midi Dress', category: 'dresses', price: 80, attributes: { color: 'sage', material: 'linen', style: 'midi' } },
  { sku: 'SKU-B', title: 'Canvas Retro Sneakers', category: 'shoes', price: 60, attributes: { color: 'white', material: 'canvas', style: 'retro' } },
  { sku: 'SKU-C', title: 'Crochet Tank Top', category: 'tops', price: 25, attributes: { color: 'cream', material: 'cotton', style: 'crochet' } },
  { sku: 'SKU-D', title: 'Wool Longline Coat', category: 'outerwear', price: 200, attributes: { color: 'camel', material: 'wool', style: 'longline' } },
];

/** Epoch ms of a UTC time written `2025-06-10 14:00:00`. */
export const utc = (text: string) => Date.parse(text.replace(' ', 'T') + 'Z');

type Rows = Map<string, object[]>;

class History {
  readonly rows: Rows = new Map();
  private n = 0;

  private add(table: string, row: object): void {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(row);
  }

  private event(event: TrendEvent): void {
    this.add(TABLE_OF_KIND[event.kind], eventRow(event, event.ts + 500));
  }

  /** `count` events from `start`, one every `everySec` seconds; `make` gives the kind-specific fields. */
  private series(count: number, start: string, everySec: number, make: (id: string, ts: number, i: number) => TrendEvent): void {
    for (let i = 0; i < count; i++) this.event(make(`ev-${++this.n}`, utc(start) + i * everySec * 1000, i));
  }

  searches(query: string, count: number, start: string, { region = 'eu-west', everySec = 5, user = (i: number) => `u-${i}` } = {}): this {
    this.series(count, start, everySec, (id, ts, i) => ({ kind: 'search', id, ts, query, region, user: user(i), session: `s-${i}` }));
    return this;
  }

  views(sku: string, count: number, start: string, { region = 'eu-west', everySec = 5, user = (i: number) => `u-${i}` } = {}): this {
    this.series(count, start, everySec, (id, ts, i) => ({ kind: 'view', id, ts, sku, region, user: user(i), session: `s-${i}` }));
    return this;
  }

  sales(sku: string, count: number, start: string, { qty = 1, price = undefined as number | undefined, region = 'eu-west', everySec = 5 } = {}): this {
    this.series(count, start, everySec, (id, ts, i) => ({ kind: 'sale', id, ts, sku, qty, ...(price === undefined ? {} : { price }), currency: 'EUR', region, user: `buyer-${i}` }));
    return this;
  }

  /** The last `count` rows of `table` again: a redelivery stored twice. */
  redeliver(table: string, count: number): this {
    const list = this.rows.get(table) ?? [];
    for (const row of list.slice(-count)) this.add(table, { ...row });
    return this;
  }

  spike(dimension: Dimension, key: string, startedAt: string, updates: readonly { at: string; status: Spike['status']; score: number }[]): this {
    const started = utc(startedAt);
    let peak = 0;
    for (const update of updates) {
      peak = Math.max(peak, update.score);
      const ended = update.status === 'ended';
      const spike: Spike = {
        spikeId: `${dimension}:${key}:${started}`,
        dimension,
        key,
        direction: 'rising',
        status: update.status,
        score: update.score,
        volume: 100,
        expected: 20,
        pctAbove: 400,
        startedAt: started,
        updatedAt: utc(update.at),
        ...(ended ? { endedAt: utc(update.at) } : {}),
        peakScore: peak,
        peakVolume: 100,
        trendScore: 1,
        drivers: { search: 0, view: 80, sale: 20 },
      };
      this.add('spikes', spikeRow(spike) satisfies SpikeRow);
    }
    return this;
  }

  deadLetters(reason: string, count: number, start: string): this {
    for (let i = 0; i < count; i++) {
      const row: DeadLetterRow = {
        received_at: utc(start) + i * 1000,
        subject: 'events.view',
        reason,
        detail: `${reason} #${i}`,
        payload: '{}',
        payload_bytes: 2,
        stream_seq: ++this.n,
      };
      this.add('dead_letters', row);
    }
    return this;
  }
}

/** Stored before the rollups exist: the migration's backfill must roll them up. */
export function historyBeforeRollups(): Rows {
  const h = new History();
  h.rows.set('catalog', CATALOG.map((item) => catalogRow(item, utc('2025-04-01 00:00:00'))));
  // Q1: the hour of 2025-06-10 14:00 and the same hour a week earlier.
  h.searches('Linen  Midi Dress', 30, '2025-06-10 14:00:00', { everySec: 100 })
    .redeliver('events_search', 3)
    .searches('linen midi dress', 5, '2025-06-03 14:10:00')
    .searches('linen midi dress', 7, '2025-06-10 13:30:00')
    .searches('retro sneakers', 10, '2025-06-10 14:20:00')
    .searches('retro sneakers', 12, '2025-06-03 14:20:00')
    .searches('crochet tank top', 8, '2025-06-10 14:40:00');
  // Q2, Q4, Q5: the two spikes of 2025-06-11.
  h.searches('linen midi dress', 6, '2025-06-11 11:40:00')
    .sales('SKU-A', 2, '2025-06-11 11:50:00')
    .sales('SKU-A', 5, '2025-06-11 12:05:00', { qty: 2, price: 75 })
    .redeliver('events_sale', 1)
    .sales('SKU-A', 1, '2025-06-11 12:30:00')
    .spike('sku', 'SKU-A', '2025-06-11 12:00:00', [
      { at: '2025-06-11 12:00:00', status: 'rising', score: 6 },
      { at: '2025-06-11 12:20:00', status: 'ongoing', score: 7.5 },
      { at: '2025-06-11 13:00:00', status: 'ended', score: 1 },
    ]);
  h.searches('Canvas Retro Sneakers', 5, '2025-06-11 17:20:00')
    .sales('SKU-B', 6, '2025-06-11 17:50:00', { price: 60 })
    .sales('SKU-B', 3, '2025-06-11 18:10:00', { price: 55 })
    .sales('SKU-B', 1, '2025-06-11 18:50:00', { price: 55 })
    .sales('SKU-UNKNOWN', 1, '2025-06-11 15:00:00', { price: 10 })
    .spike('sku', 'SKU-B', '2025-06-11 18:00:00', [
      { at: '2025-06-11 18:00:00', status: 'rising', score: 4.5 },
      { at: '2025-06-11 18:45:00', status: 'ongoing', score: 5.2 },
    ]);
  // Q8: a query first seen this week.
  h.searches('festival outfit', 12, '2025-06-12 09:00:00');
  // Q9: spikes of other dimensions.
  h.spike('query', 'linen midi dress', '2025-06-11 11:50:00', [
    { at: '2025-06-11 11:50:00', status: 'rising', score: 6.1 },
    { at: '2025-06-11 12:40:00', status: 'ended', score: 1.5 },
  ]).spike('category', 'dresses', '2025-06-12 10:00:00', [
    { at: '2025-06-12 10:00:00', status: 'rising', score: 4.4 },
    { at: '2025-06-12 10:30:00', status: 'ended', score: 1 },
  ]);
  // Q11: dead letters, one stored twice.
  h.deadLetters('invalid_field', 3, '2025-06-11 08:10:00').redeliver('dead_letters', 1).deadLetters('not_json', 1, '2025-06-11 08:30:00').deadLetters('ts_in_future', 2, '2025-06-11 09:05:00');
  return h.rows;
}

/**
 * A sale an earlier release stored twice after its rollups existed (schema
 * versions 3 to 5 counted it twice there): a copy of SKU-A's first 2-unit
 * sale at 12:05 on 2025-06-11, as a redelivery after a crash stored it.
 */
export function storedTwiceBeforeVersion6(before: Rows): Rows {
  const sale = (before.get('events_sale') as SaleRow[]).find((row) => row.sku === 'SKU-A' && row.qty === 2)!;
  return new Map([['events_sale', [{ ...sale, received_at: sale.received_at + 60_000 }]]]);
}

/**
 * Stored after the upgrade: the materialized views must roll them up as they
 * arrive. The second part is a view delivered again, which the app stores
 * through its writer as possibly stored already.
 */
export function historyAfterRollups(): Rows[] {
  const h = new History();
  // Q3: apac views by attribute, April against May; eu-west must not count.
  h.views('SKU-D', 10, '2025-04-10 10:00:00', { region: 'apac' })
    .views('SKU-D', 40, '2025-05-10 10:00:00', { region: 'apac' })
    .views('SKU-C', 12, '2025-05-20 10:00:00', { region: 'apac' })
    .views('SKU-A', 20, '2025-04-15 10:00:00', { region: 'apac' })
    .views('SKU-A', 20, '2025-05-15 10:00:00', { region: 'apac' })
    .views('SKU-A', 100, '2025-05-15 10:00:00', { region: 'eu-west' });
  // Q6: views and sales of 2025-06-02.
  h.views('SKU-A', 50, '2025-06-02 10:00:00', { region: 'eu-north' })
    .sales('SKU-A', 5, '2025-06-02 12:00:00', { region: 'eu-north' })
    .views('SKU-B', 40, '2025-06-02 10:00:00', { region: 'eu-north' })
    .sales('SKU-B', 8, '2025-06-02 12:00:00', { region: 'eu-north' })
    .views('SKU-C', 8, '2025-06-02 10:00:00', { region: 'eu-north' })
    .sales('SKU-C', 4, '2025-06-02 12:00:00', { region: 'eu-north' })
    .views('SKU-D', 100, '2025-06-02 10:00:00', { region: 'eu-north' })
    .sales('SKU-D', 1, '2025-06-02 12:00:00', { region: 'eu-north' });
  // Q7, Q10: 2025-06-05, shoppers by region and hour; one view is redelivered in a later insert.
  const users = ['u1', 'u1', 'u2', 'u3', ''];
  h.searches('q7 scarf', 5, '2025-06-05 09:10:00', { user: (i) => users[i]! })
    .searches('q7 beanie', 1, '2025-06-05 09:20:00', { region: 'apac', user: () => 'u4' })
    .views('SKU-C', 1, '2025-06-05 10:15:00', { user: () => 'u1' })
    .sales('SKU-C', 2, '2025-06-05 11:00:00', { region: '' });
  const redelivery = new History();
  redelivery.rows.set('events_view', (h.rows.get('events_view') ?? []).slice(-1).map((row) => ({ ...row })));
  return [h.rows, redelivery.rows];
}

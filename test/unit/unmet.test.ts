/**
 * Unmet demand: what a search asks for that no catalog item has (the
 * linker's coverage), and the tracker that turns rising query and term
 * spikes into a ranked list with what is missing and what it is wanted in.
 */
import { describe, expect, it } from 'vitest';
import { SearchLinker } from '../../src/detect/linking.js';
import { UnmetTracker } from '../../src/detect/unmet.js';
import type { CatalogItem, Spike } from '../../src/domain.js';

const CATALOG: CatalogItem[] = [
  { sku: 'D1', title: 'Linen Midi Dress', category: 'dresses', attributes: { color: 'beige', material: 'linen', style: 'midi' } },
  { sku: 'D2', title: 'Cotton Midi Dress', category: 'dresses', attributes: { color: 'sage', material: 'cotton', style: 'midi' } },
  { sku: 'B1', title: 'Canvas Tote Bag', category: 'accessories', attributes: { color: 'cream', material: 'canvas' } },
  { sku: 'T-S', title: 'Wide-Leg Trousers', category: 'trousers', parent: 'T', attributes: { color: 'sand', size: 'S', style: 'wide-leg' } },
  { sku: 'T-M', title: 'Wide-Leg Trousers', category: 'trousers', parent: 'T', attributes: { color: 'sand', size: 'M', style: 'wide-leg' } },
];

const linker = new SearchLinker(CATALOG);

describe('coverage of a search by the catalog', () => {
  it('is whole when one item has every word, typos and plurals folded', () => {
    for (const query of ['linen midi dress', 'Linen  MIDI dresses', 'lnien midi dress', 'linen midi dress 38']) {
      expect(linker.coverage(query), query).toMatchObject({ missing: [], strength: 1 });
    }
  });

  it('names the words no item uses', () => {
    expect(linker.coverage('crochet bag')).toEqual({
      terms: ['crochet', 'bag'],
      unknown: ['crochet'],
      missing: ['crochet'],
      strength: 0.5,
      nearest: ['B1'],
      attributes: [],
    });
    expect(linker.coverage('kaftan')).toMatchObject({ missing: ['kaftan'], strength: 0, nearest: [] });
  });

  it('finds combinations no single item has', () => {
    // Linen midi dresses come in beige; sage is a cotton dress's colour. Each has three of the four words.
    expect(linker.coverage('sage linen midi dress')).toMatchObject({
      unknown: [],
      missing: ['sage'],
      strength: 0.75,
      nearest: ['D1', 'D2'],
      attributes: ['color=sage', 'material=linen', 'style=midi'],
    });
  });

  it('does not take a changed letter for a typo: shorts are not shirts', () => {
    const withShirt = new SearchLinker([...CATALOG, { sku: 'S1', title: 'Oxford Shirt', category: 'tops' }]);
    expect(withShirt.coverage('seersucker shorts').missing).toEqual(['seersucker', 'short']);
  });

  it('links variants as their product, and names their product as the closest item', () => {
    expect(linker.link('wide-leg trousers').filter((l) => l.dimension === 'sku')).toEqual([{ dimension: 'sku', key: 'T' }]);
    expect(linker.coverage('sage wide-leg trousers')).toMatchObject({ missing: ['sage'], nearest: ['T'] });
  });
});

const spike = (over: Partial<Spike>): Spike => ({
  spikeId: `${over.dimension ?? 'query'}:${over.key ?? 'crochet bag'}:0`,
  dimension: 'query',
  key: 'crochet bag',
  direction: 'rising',
  status: 'rising',
  score: 9,
  volume: 120,
  expected: 4,
  pctAbove: 2900,
  startedAt: 0,
  updatedAt: 10_000,
  peakScore: 9,
  peakVolume: 120,
  trendScore: 5,
  drivers: { search: 120, view: 0, sale: 0 },
  ...over,
});

describe('unmet demand tracker', () => {
  it('describes rising searches the catalog lacks, with the attributes searched along', () => {
    const tracker = new UnmetTracker(linker);
    for (let i = 0; i < 30; i++) tracker.observeSearch(i % 3 ? 'sage crochet bag' : 'crochet bag', i * 1000);
    for (let i = 0; i < 10; i++) tracker.observeSearch('linen crochet bag', 40_000 + i * 1000);
    tracker.observeSearch('linen midi dress', 60_000);
    expect(tracker.describe(spike({}))).toEqual({ missing: ['crochet'], strength: 0.5, nearest: ['B1'], coSearched: ['color=sage', 'material=linen'] });
    expect(tracker.describe(spike({ dimension: 'term', key: 'crochet' }))).toMatchObject({ missing: ['crochet'], coSearched: ['color=sage', 'material=linen'] });
    // Covered searches, other dimensions and falls are not unmet demand.
    expect(tracker.describe(spike({ key: 'linen midi dress' }))).toBeUndefined();
    expect(tracker.describe(spike({ dimension: 'sku', key: 'D1' }))).toBeUndefined();
    expect(tracker.describe(spike({ volume: 2, expected: 40 }))).toBeUndefined();
  });

  it('ranks them by trend score, keeps ended ones a while, then forgets them', () => {
    const tracker = new UnmetTracker(linker, { keepEndedMs: 60_000 });
    const bag = spike({});
    const kaftan = spike({ key: 'kaftan', spikeId: 'query:kaftan:0', trendScore: 9 });
    const dress = spike({ key: 'linen midi dress', spikeId: 'query:linen midi dress:0', trendScore: 20 });
    expect(tracker.step({ windowEnd: 10_000, updates: [bag, kaftan, dress], ranking: [] }).map((e) => e.spike.key)).toEqual(['crochet bag', 'kaftan']);
    expect(tracker.ranking().map((e) => e.spike.key)).toEqual(['kaftan', 'crochet bag']);
    const ended = { ...kaftan, status: 'ended' as const, updatedAt: 20_000, endedAt: 20_000, volume: 5 };
    expect(tracker.step({ windowEnd: 20_000, updates: [ended], ranking: [] })).toMatchObject([{ spike: { status: 'ended' }, unmet: { missing: ['kaftan'] } }]);
    expect(tracker.ranking().map((e) => e.spike.key)).toEqual(['crochet bag', 'kaftan']);
    tracker.step({ windowEnd: 90_000, updates: [], ranking: [] });
    expect(tracker.ranking().map((e) => e.spike.key)).toEqual(['crochet bag']);
  });

  it('keeps its tallies bounded, forgetting the least searched words', () => {
    const tracker = new UnmetTracker(linker, { maxTallies: 10 });
    for (let i = 0; i < 200; i++) tracker.observeSearch(`word${i} bag`, i);
    for (let i = 0; i < 20; i++) tracker.observeSearch('crochet sage bag', 300 + i);
    expect(tracker.describe(spike({ key: 'crochet bag' }))?.coSearched).toEqual(['color=sage']);
    expect(tracker.describe(spike({ key: 'word3 bag' }))?.coSearched).toEqual([]);
  });
});

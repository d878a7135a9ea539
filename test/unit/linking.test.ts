import { describe, expect, it } from 'vitest';
import { SearchLinker, stem } from '../../src/detect/linking.js';
import type { CatalogItem } from '../../src/domain.js';

const CATALOG: CatalogItem[] = [
  { sku: 'D1', title: 'Linen Midi Dress', category: 'dresses', brand: 'Harlow', attributes: { color: 'sage', material: 'linen', style: 'midi' } },
  { sku: 'D2', title: 'Cotton Midi Dress', category: 'dresses', attributes: { color: 'black', material: 'cotton', style: 'midi' } },
  { sku: 'D3', title: 'Linen Maxi Dress', category: 'dresses', attributes: { color: 'black', material: 'linen', style: 'maxi' } },
  { sku: 'T1', title: 'Wide-Leg Linen Trousers', category: 'trousers', attributes: { color: 'sand', material: 'linen', style: 'wide-leg' } },
  { sku: 'B1', title: 'Suede Chelsea Boots', category: 'shoes', attributes: { color: 'black', material: 'suede' } },
];

const keys = (linker: SearchLinker, query: string) => linker.link(query).map((l) => `${l.dimension}:${l.key}`);

describe('stem', () => {
  it.each([
    ['dresses', 'dress'],
    ['dress', 'dress'],
    ['boots', 'boot'],
    ['hoodies', 'hoody'],
    ['jeans', 'jean'],
    ['chinos', 'chino'],
    ['linen', 'linen'],
  ])('%s -> %s', (word, expected) => expect(stem(word)).toBe(expected));
});

describe('SearchLinker', () => {
  const linker = new SearchLinker(CATALOG);

  it('links a precise query to its items, their category and the attributes it names', () => {
    expect(keys(linker, 'linen midi dress')).toEqual(['sku:D1', 'category:dresses', 'attribute:material=linen', 'attribute:style=midi']);
  });

  it('normalises the query as the windows do, and folds plurals', () => {
    expect(keys(linker, '  Linen   MIDI dresses ')).toEqual(keys(linker, 'linen midi dress'));
  });

  it('ignores words no item uses, such as typos', () => {
    expect(keys(linker, 'linnen midi dress')).toEqual(keys(linker, 'midi dress'));
    expect(keys(linker, 'xyzzy')).toEqual([]);
  });

  it('links a word shared across categories to no category', () => {
    expect(keys(linker, 'linen')).toEqual(['sku:D1', 'sku:D3', 'sku:T1', 'attribute:material=linen']);
    expect(keys(linker, 'black')).toEqual(['sku:B1', 'sku:D2', 'sku:D3', 'attribute:color=black']);
  });

  it('links a query matching too many items only to what they share', () => {
    const broad = new SearchLinker(CATALOG, { maxItems: 2 });
    expect(keys(broad, 'dress')).toEqual(['category:dresses']);
    expect(keys(broad, 'linen dress')).toEqual(['sku:D1', 'sku:D3', 'category:dresses', 'attribute:material=linen']);
  });

  it('matches multi-word attribute values only when every word is searched', () => {
    expect(keys(linker, 'wide-leg trousers')).toEqual(['sku:T1', 'category:trousers', 'attribute:style=wide-leg']);
    expect(keys(linker, 'wide trousers')).toEqual(['sku:T1', 'category:trousers']);
  });

  it('finds brands', () => {
    expect(keys(linker, 'harlow dress')).toEqual(['sku:D1', 'category:dresses']);
  });

  it('follows catalog upserts, including items that change words', () => {
    const live = new SearchLinker(CATALOG);
    expect(keys(live, 'sage dress')).toEqual(['sku:D1', 'category:dresses', 'attribute:color=sage']);
    live.upsert({ ...CATALOG[0]!, attributes: { color: 'rust', material: 'linen', style: 'midi' } });
    expect(keys(live, 'sage dress')).toEqual(keys(live, 'dress'));
    expect(keys(live, 'rust dress')).toEqual(['sku:D1', 'category:dresses', 'attribute:color=rust']);
    live.upsert({ sku: 'N1', title: 'Crochet Bucket Hat', category: 'accessories' });
    expect(keys(live, 'crochet hat')).toEqual(['sku:N1', 'category:accessories']);
  });
});

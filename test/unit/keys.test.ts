import { describe, expect, it } from 'vitest';
import { normalizeQuery, queryTerms, type CatalogItem } from '../../src/domain.js';
import { RecentIds } from '../../src/ingest/recent-ids.js';
import { observe } from '../../src/windows/keys.js';

const item: CatalogItem = { sku: 'S1', title: 'Linen Midi Dress', category: 'dresses', price: 50, attributes: { color: 'sage', material: 'linen' } };
const lookup = (sku: string) => (sku === 'S1' ? item : undefined);

describe('keys', () => {
  it('normalises queries: NFKC, case-folded, trimmed, single spaces', () => {
    expect(normalizeQuery('  ＬＩＮＥＮ   Dress\t')).toBe('linen dress');
    expect(normalizeQuery('Straße')).toBe('straße');
  });

  it('normalises plain ASCII exactly as the full Unicode path does', () => {
    const full = (q: string) => q.normalize('NFKC').toLocaleLowerCase('und').trim().replace(/\s+/gu, ' ');
    const samples = ['Linen Dress', '  BLACK   boots  ', 'a', ' ', 'Size 10 / EU-42', "Levi's 501 (W32)", '~!@#$%^&*_+{}|:"<>?', 'Tab\tinside', 'café crème'];
    for (let c = 0x20; c < 0x7f; c++) samples.push(`X${String.fromCharCode(c)}y  Z`);
    for (const q of samples) expect(normalizeQuery(q), JSON.stringify(q)).toBe(full(q));
  });

  it('splits terms without stop words or duplicates', () => {
    expect(queryTerms('the linen dress and linen')).toEqual(['linen', 'dress']);
  });

  it('turns a sale into sku, category, attribute and region observations with units and revenue', () => {
    const obs = observe({ kind: 'sale', id: '1', ts: 5, sku: 'S1', qty: 2, region: 'eu' }, lookup);
    expect(obs.map((o) => `${o.dimension}:${o.key}`)).toEqual(['sku:S1', 'category:dresses', 'attribute:color=sage', 'attribute:material=linen', 'region:eu']);
    expect(obs[0]).toMatchObject({ signal: 'sale', units: 2, revenue: 100 });
  });

  it('counts an unknown sku on the sku dimension only', () => {
    expect(observe({ kind: 'view', id: '1', ts: 5, sku: 'NEW' }, lookup).map((o) => o.dimension)).toEqual(['sku']);
  });

  it('counts a search on the catalog keys it links to, as a search signal', () => {
    const links = (q: string) => (q === 'linen midi dress' ? [{ dimension: 'sku' as const, key: 'S1' }, { dimension: 'attribute' as const, key: 'material=linen' }] : []);
    const obs = observe({ kind: 'search', id: '1', ts: 5, query: 'Linen Midi Dress' }, lookup, links);
    expect(obs.filter((o) => o.dimension === 'sku' || o.dimension === 'attribute').map((o) => `${o.dimension}:${o.key}:${o.signal}`)).toEqual([
      'sku:S1:search',
      'attribute:material=linen:search',
    ]);
  });

  it('turns a search into query and term observations', () => {
    const obs = observe({ kind: 'search', id: '1', ts: 5, query: 'Linen  DRESS' }, lookup);
    expect(obs.map((o) => `${o.dimension}:${o.key}`)).toEqual(['query:linen dress', 'term:linen', 'term:dress']);
  });
});

describe('RecentIds', () => {
  it('remembers at least capacity ids and at most twice that', () => {
    const ids = new RecentIds(3);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    for (const id of ['b', 'c', 'd', 'e']) ids.add(id);
    expect(ids.add('c')).toBe(false);
    expect(ids.size).toBeLessThanOrEqual(6);
    for (const id of ['f', 'g', 'h', 'i']) ids.add(id);
    expect(ids.add('a')).toBe(true);
  });
});

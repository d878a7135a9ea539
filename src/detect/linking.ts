/**
 * Searches lead sales: a surge in "linen midi dress" searches shows up
 * minutes or hours before the views and sales of the items it is about. The
 * linker maps a search query to the catalog keys it speaks for, from an
 * inverted index of the words in item titles, categories, brands and
 * attribute values, so each search can also be counted (as a `search`
 * signal) on those skus, categories and attributes.
 *
 * A query links to the items whose words contain every known word of the
 * query (words no item uses, such as typos, are ignored; variants link as
 * their product), to their category
 * when they share one, and to the attributes of theirs whose value words all
 * appear in the query. Words are compared by a light plural stem
 * ("dresses" = "dress"). A query matching many items ("dress") is too broad
 * to lift any one of them: it links to no sku, only to the shared category
 * and attributes.
 *
 * It tokenises with the domain's `normalizeQuery` and `queryTerms`, as the
 * windows do, so catalog words and query terms are cut the same way.
 */
import { normalizeQuery, queryTerms, type CatalogItem } from '../domain.js';
import { Memo } from '../windows/memo.js';

/**
 * How well the catalog covers a search: what shoppers ask for that no item
 * is (unmet demand, src/detect/unmet.ts).
 */
export interface QueryCoverage {
  /** The query's content words, as stems, typos folded onto the catalog word they slipped from. */
  readonly terms: readonly string[];
  /** Words no item uses at all, typos excepted ("crochet"). */
  readonly unknown: readonly string[];
  /**
   * What the closest items lack: the unknown words plus known words that no
   * item combining the others has ("sage" in "sage linen wide-leg trousers"
   * when the linen wide-leg trousers come in beige only). Empty when some
   * item has every word.
   */
  readonly missing: readonly string[];
  /** Share of the terms the closest item has: 1 when some item has them all. */
  readonly strength: number;
  /** The closest items (most terms in common; variants as their product), at most three. */
  readonly nearest: readonly string[];
  /** Attribute keys (`name=value`) whose value words the query names. */
  readonly attributes: readonly string[];
}

/** A catalog key a search is also counted on. */
export interface LinkedKey {
  readonly dimension: 'sku' | 'category' | 'attribute';
  /** A sku, a category, or `name=value` as the windows count attributes. */
  readonly key: string;
}

export interface LinkerOptions {
  /** A query matching more items than this links to none of them. */
  readonly maxItems: number;
  /** A query whose items span more categories than this links to none of them. */
  readonly maxCategories: number;
  /** Distinct queries whose links are remembered per cache generation (see Memo; cleared on every upsert). */
  readonly cacheSize: number;
}

export const DEFAULT_LINKER_OPTIONS: LinkerOptions = { maxItems: 12, maxCategories: 1, cacheSize: 20_000 };

/** English plural folding, enough for catalog words: dresses -> dress, boots -> boot, hoodies -> hoody. */
export function stem(term: string): string {
  if (term.length > 4 && term.endsWith('ies')) return `${term.slice(0, -3)}y`;
  if (term.length > 4 && /(ss|x|z|ch|sh)es$/.test(term)) return term.slice(0, -2);
  if (term.length > 3 && term.endsWith('s') && !term.endsWith('ss') && !term.endsWith('us')) return term.slice(0, -1);
  return term;
}

/** The distinct stems of a piece of text, tokenised as search queries are. */
function stems(text: string): Set<string> {
  return new Set(queryTerms(normalizeQuery(text)).map(stem));
}

interface IndexedItem {
  /** The product: the item's parent, or the item itself. */
  readonly product: string;
  readonly category: string;
  readonly words: ReadonlySet<string>;
  /** `name=value` keys with the stems of their value. */
  readonly attributes: readonly (readonly [key: string, words: ReadonlySet<string>])[];
}

export class SearchLinker {
  readonly #o: LinkerOptions;
  readonly #items = new Map<string, IndexedItem>();
  /** Stem -> skus whose words contain it. */
  readonly #postings = new Map<string, Set<string>>();
  /** `name=value` -> the stems of its value, and how many items carry it. */
  readonly #attributes = new Map<string, { readonly words: ReadonlySet<string>; items: number }>();
  /** Normalised query -> its links; emptied on every catalog change. */
  readonly #cache: Memo<readonly LinkedKey[]>;
  /** Normalised query -> its coverage; emptied on every catalog change. */
  readonly #coverage: Memo<QueryCoverage>;

  constructor(items: Iterable<CatalogItem> = [], options: Partial<LinkerOptions> = {}) {
    this.#o = { ...DEFAULT_LINKER_OPTIONS, ...options };
    this.#cache = new Memo(this.#o.cacheSize, (normalized) => this.#resolve(normalized));
    this.#coverage = new Memo(this.#o.cacheSize, (normalized) => this.#cover(normalized));
    for (const item of items) this.upsert(item);
  }

  /** Adds or replaces an item (call it for every catalog upsert). */
  upsert(item: CatalogItem): void {
    this.#remove(item.sku);
    const attributes = Object.entries(item.attributes ?? {}).map(
      ([name, value]) => [`${name}=${value}`, stems(value)] as const,
    );
    const words = stems([item.title, item.category, item.brand ?? '', ...Object.values(item.attributes ?? {})].join(' '));
    this.#items.set(item.sku, { product: item.parent ?? item.sku, category: item.category, words, attributes });
    for (const word of words) {
      let skus = this.#postings.get(word);
      if (!skus) this.#postings.set(word, (skus = new Set()));
      skus.add(item.sku);
    }
    for (const [key, words] of attributes) {
      const known = this.#attributes.get(key);
      if (known) known.items++;
      else this.#attributes.set(key, { words, items: 1 });
    }
    this.#cache.clear();
    this.#coverage.clear();
  }

  /** How well the catalog covers a search for `query` (as typed or normalised). */
  coverage(query: string): QueryCoverage {
    return this.#coverage.get(normalizeQuery(query));
  }

  /** The catalog keys a search for `query` (as typed or normalised) also counts on; empty when it names nothing known. */
  link(query: string): readonly LinkedKey[] {
    return this.#cache.get(normalizeQuery(query));
  }

  #resolve(normalized: string): readonly LinkedKey[] {
    const known = [...stems(normalized)].filter((word) => this.#postings.has(word));
    if (known.length === 0) return [];
    const postings = known.map((word) => this.#postings.get(word)!).sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = postings as [Set<string>, ...Set<string>[]];
    const matched = [...smallest].filter((sku) => rest.every((set) => set.has(sku))).sort();
    if (matched.length === 0) return [];

    const queryWords = new Set(known);
    const links: LinkedKey[] = [];
    // A search names a product, not one of its sizes: variants link as their product.
    const products = [...new Set(matched.map((sku) => this.#items.get(sku)!.product))].sort();
    if (products.length <= this.#o.maxItems) for (const sku of products) links.push({ dimension: 'sku', key: sku });
    const categories = new Set<string>();
    const attributes = new Set<string>();
    for (const sku of matched) {
      const item = this.#items.get(sku)!;
      categories.add(item.category);
      for (const [key, words] of item.attributes) {
        if (words.size > 0 && [...words].every((word) => queryWords.has(word))) attributes.add(key);
      }
    }
    if (categories.size <= this.#o.maxCategories) {
      for (const category of [...categories].sort()) links.push({ dimension: 'category', key: category });
    }
    for (const key of [...attributes].sort()) links.push({ dimension: 'attribute', key });
    return links;
  }

  #cover(normalized: string): QueryCoverage {
    const terms: string[] = [];
    const unknown: string[] = [];
    for (const term of stems(normalized)) {
      if (/^\p{N}+$/u.test(term)) continue; // sizes and numbers name no product
      const known = this.#postings.has(term) ? term : this.#typoOf(term);
      if (known === undefined) unknown.push(term);
      if (!terms.includes(known ?? term)) terms.push(known ?? term);
    }
    const known = terms.filter((term) => !unknown.includes(term));
    // Items by how many of the known words they have; the closest have the most.
    const hits = new Map<string, number>();
    for (const term of known) for (const sku of this.#postings.get(term) ?? []) hits.set(sku, (hits.get(sku) ?? 0) + 1);
    const best = Math.max(0, ...hits.values());
    const closestSkus = [...hits].filter(([, n]) => n === best && best > 0).map(([sku]) => sku).sort();
    const closest = closestSkus.length ? this.#items.get(closestSkus[0]!)! : undefined;
    // Variants of one product are one closest thing.
    const nearest = [...new Set(closestSkus.map((sku) => this.#items.get(sku)!.product))];
    const missing = [...unknown, ...known.filter((term) => !closest?.words.has(term))];
    const attributes = [...this.#attributes]
      .filter(([, { words }]) => words.size > 0 && [...words].every((word) => known.includes(word)))
      .map(([key]) => key)
      .sort();
    return {
      terms,
      unknown,
      missing,
      strength: terms.length ? best / terms.length : 1,
      nearest: nearest.slice(0, 3),
      attributes,
    };
  }

  /** The catalog word `term` is a slip away from (a letter dropped, doubled or swapped), for words of four letters or more. */
  #typoOf(term: string): string | undefined {
    if (term.length < 4) return undefined;
    let found: string | undefined;
    for (const word of this.#postings.keys()) {
      if (Math.abs(word.length - term.length) <= 1 && word.length >= 4 && oneEditApart(term, word)) {
        // Two catalog words one letter away: ambiguous, so not a typo of either.
        if (found !== undefined) return undefined;
        found = word;
      }
    }
    return found;
  }

  #remove(sku: string): void {
    const old = this.#items.get(sku);
    if (!old) return;
    for (const word of old.words) {
      const skus = this.#postings.get(word);
      skus?.delete(sku);
      if (skus?.size === 0) this.#postings.delete(word);
    }
    for (const [key] of old.attributes) {
      const known = this.#attributes.get(key);
      if (known && --known.items === 0) this.#attributes.delete(key);
    }
    this.#items.delete(sku);
  }
}

/**
 * Whether two different words are one slip of the keyboard apart: a letter
 * dropped or doubled (inserted), or two neighbours swapped. A changed letter
 * is not counted: it turns too many real words into others (short, shirt).
 */
function oneEditApart(a: string, b: string): boolean {
  if (a === b) return false;
  if (a.length === b.length) {
    const diffs: number[] = [];
    for (let i = 0; i < a.length && diffs.length <= 2; i++) if (a[i] !== b[i]) diffs.push(i);
    const [i, j] = diffs as [number, number];
    return diffs.length === 2 && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (long.length - short.length !== 1) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}

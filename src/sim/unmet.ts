/**
 * Searches for what a catalog lacks, for the simulator's unmet demand: new
 * materials, colours and products the catalog never uses ("crochet bag",
 * "butter yellow dress", "linen jumpsuit"), and combinations of words it
 * does use that no single item has (a colour an item does not come in).
 * Shoppers type them plain and with a colour or material in front, so the
 * attributes searched along with them show.
 */
import { normalizeQuery, queryTerms, type CatalogItem } from '../domain.js';
import type { Rng } from './random.js';
import type { UnmetPlan } from './traffic.js';

/** Things shoppers ask for that the simulator's apparel catalog never carries. */
const NOVEL_PHRASES: readonly string[] = [
  'crochet bag',
  'butter yellow dress',
  'linen jumpsuit',
  'mesh ballet flats',
  'seersucker shorts',
  'bucket hat',
  'terry polo',
  'kaftan',
  'bolero cardigan',
  'fisherman sweater',
];

/** A search for what the catalog lacks, with the queries shoppers type for it. */
export type UnmetIdea = Pick<UnmetPlan, 'phrase' | 'queries'>;

/** The words of a catalog, as the windows cut search queries. */
function catalogWords(catalog: readonly CatalogItem[]): Set<string> {
  const words = new Set<string>();
  for (const item of catalog) {
    const text = [item.title, item.category, item.brand ?? '', ...Object.values(item.attributes ?? {})].join(' ');
    for (const word of queryTerms(normalizeQuery(text))) words.add(word);
  }
  return words;
}

/**
 * Unmet-demand ideas for `catalog`: the novel phrases with at least one word
 * the catalog never uses, then one colour-and-title combination per item
 * that no item has, in a random order.
 */
export function unmetIdeas(catalog: readonly CatalogItem[], rng: Rng): UnmetIdea[] {
  const words = catalogWords(catalog);
  const colors = [...new Set(catalog.map((item) => item.attributes?.color).filter((c): c is string => c !== undefined))].sort();
  const materials = [...new Set(catalog.map((item) => item.attributes?.material).filter((m): m is string => m !== undefined))].sort();
  const withAttributes = (phrase: string): UnmetIdea => {
    const queries: [string, number][] = [[phrase, 4]];
    for (const color of rng.shuffle(colors).slice(0, 2)) queries.push([`${color} ${phrase}`, 2]);
    for (const material of rng.shuffle(materials).slice(0, 1)) queries.push([`${material} ${phrase}`, 1]);
    return { phrase, queries };
  };
  const novel = NOVEL_PHRASES.filter((phrase) => queryTerms(phrase).some((word) => !words.has(word))).map(withAttributes);
  // A colour an item does not come in: every word is known, the combination is not.
  const titles = new Map<string, Set<string>>();
  for (const item of catalog) {
    const title = normalizeQuery(item.title);
    if (!titles.has(title)) titles.set(title, new Set());
    if (item.attributes?.color) titles.get(title)!.add(item.attributes.color);
  }
  const combinations: UnmetIdea[] = [];
  for (const [title, has] of titles) {
    const absent = colors.filter((color) => !has.has(color));
    if (absent.length > 0) combinations.push({ phrase: `${rng.pick(absent)} ${title}` });
  }
  return rng.shuffle([...novel, ...rng.shuffle(combinations).slice(0, novel.length)]);
}

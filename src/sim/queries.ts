/**
 * Search queries a shopper would type for a catalog item: short phrases built
 * from its title and attributes ("linen dress", "black boots", "merino
 * jumper"), then typed sloppily now and then (case, spacing, typos), so the
 * app's query normalisation has real work to do.
 */
import type { CatalogItem } from '../domain.js';
import { WeightedSampler, type Rng } from './random.js';

/**
 * The phrases someone looking for `item` might search, weighted by how often
 * they would be typed. The product noun is the title's last word ("Chelsea
 * Boots" -> "boots"); phrases needing a missing attribute or brand are left out.
 */
export function queryPhrases(item: CatalogItem): WeightedSampler<string> {
  const title = item.title.trim().toLowerCase().replace(/\s+/g, ' ');
  const noun = title.split(' ').pop() ?? title;
  const attr = (name: string): string | undefined => item.attributes?.[name]?.toLowerCase();
  const color = attr('color');
  const material = attr('material');
  const style = attr('style');
  const brand = item.brand?.toLowerCase();
  const candidates: [phrase: string | undefined, weight: number][] = [
    [title, 3],
    [material && `${material} ${noun}`, 3],
    [color && `${color} ${noun}`, 3],
    [style && `${style} ${noun}`, 2],
    [color && `${color} ${title}`, 1],
    [brand && `${brand} ${noun}`, 1],
    [noun, 1],
  ];
  const weights = new Map<string, number>();
  for (const [phrase, weight] of candidates) {
    if (phrase) weights.set(phrase, (weights.get(phrase) ?? 0) + weight);
  }
  return new WeightedSampler([...weights.keys()], [...weights.values()]);
}

/**
 * `phrase` as a person might type it: usually verbatim, sometimes with a typo
 * (swapped, dropped or doubled letter), in Title or UPPER case, or with a
 * stray space. Never empty or blank.
 */
export function asTyped(phrase: string, rng: Rng): string {
  let query = rng.chance(0.06) ? withTypo(phrase, rng) : phrase;
  const casing = rng.next();
  if (casing < 0.08) query = query.replace(/\b\p{L}/gu, (c) => c.toUpperCase());
  else if (casing < 0.1) query = query.toUpperCase();
  const spacing = rng.next();
  if (spacing < 0.03) query = query.replace(' ', '  ');
  else if (spacing < 0.05) query = `${query} `;
  return query;
}

/** One keyboard slip in a word of four letters or more; other phrases come back as they are. */
function withTypo(phrase: string, rng: Rng): string {
  const words = phrase.split(' ');
  const candidates = words.map((w, i) => (w.length >= 4 ? i : -1)).filter((i) => i >= 0);
  if (candidates.length === 0) return phrase;
  const index = rng.pick(candidates);
  const word = words[index] as string;
  const at = rng.int(1, word.length - 3); // first and last letters survive, as they mostly do
  switch (rng.int(0, 2)) {
    case 0:
      words[index] = word.slice(0, at) + word.charAt(at + 1) + word.charAt(at) + word.slice(at + 2);
      break;
    case 1:
      words[index] = word.slice(0, at) + word.slice(at + 1);
      break;
    default:
      words[index] = word.slice(0, at + 1) + word.slice(at);
  }
  return words.join(' ');
}

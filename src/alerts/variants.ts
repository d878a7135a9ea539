/**
 * Units per variant: a projection's extra units split over the catalog
 * items the trending key covers, in proportion to their recent sales, so a
 * planner reads "make 1,200 sage M, 900 sage L" rather than one total.
 *
 * Variants are catalog items sharing a `parent` (the product); their label
 * is the attribute values that tell siblings apart (colour, size, ...).
 * Items without a parent are labelled by title. A catalog without variants
 * still gets the split by item for keys covering several items (a
 * category, an attribute, a search).
 */
import type { CatalogItem } from '../domain.js';

/** One line of what to make. */
export interface VariantDemand {
  readonly sku: string;
  /** `sage M` for a variant; the title for an item without one. */
  readonly label: string;
  /** Its share of the key's recent sales (smoothed, so an unsold variant still gets a little). */
  readonly share: number;
  /** Its part of the 7-day extra units (median). */
  readonly units: number;
}

/** Lines shown at most; the rest are too small to staff for. */
export const MAX_VARIANT_LINES = 8;
/** Units of pseudo-sales each item starts with: an item that sold nothing lately still gets some. */
const SMOOTHING_UNITS = 1;

/** The attribute names whose values differ among siblings: what makes each a variant. */
export function variantAttributes(siblings: readonly CatalogItem[]): string[] {
  const names = new Set(siblings.flatMap((item) => Object.keys(item.attributes ?? {})));
  return [...names].filter((name) => new Set(siblings.map((item) => item.attributes?.[name] ?? '')).size > 1).sort(byVariantOrder);
}

/** Colour before size before anything else, as shop floors say it: "sage M". */
function byVariantOrder(a: string, b: string): number {
  const rank = (name: string) => (name === 'color' || name === 'colour' ? 0 : name === 'size' ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/**
 * Splits `extraUnits` over `items` by their recent sales. Each item is
 * labelled by its variant attributes among `siblingsOf(item)` (its
 * product's variants), prefixed by the title when the items span several
 * products.
 */
export function splitByVariant(
  extraUnits: number,
  items: readonly CatalogItem[],
  recentUnits: (sku: string) => number,
  siblingsOf: (item: CatalogItem) => readonly CatalogItem[],
): VariantDemand[] {
  if (items.length < 2 || !(extraUnits > 0)) return [];
  const weights = items.map((item) => Math.max(0, recentUnits(item.sku)) + SMOOTHING_UNITS);
  const total = weights.reduce((a, b) => a + b, 0);
  const products = new Set(items.map((item) => item.parent ?? item.sku));
  const lines = items.map((item, i) => {
    const siblings = item.parent === undefined ? [] : siblingsOf(item);
    const variant = variantAttributes(siblings)
      .map((name) => item.attributes?.[name])
      .filter((v): v is string => v !== undefined && v !== '')
      .join(' ');
    const label = !variant ? item.title : products.size > 1 ? `${item.title} ${variant}` : variant;
    const share = weights[i]! / total;
    return { sku: item.sku, label, share: Math.round(share * 1000) / 1000, units: Math.round(share * extraUnits) };
  });
  return lines.sort((a, b) => b.share - a.share || a.sku.localeCompare(b.sku)).slice(0, MAX_VARIANT_LINES);
}

/** `make 1,200 sage M, 900 sage L`: the first lines of a split, for annotations and the wall. */
export function formatVariants(lines: readonly VariantDemand[], shown = 3): string {
  const fmt = (n: number) => (n < 100 ? String(n) : Number(n.toPrecision(2)).toLocaleString('en-US'));
  return `make ${lines
    .slice(0, shown)
    .map((line) => `${fmt(line.units)} ${line.label}`)
    .join(', ')}${lines.length > shown ? ', ...' : ''}`;
}

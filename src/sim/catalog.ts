/**
 * A synthetic apparel catalog for the simulator: believable titles built from
 * attributes ("Linen Midi Dress", "Merino Crew Jumper", "Suede Chelsea Boots"),
 * so that search queries, title terms and attribute counts behave like a real
 * shop's.
 */
import type { CatalogItem } from '../domain.js';
import { hashSeed } from '../hash.js';
import { Rng, WeightedSampler } from './random.js';

interface ProductType {
  /** The noun ending the title, e.g. "Dress", "Ankle Boots". */
  readonly noun: string;
  readonly styles: readonly string[];
  readonly materials: readonly string[];
}

interface CategorySpec {
  readonly name: string;
  /** Relative share of the catalog. */
  readonly weight: number;
  /** Price range in EUR. */
  readonly price: readonly [min: number, max: number];
  readonly types: readonly ProductType[];
}

const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'dresses',
    weight: 14,
    price: [39, 179],
    types: [
      {
        noun: 'Dress',
        styles: ['Midi', 'Maxi', 'Mini', 'Wrap', 'Slip', 'Shirt', 'Smock'],
        materials: ['Linen', 'Cotton', 'Silk', 'Satin', 'Viscose'],
      },
    ],
  },
  {
    name: 'tops',
    weight: 14,
    price: [15, 79],
    types: [
      { noun: 'T-Shirt', styles: ['Oversized', 'Boxy', 'Fitted', 'Ribbed', 'Pocket'], materials: ['Cotton', 'Organic Cotton', 'Jersey'] },
      { noun: 'Blouse', styles: ['Puff-Sleeve', 'Wrap', 'Ruffled', 'Relaxed'], materials: ['Silk', 'Viscose', 'Cotton', 'Satin'] },
      { noun: 'Shirt', styles: ['Oversized', 'Relaxed', 'Striped', 'Cropped'], materials: ['Linen', 'Cotton', 'Poplin', 'Denim'] },
      { noun: 'Tank Top', styles: ['Ribbed', 'Cropped', 'Racerback'], materials: ['Cotton', 'Jersey', 'Linen'] },
    ],
  },
  {
    name: 'trousers',
    weight: 10,
    price: [35, 129],
    types: [
      { noun: 'Jeans', styles: ['Wide-Leg', 'Straight', 'Slim', 'Bootcut', 'Barrel'], materials: ['Denim', 'Stretch Denim', 'Organic Cotton'] },
      { noun: 'Trousers', styles: ['Wide-Leg', 'Tapered', 'Pleated', 'Straight', 'Cargo'], materials: ['Linen', 'Wool', 'Cotton Twill', 'Corduroy'] },
      { noun: 'Chinos', styles: ['Slim', 'Relaxed', 'Straight'], materials: ['Cotton Twill', 'Stretch Cotton'] },
      { noun: 'Joggers', styles: ['Relaxed', 'Tapered', 'Cuffed'], materials: ['Fleece', 'Jersey', 'Cotton'] },
    ],
  },
  {
    name: 'skirts',
    weight: 6,
    price: [29, 129],
    types: [
      {
        noun: 'Skirt',
        styles: ['Midi', 'Mini', 'Pleated', 'Slip', 'A-Line', 'Wrap'],
        materials: ['Satin', 'Denim', 'Linen', 'Leather', 'Wool'],
      },
    ],
  },
  {
    name: 'knitwear',
    weight: 10,
    price: [39, 229],
    types: [
      { noun: 'Jumper', styles: ['Crew', 'V-Neck', 'Cable-Knit', 'Chunky', 'Fine-Knit'], materials: ['Merino', 'Cashmere', 'Wool', 'Cotton', 'Alpaca'] },
      { noun: 'Cardigan', styles: ['Cropped', 'Longline', 'Chunky', 'Fine-Knit'], materials: ['Merino', 'Cashmere', 'Mohair', 'Cotton'] },
      { noun: 'Turtleneck', styles: ['Ribbed', 'Fine-Knit', 'Chunky'], materials: ['Merino', 'Cashmere', 'Wool'] },
      { noun: 'Knit Vest', styles: ['Cable-Knit', 'V-Neck', 'Argyle'], materials: ['Wool', 'Cotton', 'Merino'] },
    ],
  },
  {
    name: 'outerwear',
    weight: 8,
    price: [79, 349],
    types: [
      { noun: 'Coat', styles: ['Longline', 'Double-Breasted', 'Wrap', 'Cocoon'], materials: ['Wool', 'Cashmere Blend', 'Boucle'] },
      { noun: 'Jacket', styles: ['Biker', 'Bomber', 'Cropped', 'Utility', 'Trucker'], materials: ['Leather', 'Suede', 'Denim', 'Nylon', 'Corduroy'] },
      { noun: 'Trench Coat', styles: ['Classic', 'Belted', 'Cropped', 'Oversized'], materials: ['Cotton', 'Gabardine'] },
      { noun: 'Puffer', styles: ['Cropped', 'Longline', 'Hooded', 'Quilted'], materials: ['Nylon', 'Recycled Nylon'] },
      { noun: 'Blazer', styles: ['Oversized', 'Double-Breasted', 'Tailored'], materials: ['Wool', 'Linen', 'Tweed', 'Velvet'] },
    ],
  },
  {
    name: 'shoes',
    weight: 10,
    price: [45, 229],
    types: [
      { noun: 'Boots', styles: ['Chelsea', 'Knee-High', 'Combat', 'Western', 'Lace-Up'], materials: ['Leather', 'Suede'] },
      { noun: 'Ankle Boots', styles: ['Heeled', 'Block-Heel', 'Pointed'], materials: ['Leather', 'Suede', 'Patent'] },
      { noun: 'Sneakers', styles: ['Retro', 'Chunky', 'Minimal', 'Platform', 'Running'], materials: ['Leather', 'Canvas', 'Suede', 'Mesh'] },
      { noun: 'Loafers', styles: ['Chunky', 'Penny', 'Tassel', 'Horsebit'], materials: ['Leather', 'Suede', 'Patent'] },
      { noun: 'Sandals', styles: ['Strappy', 'Platform', 'Slide', 'Fisherman'], materials: ['Leather', 'Raffia', 'Suede'] },
    ],
  },
  {
    name: 'accessories',
    weight: 8,
    price: [15, 149],
    types: [
      { noun: 'Tote Bag', styles: ['Oversized', 'Structured', 'Mini', 'Woven'], materials: ['Leather', 'Canvas', 'Raffia', 'Suede'] },
      { noun: 'Crossbody Bag', styles: ['Mini', 'Saddle', 'Quilted', 'Half-Moon'], materials: ['Leather', 'Suede', 'Nylon'] },
      { noun: 'Scarf', styles: ['Oversized', 'Fringed', 'Checked', 'Skinny'], materials: ['Wool', 'Cashmere', 'Silk', 'Mohair'] },
      { noun: 'Belt', styles: ['Skinny', 'Wide', 'Western', 'Braided'], materials: ['Leather', 'Suede'] },
      { noun: 'Beanie', styles: ['Ribbed', 'Chunky', 'Fisherman', 'Slouchy'], materials: ['Wool', 'Cashmere', 'Merino', 'Cotton'] },
    ],
  },
];

/** Colour names with how common they are in a typical assortment. */
const COLORS: readonly (readonly [color: string, weight: number])[] = [
  ['black', 10],
  ['white', 6],
  ['navy', 5],
  ['beige', 5],
  ['cream', 4],
  ['grey', 4],
  ['camel', 3],
  ['brown', 3],
  ['olive', 3],
  ['burgundy', 2],
  ['sage', 2],
  ['rust', 2],
  ['pink', 2],
  ['red', 2],
  ['blue', 2],
];

/** Invented brand names (any likeness to a real label is accidental). */
const BRANDS: readonly string[] = [
  'Northfold',
  'Maison Lune',
  'Calder & Vine',
  'Atelier Sable',
  'Fjellstrand',
  'Oakhaven',
  'Linnea Studio',
  'Rue Basalte',
  'Harlow Thread',
  'Kestrel Supply',
];

/** How many draws may be spent looking for a title not yet in the catalog. */
const UNIQUE_TITLE_ATTEMPTS = 30;

/**
 * Generates `size` apparel items with SKUs `SKU-0001`, `SKU-0002`, ...
 * Each item has a category, a title made of material, style and product noun,
 * a brand, a EUR price ending in .99, and lower-case `color`, `material` and
 * `style` attributes. Titles are unique while the combinations last (several
 * hundred); beyond that they repeat, like the same cut in another colour.
 * Deterministic: the same seed and size give the same catalog.
 */
export function generateCatalog(seed: number, size = 60): CatalogItem[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`catalog size must be a non-negative integer, got ${size}`);
  const rng = new Rng(hashSeed('catalog', seed));
  const categories = new WeightedSampler(CATEGORIES, CATEGORIES.map((c) => c.weight));
  const colors = new WeightedSampler(
    COLORS.map(([color]) => color),
    COLORS.map(([, weight]) => weight),
  );
  const titles = new Set<string>();
  const items: CatalogItem[] = [];
  for (let n = 1; n <= size; n++) {
    let draft = draftItem(rng, categories);
    for (let attempt = 1; titles.has(draft.title) && attempt < UNIQUE_TITLE_ATTEMPTS; attempt++) {
      draft = draftItem(rng, categories);
    }
    titles.add(draft.title);
    const [min, max] = draft.category.price;
    items.push({
      sku: `SKU-${String(n).padStart(4, '0')}`,
      title: draft.title,
      category: draft.category.name,
      brand: rng.pick(BRANDS),
      price: priceTag(rng.uniform(min, max)),
      attributes: {
        color: colors.sample(rng),
        material: draft.material.toLowerCase(),
        style: draft.style.toLowerCase(),
      },
    });
  }
  return items;
}

/** Rounds to a shelf price: the nearest multiple of 5 less a cent (79.99), computed in cents. */
function priceTag(amount: number): number {
  return (Math.round(amount / 5) * 500 - 1) / 100;
}

interface Draft {
  readonly category: CategorySpec;
  readonly title: string;
  readonly material: string;
  readonly style: string;
}

function draftItem(rng: Rng, categories: WeightedSampler<CategorySpec>): Draft {
  const category = categories.sample(rng);
  const type = rng.pick(category.types);
  const material = rng.pick(type.materials);
  const style = rng.pick(type.styles);
  return { category, title: `${material} ${style} ${type.noun}`, material, style };
}

/** Sizes by category; categories not listed are one-size. */
const SIZES: Readonly<Record<string, readonly string[]>> = {
  dresses: ['XS', 'S', 'M', 'L', 'XL'],
  tops: ['XS', 'S', 'M', 'L', 'XL'],
  trousers: ['S', 'M', 'L', 'XL'],
  skirts: ['XS', 'S', 'M', 'L'],
  knitwear: ['S', 'M', 'L', 'XL'],
  outerwear: ['S', 'M', 'L'],
  shoes: ['37', '38', '39', '40', '41', '42'],
};

/**
 * The catalog with some products sold in variants: for `share` of the
 * items that come in sizes, the item becomes a product (`parent`) whose
 * variants are each colour it comes in (its own plus one or two more) in
 * each size, e.g. `SKU-0007-SAGE-M`. Other items stay as they are.
 * Deterministic for a seed.
 */
export function withVariants(catalog: readonly CatalogItem[], seed: number, share = 0.25): CatalogItem[] {
  const rng = new Rng(hashSeed('variants', seed));
  const colors = COLORS.map(([color]) => color);
  return catalog.flatMap((item): CatalogItem[] => {
    const sizes = SIZES[item.category];
    if (!sizes || !rng.chance(share)) return [item];
    const own = item.attributes?.color ?? rng.pick(colors);
    const more = rng.shuffle(colors.filter((c) => c !== own)).slice(0, rng.int(1, 2));
    return [own, ...more].flatMap((color) =>
      sizes.map((size) => ({
        ...item,
        sku: `${item.sku}-${color.toUpperCase()}-${size}`,
        parent: item.sku,
        attributes: { ...item.attributes, color, size },
      })),
    );
  });
}
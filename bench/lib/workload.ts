/**
 * The benchmark's traffic: contract-shaped search / view / sale events
 * (~110 bytes of JSON each) over a catalog, with the key cardinality as a
 * knob. Deterministic for a given seed, and cheap to generate (string
 * templates, no JSON.stringify), so a generator process is not busy
 * building payloads.
 *
 * Cardinality 1x: 2,000 skus (20 categories, 2 attributes each), 20,000
 * distinct search queries, 50,000 shoppers, 8 regions. `scale` multiplies
 * skus, queries and shoppers. Popularity is skewed (a few keys get most of
 * the traffic), as in real shops.
 */
import { writeFileSync } from 'node:fs';

export interface WorkloadOptions {
  /** Multiplies the key cardinality (skus, queries, shoppers). */
  readonly scale: number;
  readonly seed?: number;
}

export interface Cardinality {
  readonly skus: number;
  readonly queries: number;
  readonly users: number;
  readonly regions: number;
}

const COLORS = ['sage', 'black', 'white', 'navy', 'red', 'camel', 'olive', 'cream', 'grey', 'pink', 'blue', 'rust', 'mint', 'lilac', 'ivory', 'khaki', 'teal', 'coral', 'mustard', 'plum'];
const PRODUCTS = ['linen dress', 'midi skirt', 'trench coat', 'ankle boots', 'merino jumper', 'silk scarf', 'denim jacket', 'wide trousers', 'rain jacket', 'sneakers', 'cardigan', 'blazer', 'shirt dress', 'puffer', 'loafers', 'tote bag', 'beanie', 'swimsuit', 'polo shirt', 'chinos', 'hoodie', 'slip dress', 'parka', 'sandals', 'jumpsuit'];
const MATERIALS = ['linen', 'cotton', 'wool', 'silk', 'denim', 'leather', 'cashmere', 'polyester'];
const REGIONS = ['eu-west', 'eu-north', 'eu-south', 'us-east', 'us-west', 'uk', 'apac', 'latam'];

export function cardinality(scale: number): Cardinality {
  return { skus: Math.round(2_000 * scale), queries: Math.round(20_000 * scale), users: Math.round(50_000 * scale), regions: REGIONS.length };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
export const skuName = (n: number) => `SKU-${pad(n, 6)}`;

export function queryText(n: number): string {
  const base = n % (COLORS.length * PRODUCTS.length);
  const variant = Math.floor(n / (COLORS.length * PRODUCTS.length));
  const phrase = `${COLORS[base % COLORS.length]} ${PRODUCTS[Math.floor(base / COLORS.length)]}`;
  return variant === 0 ? phrase : `${phrase} v${variant}`;
}

/** Writes the catalog of `skus` items as NDJSON (CATALOG_PATH) and returns the path. */
export function writeCatalog(path: string, skus: number): string {
  const lines: string[] = [];
  for (let i = 0; i < skus; i++) {
    const product = PRODUCTS[i % PRODUCTS.length]!;
    lines.push(
      JSON.stringify({
        sku: skuName(i),
        title: `${COLORS[i % COLORS.length]} ${product}`,
        category: product.split(' ').pop(),
        price: 20 + (i % 80),
        attributes: { color: COLORS[(i * 7) % COLORS.length], material: MATERIALS[i % MATERIALS.length] },
      }),
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

export interface GeneratedEvent {
  readonly subject: string;
  readonly payload: string;
}

/** Generates events one at a time; `next(ts)` gives the next event stamped `ts`. */
export class Workload {
  readonly cardinality: Cardinality;
  private state: number;
  private counter = 0;
  private readonly prefix: string;

  constructor(options: WorkloadOptions & { idPrefix?: string }) {
    this.cardinality = cardinality(options.scale);
    this.state = (options.seed ?? 1) >>> 0 || 1;
    this.prefix = options.idPrefix ?? 'b';
  }

  /** xorshift32 in [0, 1). */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4_294_967_296;
  }

  /** A skewed pick in [0, n): squaring a uniform draw favours low indices (~1/sqrt popularity). */
  private skewed(n: number): number {
    const r = this.random();
    return Math.floor(r * r * n);
  }

  next(ts: number): GeneratedEvent {
    const i = this.counter++;
    const c = this.cardinality;
    const id = `${this.prefix}${i}`;
    const user = `u${this.skewed(c.users)}`;
    const region = REGIONS[i % REGIONS.length]!;
    const kind = i % 10;
    if (kind < 4) {
      return {
        subject: 'events.search',
        payload: `{"id":"${id}","ts":${ts},"query":"${queryText(this.skewed(c.queries))}","user":"${user}","session":"s${i >> 4}","region":"${region}"}`,
      };
    }
    const sku = skuName(this.skewed(c.skus));
    if (kind < 9) {
      return { subject: 'events.view', payload: `{"id":"${id}","ts":${ts},"sku":"${sku}","user":"${user}","region":"${region}"}` };
    }
    return {
      subject: 'events.sale',
      payload: `{"id":"${id}","ts":${ts},"sku":"${sku}","qty":${1 + (i % 3)},"price":${20 + (i % 80)}.5,"user":"${user}","region":"${region}"}`,
    };
  }
}

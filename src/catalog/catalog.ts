/**
 * The item catalog (contract section 2): loaded from CATALOG_PATH (NDJSON or
 * a JSON array) and updated at run time from `catalog.upsert`. Unknown skus
 * still count; they just have no title or category.
 */
import { readFile } from 'node:fs/promises';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { z } from 'zod';
import type { CatalogItem } from '../domain.js';
import { TrendmonError } from '../errors.js';

export const CATALOG_SUBJECT = 'catalog.upsert';

const itemSchema = z.object({
  sku: z.string().min(1).max(128),
  title: z.string().min(1).max(512),
  category: z.string().min(1).max(128),
  brand: z.string().max(128).optional(),
  price: z.number().min(0).optional(),
  attributes: z.record(z.string().max(64), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  parent: z.string().min(1).max(128).optional(),
});

export class CatalogFileError extends TrendmonError {
  constructor(path: string, where: string, problem: string) {
    super('invalid_catalog', `catalog ${path}${where}: ${problem}`);
  }
}

/** Validates one item; returns a readable problem instead of throwing. */
export function parseCatalogItem(value: unknown): { item: CatalogItem } | { problem: string } {
  const parsed = itemSchema.safeParse(value);
  if (parsed.success) return { item: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { problem: `${issue.path.join('.') || '(item)'} ${issue.message}` };
}

export interface CatalogOptions {
  /** Called with every item applied (file load or catalog.upsert): how the store keeps its copy in step. */
  readonly onUpsert?: (item: CatalogItem) => void;
}

export class Catalog {
  private readonly items = new Map<string, CatalogItem>();
  /** Product -> its variants (items naming it as `parent`). */
  private readonly variants = new Map<string, Map<string, CatalogItem>>();
  /** Product -> what it is, from its variants (see `lookup`); rebuilt when a variant changes. */
  private readonly products = new Map<string, CatalogItem>();
  private subscription?: Subscription;

  constructor(private readonly options: CatalogOptions = {}) {}

  /**
   * Looks up a sku, or a product that is only known by its variants (what
   * they share: title, category, brand, the attributes all have alike);
   * bound so it can be passed around as a function.
   */
  readonly lookup = (sku: string): CatalogItem | undefined => this.items.get(sku) ?? this.product(sku);

  /** The variants of a product (empty for an item without variants). */
  readonly variantsOf = (product: string): CatalogItem[] => [...(this.variants.get(product)?.values() ?? [])];

  get size(): number {
    return this.items.size;
  }

  upsert(item: CatalogItem): void {
    const old = this.items.get(item.sku);
    if (old?.parent !== undefined) {
      this.variants.get(old.parent)?.delete(item.sku);
      this.products.delete(old.parent);
    }
    this.items.set(item.sku, item);
    if (item.parent !== undefined) {
      let family = this.variants.get(item.parent);
      if (!family) this.variants.set(item.parent, (family = new Map()));
      family.set(item.sku, item);
      this.products.delete(item.parent);
    }
    this.options.onUpsert?.(item);
  }

  private product(sku: string): CatalogItem | undefined {
    const cached = this.products.get(sku);
    if (cached) return cached;
    const family = [...(this.variants.get(sku)?.values() ?? [])];
    const first = family[0];
    if (!first) return undefined;
    const shared = Object.entries(first.attributes ?? {}).filter(([name, value]) => family.every((v) => v.attributes?.[name] === value));
    const product: CatalogItem = {
      sku,
      title: first.title,
      category: first.category,
      ...(first.brand !== undefined ? { brand: first.brand } : {}),
      ...(first.price !== undefined ? { price: first.price } : {}),
      attributes: Object.fromEntries(shared),
    };
    this.products.set(sku, product);
    return product;
  }

  /** Loads a file of items; a bad item stops loading with its line or index. */
  async loadFile(path: string): Promise<number> {
    const text = await readFile(path, 'utf8');
    const trimmed = text.trimStart();
    const entries: { where: string; value: unknown }[] = [];
    if (trimmed.startsWith('[')) {
      let array: unknown[];
      try {
        array = JSON.parse(trimmed) as unknown[];
      } catch (err) {
        throw new CatalogFileError(path, '', `not valid JSON: ${(err as Error).message}`);
      }
      array.forEach((value, index) => entries.push({ where: ` item ${index}`, value }));
    } else {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.trim();
        if (!line) continue;
        try {
          entries.push({ where: `:${i + 1}`, value: JSON.parse(line) });
        } catch (err) {
          throw new CatalogFileError(path, `:${i + 1}`, `not valid JSON: ${(err as Error).message}`);
        }
      }
    }
    for (const { where, value } of entries) {
      const result = parseCatalogItem(value);
      if ('problem' in result) throw new CatalogFileError(path, where, result.problem);
      this.upsert(result.item);
    }
    return entries.length;
  }

  /** Applies items published to `catalog.upsert`; bad ones are reported, not applied. */
  follow(nc: NatsConnection, onRejected: (problem: string) => void): void {
    this.subscription = nc.subscribe(CATALOG_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        let value: unknown;
        try {
          value = msg.json();
        } catch {
          onRejected('catalog.upsert message is not JSON');
          return;
        }
        const result = parseCatalogItem(value);
        if ('problem' in result) onRejected(`catalog.upsert: ${result.problem}`);
        else this.upsert(result.item);
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }
}

/**
 * Wall settings from the page URL, so a screen is configured by its bookmark:
 * `?theme=light&board=query&cycle=30s&token=...`.
 */
import { DIMENSIONS, type Dimension } from '../../src/domain.js';
import type { SpikeView } from '../../src/feed/protocol.js';

export type Theme = 'dark' | 'light';

/** Which spikes a board shows. */
export type Board =
  | { readonly kind: 'all' }
  /** What is falling: stock-outs, broken listings (never on the trending boards). */
  | { readonly kind: 'falling' }
  | { readonly kind: 'dimension'; readonly dimension: Dimension }
  | { readonly kind: 'category'; readonly name: string }
  /** Rising searches the catalog lacks (the feed's own `unmet` list). */
  | { readonly kind: 'unmet' };

export interface WallOptions {
  readonly theme: Theme;
  /** The board to show, or the first one of the rotation. */
  readonly board: Board;
  /** Only spikes of this region (dimension `region`); shown in the header. */
  readonly region?: string;
  /** Rotate through `CYCLE_BOARDS` this often; undefined = stay put. */
  readonly cycleMs?: number;
  readonly token?: string;
  /** ISO 4217 code for revenue counters; the feed does not carry one. */
  readonly currency?: string;
}

/** The rotation `?cycle=` steps through. */
export const CYCLE_BOARDS: readonly Board[] = [
  { kind: 'all' },
  { kind: 'dimension', dimension: 'sku' },
  { kind: 'dimension', dimension: 'query' },
  { kind: 'dimension', dimension: 'category' },
  { kind: 'dimension', dimension: 'attribute' },
  { kind: 'unmet' },
];

/** Shortest rotation accepted: faster than this nobody can read a board. */
const MIN_CYCLE_MS = 5_000;

export function parseOptions(search: string): WallOptions {
  const params = new URLSearchParams(search);
  const cycleMs = parseDuration(params.get('cycle'));
  const currency = params.get('currency')?.trim().toUpperCase();
  return {
    theme: params.get('theme') === 'light' ? 'light' : 'dark',
    board: parseBoard(params.get('board')),
    region: nonEmpty(params.get('region')),
    cycleMs: cycleMs === undefined ? undefined : Math.max(cycleMs, MIN_CYCLE_MS),
    token: nonEmpty(params.get('token')),
    currency: currency && /^[A-Z]{3}$/.test(currency) ? currency : undefined,
  };
}

/** `query` → that dimension; `category:dresses` → that catalog category; `falling` → falls; `unmet` → unmet demand; anything else → all. */
export function parseBoard(value: string | null): Board {
  const text = value?.trim() ?? '';
  if (text.toLowerCase() === 'falling') return { kind: 'falling' };
  if (text.toLowerCase() === 'unmet') return { kind: 'unmet' };
  if (text.toLowerCase().startsWith('category:')) {
    const name = text.slice('category:'.length).trim();
    return name ? { kind: 'category', name } : { kind: 'all' };
  }
  const dimension = DIMENSIONS.find((d) => d === text.toLowerCase());
  return dimension ? { kind: 'dimension', dimension } : { kind: 'all' };
}

/** `30s`, `2m`, `1h`, `1500ms`; a bare number is seconds. */
export function parseDuration(value: string | null): number | undefined {
  const match = value?.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h)?$/);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = amount * unit;
  return ms > 0 ? ms : undefined;
}

/**
 * Whether a spike belongs on a board. A category board holds the catalog
 * items of that category and the category's own spike. Falls have their own
 * board and stay off every other.
 */
export function onBoard(spike: SpikeView, board: Board, region?: string): boolean {
  if (region !== undefined && !(spike.dimension === 'region' && sameName(spike.key, region))) return false;
  if ((spike.direction === 'falling') !== (board.kind === 'falling')) return false;
  switch (board.kind) {
    case 'all':
    case 'falling':
      return true;
    case 'unmet':
      return spike.unmet !== undefined;
    case 'dimension':
      return spike.dimension === board.dimension;
    case 'category':
      return (
        (spike.category !== undefined && sameName(spike.category, board.name)) ||
        (spike.dimension === 'category' && sameName(spike.key, board.name))
      );
  }
}

/** A board as text, the inverse of `parseBoard`: `all`, `query`, `category:dresses`. */
export function boardId(board: Board): string {
  switch (board.kind) {
    case 'all':
      return 'all';
    case 'falling':
      return 'falling';
    case 'dimension':
      return board.dimension;
    case 'category':
      return `category:${board.name}`;
    case 'unmet':
      return 'unmet';
  }
}

function sameName(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

function nonEmpty(value: string | null): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}

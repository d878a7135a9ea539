/** Text for numbers, times and names, in the screen's locale. */
import type { Dimension } from '../../src/domain.js';

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, {
  style: 'percent',
  maximumFractionDigits: 0,
  signDisplay: 'exceptZero',
});
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** 12.3K, 4.5M: readable from across the room. */
export function formatCompact(value: number): string {
  return compact.format(value);
}

/** Like `formatCompact`, with a currency sign when one is configured. */
export function compactMoney(currency: string | undefined): (value: number) => string {
  if (!currency) return formatCompact;
  const money = new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency,
    notation: 'compact',
    maximumFractionDigits: 1,
  });
  return (value) => money.format(value);
}

/** `pctAbove` as `+240%`; a spike without a baseline (no finite ratio) is `new`. */
export function formatPctAbove(pct: number | null): string {
  return typeof pct === 'number' && Number.isFinite(pct) ? percent.format(pct / 100) : 'new';
}

/** 24-hour wall-clock time, `14:05`. */
export function formatClock(epochMs: number): string {
  return clock.format(epochMs);
}

/** `45m`, `1h 20m`, `12h`. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return '<1m';
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return hours >= 10 || rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
}

/** `5 min`, `30 s`. */
export function formatSpan(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1_000)} s`;
}

/** A key as people say it: searches in quotes, `color=sage` as `color: sage`. */
export function displayKey(dimension: Dimension, key: string): string {
  switch (dimension) {
    case 'query':
    case 'term':
      return `“${key}”`;
    case 'attribute':
      return key.replace('=', ': ');
    default:
      return key;
  }
}

export const DIMENSION_LABELS: Readonly<Record<Dimension, string>> = {
  sku: 'Product',
  query: 'Search',
  term: 'Search term',
  category: 'Category',
  attribute: 'Attribute',
  region: 'Region',
};

/** Plural board names for the header. */
export const DIMENSION_BOARDS: Readonly<Record<Dimension, string>> = {
  sku: 'Products',
  query: 'Searches',
  term: 'Search terms',
  category: 'Categories',
  attribute: 'Attributes',
  region: 'Regions',
};

const units = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const unitsRounded = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 2 });

/** `1,800`: two significant digits from 100 up, as alert projections are rounded server-side. */
export function formatUnits(value: number): string {
  return value < 100 ? units.format(value) : unitsRounded.format(value);
}

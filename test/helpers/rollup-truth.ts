/**
 * Every rollup's sums per kind (events, units, revenue) next to the same
 * sums computed from the raw tables with FINAL, the contract's exact
 * counts. The truth is written out here independently of the views: each
 * rollup counts every raw event of its kinds, except category (events of
 * catalog items) and attribute (one per attribute of the item).
 */
import { expect } from 'vitest';
import { ROLLUPS, type Rollup } from '../../src/store/rollups.js';
import type { EventKind } from '../../src/domain.js';

export interface RollupComparison {
  readonly rollup: string;
  readonly kind: EventKind;
  readonly rollup_events: number;
  readonly raw_events: number;
  readonly rollup_units: number;
  readonly raw_units: number;
  readonly rollup_revenue: number;
  readonly raw_revenue: number;
}

/** How many rollup rows one raw event of `rollup` makes, joined as the view joins the catalog. */
function perEvent(rollup: Rollup, db: string): { join: string; weight: string } {
  const catalog = `(SELECT sku, price, length(mapKeys(attributes)) AS attributes FROM ${db}.catalog FINAL) AS c`;
  if (rollup.dimension === 'attribute') return { join: `INNER JOIN ${catalog} ON e.sku = c.sku`, weight: 'c.attributes' };
  if (rollup.dimension === 'category') return { join: `INNER JOIN ${catalog} ON e.sku = c.sku`, weight: '1' };
  return { join: `LEFT JOIN ${catalog} ON e.sku = c.sku`, weight: '1' };
}

function truthSql(rollup: Rollup, kind: EventKind, db: string): string {
  const table = `${db}.events_${kind}`;
  if (kind === 'search') return `SELECT count() AS events, 0 AS units, 0 AS revenue FROM ${table} FINAL`;
  const { join, weight } = perEvent(rollup, db);
  const units = kind === 'sale' ? `sum(e.qty * ${weight})` : '0';
  const revenue = kind === 'sale' ? `round(sum(e.qty * coalesce(e.price, c.price, 0) * ${weight}), 4)` : '0';
  return `SELECT sum(${weight}) AS events, ${units} AS units, ${revenue} AS revenue FROM ${table} AS e FINAL ${join}`;
}

/** One comparison per rollup and kind it counts; `run` executes a read-only query and returns its rows. */
export async function rollupsAgainstRaw(run: (sql: string) => Promise<Record<string, unknown>[]>, db = 'trendmon'): Promise<RollupComparison[]> {
  const comparisons: RollupComparison[] = [];
  for (const rollup of Object.values(ROLLUPS)) {
    for (const kind of rollup.kinds) {
      const [row] = await run(`
        SELECT r.events AS rollup_events, t.events AS raw_events, r.units AS rollup_units, t.units AS raw_units,
               r.revenue AS rollup_revenue, t.revenue AS raw_revenue
        FROM (SELECT sum(events) AS events, sum(units) AS units, round(sum(revenue), 4) AS revenue
              FROM ${db}.${rollup.table} WHERE kind = '${kind}') AS r
        CROSS JOIN (${truthSql(rollup, kind, db)}) AS t`);
      const n = (name: string) => Number(row![name]);
      comparisons.push({
        rollup: rollup.table,
        kind,
        rollup_events: n('rollup_events'),
        raw_events: n('raw_events'),
        rollup_units: n('rollup_units'),
        raw_units: n('raw_units'),
        rollup_revenue: n('rollup_revenue'),
        raw_revenue: n('raw_revenue'),
      });
    }
  }
  return comparisons;
}

/** The comparisons as a table for a test's log. */
export function formatComparisons(comparisons: readonly RollupComparison[]): string {
  return comparisons
    .map((c) => `${c.rollup.padEnd(24)} ${c.kind.padEnd(6)} events ${c.rollup_events}/${c.raw_events}  units ${c.rollup_units}/${c.raw_units}  revenue ${c.rollup_revenue}/${c.raw_revenue}`)
    .join('\n');
}

/** Each rollup's events, units and revenue per kind equal to the raw tables' (every difference listed). */
export function expectRollupsMatchRaw(comparisons: readonly RollupComparison[]): void {
  const differing = comparisons.filter((c) => c.rollup_events !== c.raw_events || c.rollup_units !== c.raw_units || c.rollup_revenue !== c.raw_revenue);
  expect(formatComparisons(differing)).toBe('');
}

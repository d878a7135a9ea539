/**
 * The routing tree, as in Alertmanager: an alert enters at the root, goes
 * down into the first child whose matchers match (and on into later
 * siblings while a matched child says `continue`), and ends at the deepest
 * routes that matched. Each of those routes sends it to its receiver, in
 * the group its `groupBy` labels select.
 */
import { formatLabels, matchesAll, type Labels } from './matchers.js';
import type { RouteConfig } from './rules.js';

/** The routes an alert with these labels ends at (the root when no child matches). */
export function matchRoutes(route: RouteConfig, labels: Labels): RouteConfig[] {
  if (!matchesAll(route.matchers, labels)) return [];
  const found: RouteConfig[] = [];
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels);
    if (matched.length === 0) continue;
    found.push(...matched);
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [route];
}

/** The labels that pick the alert's group on this route (only those the alert has). */
export function groupLabels(route: RouteConfig, labels: Labels): Labels {
  if (route.groupBy === 'all') return labels;
  const picked: Record<string, string> = {};
  for (const name of route.groupBy) {
    const value = labels[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}

/** Alertmanager's group key: `<route key>:<group labels>`, e.g. `{}/{factory="porto"}:{category="dresses"}`. */
export function groupKey(route: RouteConfig, group: Labels): string {
  return `${route.key}:${formatLabels(group)}`;
}

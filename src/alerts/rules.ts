/**
 * The alerting configuration, typed: rules (what deserves an alert), the
 * routing tree (who hears about it, grouped how, how often), receivers
 * (where it is delivered) and inhibition rules. Built from a rule file
 * (ALERTS_CONFIG; JSON with comments or YAML) or the defaults once
 * rule-schema.ts has validated it, and written back as JSON for the API.
 *
 * Rules may also be managed through the API (`PUT /api/alerts/rules`); they
 * use the same rule schema, with the request body or the stored API rule
 * file as the place named in errors.
 */
import { readFile } from 'node:fs/promises';
import { formatDuration } from '../config/duration.js';
import type { Dimension, Direction } from '../domain.js';
import type { Backoff } from '../retry.js';
import { formatMatcher, type Labels, type Matcher } from './matchers.js';
import {
  AlertsConfigError,
  readApiRules,
  readApiRulesFile,
  readRuleFile,
  type ConfigEnv,
  type ParsedConfig,
  type ParsedRule,
  type PROJECTION_LEVELS,
  type RouteInput,
} from './rule-schema.js';

/** Which spikes a rule looks at; every given field must match. */
export interface RuleScope {
  readonly dimensions?: readonly Dimension[];
  /** Exact keys (queries and terms compared after normalisation). */
  readonly keys?: readonly string[];
  /** Category spikes with these keys, and sku spikes of items in these categories. */
  readonly categories?: readonly string[];
  /** Rising spikes, falling ones (stock-outs, broken listings), or both; unset: rising only. */
  readonly directions?: readonly Direction[];
  /** Only searches the catalog does not cover (true), or only the rest (false): unmet demand. */
  readonly unmet?: boolean;
}

export interface RuleConfig {
  readonly name: string;
  readonly scope: RuleScope;
  /** The spike's latest window must score at least this (standard deviations). */
  readonly minScore: number;
  /** ... and hold at least this many events. */
  readonly minVolume: number;
  /** The spike must have run this long (event time) before it alerts. */
  readonly minDurationMs: number;
  /** Overrides the projection's persistence for this rule's alerts. */
  readonly persistenceMs?: number;
  /** Added to every alert of the rule, e.g. team and factory. */
  readonly labels: Labels;
  /** Where the rule was defined: the rule file, or the API. */
  readonly source: 'file' | 'api';
}

export interface RouteConfig {
  /** Identifies the route in group keys: `{}` for the root, `{}/{factory="porto"}` below. */
  readonly key: string;
  readonly receiver: string;
  /** Labels that split alerts into groups; `all` makes every alert its own group. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly matchers: readonly Matcher[];
  /** Keep looking at later siblings after this route matched. */
  readonly continue: boolean;
  readonly routes: readonly RouteConfig[];
}

export interface WebhookConfig {
  readonly url: string;
  /** When set, bodies are signed: `X-Trendmon-Signature: sha256=<hex HMAC>`. */
  readonly secret?: string;
  /** `alertmanager`: the v4-like JSON body; `slack`: `{"text": ...}` for Slack-compatible incoming webhooks. */
  readonly format: 'alertmanager' | 'slack';
  readonly timeoutMs: number;
  /** Waits between delivery attempts (src/retry.ts). */
  readonly retry: Backoff;
}

export interface ReceiverConfig {
  readonly name: string;
  readonly webhooks: readonly WebhookConfig[];
  /** Publish the JSON body on this NATS subject (contract: `alerts.trend`). */
  readonly nats?: { readonly subject: string };
}

export interface InhibitRule {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  /** Labels whose values must be the same on source and target. */
  readonly equal: readonly string[];
}

export interface ProjectionSettings {
  /** Time constant of the assumed exponential fade of a trend's excess demand. */
  readonly persistenceMs: number;
  /** Probability covered by the projected interval. */
  readonly level: ProjectionLevel;
}

export interface AlertsConfig {
  /** The file it was read from, or `(defaults)`. */
  readonly source: string;
  readonly projection: ProjectionSettings;
  /** An alert whose spike has had no update for this long (event time) is resolved. */
  readonly resolveTimeoutMs: number;
  readonly rules: readonly RuleConfig[];
  readonly route: RouteConfig;
  readonly receivers: readonly ReceiverConfig[];
  readonly inhibitRules: readonly InhibitRule[];
}

export type ProjectionLevel = (typeof PROJECTION_LEVELS)[number];

// ---------------------------------------------------------------------------
// Building the typed configuration.

function buildRule(rule: ParsedRule, source: RuleConfig['source']): RuleConfig {
  return {
    name: rule.name,
    scope: {
      ...(rule.scope.dimension ? { dimensions: rule.scope.dimension } : {}),
      ...(rule.scope.key ? { keys: rule.scope.key } : {}),
      ...(rule.scope.category ? { categories: rule.scope.category } : {}),
      ...(rule.scope.direction ? { directions: rule.scope.direction } : {}),
      ...(rule.scope.unmet !== undefined ? { unmet: rule.scope.unmet } : {}),
    },
    minScore: rule.minScore,
    minVolume: rule.minVolume,
    minDurationMs: rule.minDuration,
    ...(rule.persistence !== undefined ? { persistenceMs: rule.persistence } : {}),
    labels: rule.labels,
    source,
  };
}

/** Alertmanager's defaults: wait 30 s to gather a group, then update at most every 5 m, repeat every 4 h. */
const ROOT_TIMING = { groupBy: [] as readonly string[] | 'all', groupWaitMs: 30_000, groupIntervalMs: 5 * 60_000, repeatIntervalMs: 4 * 3_600_000 };

function buildRoute(input: RouteInput, parent: Omit<RouteConfig, 'key' | 'matchers' | 'continue' | 'routes'>, key: string): RouteConfig {
  const groupBy = input.groupBy === undefined ? parent.groupBy : input.groupBy.includes('...') ? 'all' : input.groupBy;
  const settings = {
    receiver: input.receiver ?? parent.receiver,
    groupBy,
    groupWaitMs: input.groupWait ?? parent.groupWaitMs,
    groupIntervalMs: input.groupInterval ?? parent.groupIntervalMs,
    repeatIntervalMs: input.repeatInterval ?? parent.repeatIntervalMs,
  };
  const seen = new Map<string, number>();
  const routes = (input.routes ?? []).map((child) => {
    const matchers = (child.matchers ?? []).map(formatMatcher).join(', ');
    const n = seen.get(matchers) ?? 0;
    seen.set(matchers, n + 1);
    return buildRoute(child, settings, `${key}/{${matchers}}${n > 0 ? `/${n}` : ''}`);
  });
  return { key, ...settings, matchers: input.matchers ?? [], continue: input.continue ?? false, routes };
}

function buildConfig(parsed: ParsedConfig, source: string): AlertsConfig {
  return {
    source,
    projection: { persistenceMs: parsed.projection.persistence, level: parsed.projection.interval as ProjectionLevel },
    resolveTimeoutMs: parsed.resolveTimeout,
    rules: parsed.rules.map((rule) => buildRule(rule, 'file')),
    route: buildRoute(parsed.route, { receiver: '', ...ROOT_TIMING }, '{}'),
    receivers: parsed.receivers.map((r) => ({
      name: r.name,
      webhooks: r.webhooks.map((w) => ({
        url: w.url,
        ...(w.secret !== undefined ? { secret: w.secret } : {}),
        format: w.format,
        timeoutMs: w.timeout,
        retry: { initialMs: w.retry.initial, maxMs: Math.max(w.retry.initial, w.retry.max) },
      })),
      ...(r.nats ? { nats: { subject: r.nats.subject } } : {}),
    })),
    inhibitRules: parsed.inhibitRules.map((r) => ({ sourceMatchers: r.sourceMatchers, targetMatchers: r.targetMatchers, equal: r.equal })),
  };
}

/**
 * Parses rule file text, YAML when `source` ends in .yaml or .yml, else JSON
 * with comments; throws AlertsConfigError listing every problem with its line.
 */
export function parseAlertsConfig(text: string, source: string, env: ConfigEnv): AlertsConfig {
  return buildConfig(readRuleFile(text, source, env), source);
}

/** Reads and parses the rule file at `path`. */
export async function loadAlertsConfig(path: string, env: ConfigEnv): Promise<AlertsConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AlertsConfigError([{ where: path, field: '', reason: `cannot read the rule file: ${(err as Error).message}` }]);
  }
  return parseAlertsConfig(text, path, env);
}

/**
 * What applies without a rule file: every rising spike alerts, and every
 * item that falls (a stock-out, a broken listing), grouped by category (a
 * category alert mutes its own items'), published on `alerts.trend` and
 * posted to ALERT_WEBHOOK_URL when set.
 */
export function defaultAlertsConfig(env: ConfigEnv): AlertsConfig {
  const url = env.ALERT_WEBHOOK_URL;
  const secret = env.ALERT_WEBHOOK_SECRET;
  const defaults = {
    rules: [{ name: 'trend' }, { name: 'fall', scope: { dimension: 'sku', direction: 'falling' } }],
    route: { receiver: 'default', groupBy: ['alertname', 'category'] },
    receivers: [{ name: 'default', nats: {}, webhooks: url ? [{ url, ...(secret ? { secret } : {}) }] : [] }],
    inhibitRules: [{ sourceMatchers: ['dimension=category'], targetMatchers: ['dimension=sku'], equal: ['category'] }],
  };
  return parseAlertsConfig(JSON.stringify(defaults), '(defaults)', env);
}

/** Validates rules sent to the API (`{"rules": [...]}`); problems name the field. */
export function parseApiRules(body: unknown): RuleConfig[] {
  return readApiRules(body).map((rule) => buildRule(rule, 'api'));
}

/** Parses the stored API rules file (written by trendmon; located errors if edited by hand). */
export function parseApiRulesFile(text: string, source: string): RuleConfig[] {
  return readApiRulesFile(text, source).map((rule) => buildRule(rule, 'api'));
}

// ---------------------------------------------------------------------------
// The JSON form, as the API shows and stores it.

/** `https://hooks.example.com/…`: webhook paths often carry the credential (Slack). */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.length > 1 || parsed.search ? '/…' : ''}`;
}

function routeToJson(route: RouteConfig): Record<string, unknown> {
  return {
    receiver: route.receiver,
    groupBy: route.groupBy === 'all' ? ['...'] : route.groupBy,
    groupWait: formatDuration(route.groupWaitMs),
    groupInterval: formatDuration(route.groupIntervalMs),
    repeatInterval: formatDuration(route.repeatIntervalMs),
    matchers: route.matchers.map(formatMatcher),
    continue: route.continue,
    routes: route.routes.map(routeToJson),
  };
}

/** The configuration in the rule file's terms, as `GET /api/alerts/rules` shows it: secrets and webhook paths redacted. */
export function configToJson(config: AlertsConfig): Record<string, unknown> {
  return {
    source: config.source,
    projection: { persistence: formatDuration(config.projection.persistenceMs), interval: config.projection.level },
    resolveTimeout: formatDuration(config.resolveTimeoutMs),
    rules: config.rules.map((rule) => ({ ...ruleToJson(rule), source: rule.source })),
    route: routeToJson(config.route),
    receivers: config.receivers.map((r) => ({
      name: r.name,
      webhooks: r.webhooks.map((w) => ({ url: redactUrl(w.url), signed: w.secret !== undefined, format: w.format, timeout: formatDuration(w.timeoutMs) })),
      ...(r.nats ? { nats: r.nats } : {}),
    })),
    inhibitRules: config.inhibitRules.map((r) => ({
      sourceMatchers: r.sourceMatchers.map(formatMatcher),
      targetMatchers: r.targetMatchers.map(formatMatcher),
      equal: r.equal,
    })),
  };
}

/** The JSON form of a rule, as the API returns and stores it. */
export function ruleToJson(rule: RuleConfig): Record<string, unknown> {
  return {
    name: rule.name,
    scope: {
      ...(rule.scope.dimensions ? { dimension: rule.scope.dimensions } : {}),
      ...(rule.scope.keys ? { key: rule.scope.keys } : {}),
      ...(rule.scope.categories ? { category: rule.scope.categories } : {}),
      ...(rule.scope.directions ? { direction: rule.scope.directions } : {}),
      ...(rule.scope.unmet !== undefined ? { unmet: rule.scope.unmet } : {}),
    },
    minScore: rule.minScore,
    minVolume: rule.minVolume,
    minDuration: formatDuration(rule.minDurationMs),
    ...(rule.persistenceMs !== undefined ? { persistence: formatDuration(rule.persistenceMs) } : {}),
    labels: rule.labels,
  };
}

/**
 * The alerting configuration: rules (what deserves an alert), the routing
 * tree (who hears about it, grouped how, how often), receivers (where it is
 * delivered) and inhibition rules. Read from a JSON file with comments, or
 * a YAML file (ALERTS_CONFIG; document.ts), and validated as a whole, so a bad file is refused with
 * every problem at once, each as `file:line:column field: reason`.
 *
 * Rules may also be managed through the API (`PUT /api/alerts/rules`); they
 * use the same rule schema, with the request body or the stored API rule
 * file as the place named in errors.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../config/duration.js';
import { DIMENSIONS, type Dimension, type Direction } from '../domain.js';
import { TrendmonError, type ErrorCode } from '../errors.js';
import type { Backoff } from '../retry.js';
import { DocumentSyntaxError, languageOf, parseRuleDocument, type DocumentLanguage, type DocumentPath, type SourcePosition } from './document.js';
import { formatMatcher, LABEL_NAME, parseMatcher, type Labels, type Matcher } from './matchers.js';

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

export const PROJECTION_LEVELS = [0.5, 0.8, 0.9, 0.95] as const;
export type ProjectionLevel = (typeof PROJECTION_LEVELS)[number];

/** Values substituted for `${NAME}` in webhook urls and secrets. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  /** `file:line:column`, or `request body`. */
  readonly where: string;
  /** e.g. `rules[2].minScore`; empty for a syntax error. */
  readonly field: string;
  readonly reason: string;
}

/** Whose problem it is: a rule file's, or that of rules sent to the API. */
export type AlertsConfigErrorCode = Extract<ErrorCode, 'invalid_rule_file' | 'bad_request'>;

/** Every problem found in an alerting configuration. */
export class AlertsConfigError extends TrendmonError {
  constructor(
    readonly problems: readonly ConfigProblem[],
    code: AlertsConfigErrorCode = 'invalid_rule_file',
  ) {
    super(code, problems.map((p) => `${p.where}${p.field ? ` ${p.field}` : ''}: ${p.reason}`).join('\n'));
  }
}

// ---------------------------------------------------------------------------
// Schema. Field names are collected as the objects are declared, so that an
// unknown field can be answered with the one that was probably meant
// (Alertmanager habits: group_wait -> groupWait).

const FIELD_NAMES = new Set<string>();
const fields = <S extends z.ZodRawShape>(shape: S) => {
  for (const name of Object.keys(shape)) FIELD_NAMES.add(name);
  return z.strictObject(shape);
};

const ZERO_DURATION = /^\s*0+(?:\.0+)?\s*(?:ms|s|m|h|d)?\s*$/;
const duration = (options: { allowZero?: boolean; maxMs?: number } = {}) =>
  z.string().transform((text, ctx) => {
    const ms = options.allowZero && ZERO_DURATION.test(text) ? 0 : parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not a duration (use e.g. 30s, 5m, 4h, 2d)` });
      return z.NEVER;
    }
    if (options.maxMs !== undefined && ms > options.maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDuration(options.maxMs)}` });
      return z.NEVER;
    }
    return ms;
  });

const matcher = z.string().transform((text, ctx) => {
  try {
    return parseMatcher(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const labelName = z.string().regex(LABEL_NAME, 'must be a label name: letters, digits and _, not starting with a digit');
/** Labels trendmon sets itself; rules cannot override them. */
export const RESERVED_LABELS = ['alertname', 'dimension', 'key', 'category', 'region', 'unmet'] as const;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).min(1));

const withEnv = (env: ConfigEnv, kind: 'url' | 'secret') =>
  z.string().transform((text, ctx) => {
    const missing: string[] = [];
    const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined || found === '') missing.push(name);
      return found ?? '';
    });
    if (missing.length) {
      ctx.addIssue({ code: 'custom', message: `environment variable ${missing.join(', ')} is not set` });
      return z.NEVER;
    }
    if (kind === 'url') {
      let protocol = '';
      try {
        protocol = new URL(value).protocol;
      } catch {
        // reported below
      }
      if (protocol !== 'http:' && protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not an http(s) URL` });
        return z.NEVER;
      }
    } else if (value.length < 16) {
      ctx.addIssue({ code: 'custom', message: 'a signing secret must be at least 16 characters' });
      return z.NEVER;
    }
    return value;
  });

const ruleSchema = fields({
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 letters, digits, _ . : or -'),
  scope: fields({
    dimension: oneOrMany(z.enum(DIMENSIONS as unknown as [Dimension, ...Dimension[]])).optional(),
    key: oneOrMany(z.string().min(1)).optional(),
    category: oneOrMany(z.string().min(1)).optional(),
    direction: oneOrMany(z.enum(['rising', 'falling'])).optional(),
    unmet: z.boolean().optional(),
  }).prefault({}),
  minScore: z.number().min(0).default(0),
  minVolume: z.number().int().min(0).default(0),
  minDuration: duration({ allowZero: true }).default(0),
  persistence: duration().optional(),
  labels: z
    .record(labelName, z.string().max(256))
    .default({})
    .superRefine((labels, ctx) => {
      for (const name of RESERVED_LABELS) {
        if (name in labels) ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is set by trendmon from the spike; choose another label name` });
      }
    }),
});

const routeTiming = {
  groupBy: z.array(z.union([labelName, z.literal('...')])).optional(),
  groupWait: duration({ allowZero: true }).optional(),
  groupInterval: duration().optional(),
  repeatInterval: duration().optional(),
};

interface RouteInput {
  receiver?: string;
  groupBy?: string[];
  groupWait?: number;
  groupInterval?: number;
  repeatInterval?: number;
  matchers?: Matcher[];
  continue?: boolean;
  routes?: RouteInput[];
}

const routeSchema: z.ZodType<RouteInput> = z.lazy(() =>
  fields({
    receiver: z.string().optional(),
    ...routeTiming,
    matchers: z.array(matcher).optional(),
    continue: z.boolean().optional(),
    routes: z.array(routeSchema).optional(),
  }),
);

const receiverSchema = (env: ConfigEnv) =>
  fields({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    webhooks: z
      .array(
        fields({
          url: withEnv(env, 'url'),
          secret: withEnv(env, 'secret').optional(),
          format: z.enum(['alertmanager', 'slack']).default('alertmanager'),
          timeout: duration({ maxMs: 60_000 }).default(10_000),
          retry: fields({ initial: duration().default(1_000), max: duration().default(60_000) }).prefault({}),
        }),
      )
      .default([]),
    nats: fields({
      subject: z
        .string()
        .regex(/^[^\s.*>]+(\.[^\s.*>]+)*$/, 'must be a NATS subject without wildcards, e.g. alerts.trend')
        .default('alerts.trend'),
    }).optional(),
  });

const inhibitSchema = fields({
  sourceMatchers: z.array(matcher).min(1),
  targetMatchers: z.array(matcher).min(1),
  equal: z.array(labelName).default([]),
});

const uniqueNames = (items: readonly { name: string }[], field: string, what: string, ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (seen.has(item.name)) ctx.addIssue({ code: 'custom', path: [field, index, 'name'], message: `${what} "${item.name}" is defined twice` });
    seen.add(item.name);
  });
};

const configSchema = (env: ConfigEnv) =>
  fields({
    projection: fields({
      persistence: duration().default(2 * 86_400_000),
      interval: z
        .number()
        .refine((n) => (PROJECTION_LEVELS as readonly number[]).includes(n), `must be one of ${PROJECTION_LEVELS.join(', ')}`)
        .default(0.8),
    }).prefault({}),
    resolveTimeout: duration().default(5 * 60_000),
    rules: z.array(ruleSchema).default([]),
    route: routeSchema,
    receivers: z.array(receiverSchema(env)).min(1),
    inhibitRules: z.array(inhibitSchema).default([]),
  }).superRefine((config, ctx) => {
    uniqueNames(config.rules, 'rules', 'rule', ctx);
    uniqueNames(config.receivers, 'receivers', 'receiver', ctx);
    const receivers = new Set(config.receivers.map((r) => r.name));
    config.receivers.forEach((r, index) => {
      if (r.webhooks.length === 0 && !r.nats) {
        ctx.addIssue({ code: 'custom', path: ['receivers', index], message: `receiver "${r.name}" has no webhooks and no nats: it would deliver nowhere` });
      }
    });
    if (!config.route.receiver) ctx.addIssue({ code: 'custom', path: ['route', 'receiver'], message: 'the root route needs a receiver' });
    const walk = (route: RouteInput, path: PropertyKey[]) => {
      if (route.receiver !== undefined && !receivers.has(route.receiver)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'receiver'], message: `no receiver named "${route.receiver}" (have: ${[...receivers].join(', ')})` });
      }
      route.routes?.forEach((child, i) => walk(child, [...path, 'routes', i]));
    };
    walk(config.route, ['route']);
  });

const apiRulesSchema = fields({ rules: z.array(ruleSchema) }).superRefine((body, ctx) => uniqueNames(body.rules, 'rules', 'rule', ctx));

// ---------------------------------------------------------------------------
// Building the typed configuration.

type ParsedRule = z.infer<typeof ruleSchema>;

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

function buildConfig(parsed: z.infer<ReturnType<typeof configSchema>>, source: string): AlertsConfig {
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

// ---------------------------------------------------------------------------
// Validation with located problems.

const normalizeField = (name: string) => name.replace(/[_-]/g, '').toLowerCase();

function formatPath(path: DocumentPath): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

interface Issue {
  readonly path: DocumentPath;
  readonly reason: string;
}

function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.flatMap((issue): Issue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const meant = [...FIELD_NAMES].find((name) => normalizeField(name) === normalizeField(key));
        return { path: [...issue.path, key], reason: `unknown field "${key}"${meant ? ` (did you mean "${meant}"?)` : ''}` };
      });
    }
    return [{ path: issue.path, reason: issue.message }];
  });
}

function validate<T extends z.ZodType>(schema: T, text: string, source: string, language: DocumentLanguage): z.infer<T> {
  let document;
  try {
    document = parseRuleDocument(text, language);
  } catch (err) {
    if (!(err instanceof DocumentSyntaxError)) throw err;
    throw new AlertsConfigError([{ where: at(source, err.position), field: '', reason: `not valid ${err.language}: ${err.reason}` }]);
  }
  const parsed = schema.safeParse(document.value);
  if (!parsed.success) {
    const located = issuesOf(parsed.error).map((issue) => ({ ...issue, position: document.locate(issue.path) }));
    // In file order, so the list reads top to bottom with the file.
    located.sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
    throw new AlertsConfigError(located.map((i) => ({ where: at(source, i.position), field: formatPath(i.path), reason: i.reason })));
  }
  return parsed.data;
}

const at = (source: string, position: SourcePosition) => `${source}:${position.line}:${position.column}`;

/**
 * Parses rule file text, YAML when `source` ends in .yaml or .yml, else JSON
 * with comments; throws AlertsConfigError listing every problem with its line.
 */
export function parseAlertsConfig(text: string, source: string, env: ConfigEnv): AlertsConfig {
  return buildConfig(validate(configSchema(env), text, source, languageOf(source)), source);
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
  const parsed = apiRulesSchema.safeParse(body);
  if (!parsed.success) {
    throw new AlertsConfigError(
      issuesOf(parsed.error).map((i) => ({ where: 'request body', field: formatPath(i.path), reason: i.reason })),
      'bad_request',
    );
  }
  return parsed.data.rules.map((rule) => buildRule(rule, 'api'));
}

/** Parses the stored API rules file (written by trendmon; located errors if edited by hand). */
export function parseApiRulesFile(text: string, source: string): RuleConfig[] {
  return validate(apiRulesSchema, text, source, 'JSON').rules.map((rule) => buildRule(rule, 'api'));
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

/**
 * The alerting configuration's schema: what a rule file may say (rules, the
 * routing tree, receivers, inhibition rules, the projection settings) and
 * what rules sent to the API may say. A document is validated as a whole,
 * so a bad one is refused with every problem at once, each as
 * `file:line:column field: reason` (document.ts locates them in JSON with
 * comments or YAML), and an unknown field is answered with the one probably
 * meant (Alertmanager habits: group_wait -> groupWait).
 *
 * rules.ts builds the typed configuration from what passes.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from '../config/duration.js';
import { DIMENSIONS, type Dimension } from '../domain.js';
import { TrendmonError, type ErrorCode } from '../errors.js';
import { DocumentSyntaxError, languageOf, parseRuleDocument, type DocumentLanguage, type DocumentPath, type SourcePosition } from './document.js';
import { LABEL_NAME, parseMatcher, type Matcher } from './matchers.js';

/** The probabilities a projected interval may cover (`projection.interval`). */
export const PROJECTION_LEVELS = [0.5, 0.8, 0.9, 0.95] as const;

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
const RESERVED_LABELS = ['alertname', 'dimension', 'key', 'category', 'region', 'unmet'] as const;

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

/** A route as written: unset settings come from its parent. */
export interface RouteInput {
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

export type ParsedConfig = z.infer<ReturnType<typeof configSchema>>;
export type ParsedRule = z.infer<typeof ruleSchema>;

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
 * Validates rule file text, YAML when `source` ends in .yaml or .yml, else
 * JSON with comments; throws AlertsConfigError listing every problem with
 * its line.
 */
export function readRuleFile(text: string, source: string, env: ConfigEnv): ParsedConfig {
  return validate(configSchema(env), text, source, languageOf(source));
}

/** Validates the stored API rules file (written by trendmon; located problems if edited by hand). */
export function readApiRulesFile(text: string, source: string): ParsedRule[] {
  return validate(apiRulesSchema, text, source, 'JSON').rules;
}

/** Validates rules sent to the API (`{"rules": [...]}`); problems name the field. */
export function readApiRules(body: unknown): ParsedRule[] {
  const parsed = apiRulesSchema.safeParse(body);
  if (!parsed.success) {
    throw new AlertsConfigError(
      issuesOf(parsed.error).map((i) => ({ where: 'request body', field: formatPath(i.path), reason: i.reason })),
      'bad_request',
    );
  }
  return parsed.data.rules;
}

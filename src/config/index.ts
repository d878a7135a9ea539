/**
 * trendmon's configuration, read from the environment (contract section 7)
 * and validated once at start. A bad value stops start-up with one line that
 * names the variable and says what would be accepted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TrendmonError } from '../errors.js';
import { parseDuration } from './duration.js';

export class ConfigError extends TrendmonError {
  constructor(readonly problems: readonly string[]) {
    super('invalid_config', problems.join('; '));
  }
}

const duration = (example: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `is not a duration (use e.g. ${example}, 10s, 500ms)` });
      return z.NEVER;
    }
    return ms;
  });

const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `is not a URL (use ${protocols.map((p) => `${p}//host:port`).join(' or ')})` },
  );

const natsUrls = z.string().refine(
  (text) =>
    text.split(',').every((part) => {
      try {
        return ['nats:', 'tls:', 'ws:', 'wss:'].includes(new URL(part.trim()).protocol);
      } catch {
        return false;
      }
    }),
  { message: 'is not a NATS URL list (use nats://host:4222[,nats://other:4222])' },
);

const httpUrls = z.string().refine(
  (text) =>
    text.split(',').every((part) => {
      try {
        return ['http:', 'https:'].includes(new URL(part.trim()).protocol);
      } catch {
        return false;
      }
    }),
  { message: 'is not a list of Alertmanager URLs (use http://host:9093[,http://other:9093])' },
);

const envSchema = z.object({
  NATS_URL: natsUrls.optional(),
  NATS_CREDS: z.string().min(1).optional(),
  NATS_USER: z.string().min(1).optional(),
  NATS_PASS: z.string().min(1).optional(),
  NATS_PORT: z.coerce.number().int().min(1).max(65535).default(4222),
  CLICKHOUSE_URL: url(['http:', 'https:']).optional(),
  CLICKHOUSE_USER: z.string().min(1).optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_READER_USER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain user name (letters, digits, underscore)')
    .default('trendmon_reader'),
  CLICKHOUSE_READER_PASSWORD: z.string().min(1).optional(),
  TRENDMON_DB: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a plain identifier (letters, digits, underscore)')
    .default('trendmon'),
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'must be a cluster name from the server\'s remote_servers (letters, digits, _ . -)')
    .optional(),
  RAW_TTL_DAYS: z.coerce.number().int('must be a whole number of days').min(0).max(36_500).default(0),
  ROLLUP_TTL_DAYS: z.coerce.number().int('must be a whole number of days').min(0).max(36_500).default(0),
  SQL_MAX_ROWS: z.coerce.number().int().min(1).max(100_000_000).default(100_000),
  SQL_MAX_RESULT_BYTES: z.coerce.number().int().min(1024).max(2 ** 40).default(64 * 1024 * 1024),
  SQL_MAX_EXECUTION_TIME: duration('30s').default(30_000),
  DATA_DIR: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int('must be a whole number').min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  CATALOG_PATH: z.string().min(1).optional(),
  WINDOW: duration('5m').default(5 * 60_000),
  SLIDE: duration('10s').default(10_000),
  ALLOWED_LATENESS: duration('5s').default(5_000),
  REPLAY: z.union([z.literal('0'), duration('10m')]).optional(),
  TRENDMON_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TRENDMON_VIEW_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CORS_ORIGIN: z
    .string()
    .refine((v) => v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())), 'must be a comma-separated list of origins (https://wall.example.com)')
    .optional(),
  API_RATE_LIMIT: z.coerce.number().int('must be a whole number').min(1).max(1_000_000).default(600),
  NATS_TOKEN: z.string().min(1).optional(),
  NATS_TLS_CA: z.string().min(1).optional(),
  NATS_TLS_CERT: z.string().min(1).optional(),
  NATS_TLS_KEY: z.string().min(1).optional(),
  CLICKHOUSE_CA_CERT: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SKETCH_CAPACITY: z.coerce.number().int('must be a whole number').min(100).max(1_000_000).default(10_000),
  DETECT_MIN_VOLUME: z.coerce.number().int('must be a whole number').min(1).max(1_000_000).default(10),
  BATCH_MAX_ROWS: z.coerce.number().int().min(1).max(100_000).default(10_000),
  // Each insert makes a part in every events table and rollup, which embedded ClickHouse then merges:
  // at rest (~200 events/s) a 250 ms wait cost ~80% of a core, 2 s ~16%, 5 s ~9% (npm run bench:steady).
  // Under load batches fill to BATCH_MAX_ROWS long before; the wall never waits on the store.
  BATCH_MAX_WAIT: duration('5s').default(5_000),
  ALERTS_CONFIG: z.string().min(1).optional(),
  ALERT_WEBHOOK_URL: url(['http:', 'https:']).optional(),
  ALERT_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (it signs webhook bodies)').optional(),
  ALERTMANAGER_URL: httpUrls.optional(),
  ALERTMANAGER_RESEND_INTERVAL: duration('1m').default(60_000),
  PARTITIONS: z.coerce.number().int('must be a whole number').min(0).max(1024).default(0),
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -').optional(),
  LEASE_TTL: duration('10s').default(10_000),
  SIMULATE: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
});

export interface Config {
  readonly nats: {
    /** Undefined: start and manage a local nats-server. */
    readonly url?: string;
    readonly managedPort: number;
    readonly credsFile?: string;
    readonly user?: string;
    readonly pass?: string;
    readonly token?: string;
    /** PEM files: a CA to trust, and a client certificate and key for mutual TLS. */
    readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  };
  readonly clickhouse: {
    /** Undefined: embedded ClickHouse (chDB) under dataDir. */
    readonly url?: string;
    readonly user?: string;
    readonly password?: string;
    /** PEM CA to trust for an https CLICKHOUSE_URL. */
    readonly caCertFile?: string;
    readonly database: string;
    /** Set: DDL runs ON CLUSTER with Replicated and Distributed tables (docs/analytics.md). */
    readonly cluster?: string;
    /** Days kept; 0 keeps forever. */
    readonly retention: { readonly rawDays: number; readonly rollupDays: number };
    /** Bounds on /api/sql, `trendmon sql` and the analytics API. */
    readonly readerLimits: { readonly maxRows: number; readonly maxResultBytes: number; readonly maxExecutionSeconds: number };
    /** With a server: the read-only user those run as (src/store/reader-access.ts). */
    readonly reader?: { readonly user: string; readonly password: string };
  };
  readonly dataDir: string;
  readonly catalogPath?: string;
  readonly windows: { readonly sizeMs: number; readonly slideMs: number; readonly allowedLatenessMs: number };
  /** Keys kept per pane and reported per window for the unbounded dimensions (query, term). */
  readonly sketchCapacity: number;
  /** The detector's floor on a spike's volume: fewest events in a rising window, or lost in a falling one. */
  readonly detectMinVolume: number;
  /** History replayed from the stream at start to rebuild windows and baselines (0: none). */
  readonly replayMs: number;
  /** Admin token: when set, /ws, /api and /metrics need a token; rules and silences need this one. */
  readonly token?: string;
  /** Read-only token for walls and dashboards. */
  readonly viewToken?: string;
  readonly http: { readonly port: number; readonly host: string; readonly corsOrigins: readonly string[]; readonly apiRateLimitPerMinute: number };
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  readonly batch: { readonly maxRows: number; readonly maxWaitMs: number };
  /** Alerting (docs/alerts.md): the rule file, else defaults that post to the webhook URL when set. */
  readonly alerts: {
    readonly configPath?: string;
    readonly webhookUrl?: string;
    readonly webhookSecret?: string;
    /** Set: every alert is also posted to these Alertmanagers (each base URL), re-posted every `resendIntervalMs`. */
    readonly alertmanager?: { readonly urls: readonly string[]; readonly resendIntervalMs: number };
  };
  /** Run the simulator inside `trendmon start` (also `--simulate`). */
  readonly simulate: boolean;
  /**
   * Set (PARTITIONS >= 1): this instance is one of N sharing the stream, with
   * the keys split into `partitions` partitions leased through NATS
   * (docs/scaling.md). Unset: one instance does everything in process.
   */
  readonly cluster?: { readonly partitions: number; readonly instanceId: string; readonly leaseTtlMs: number };
}

const SECRET_NAME = /(PASS|PASSWORD|TOKEN|SECRET)$/;

/**
 * Reads the optional settings file (TRENDMON_CONFIG): `NAME=value` lines, `#`
 * comments, the same names as the environment, which wins over the file.
 * An unknown name is an error, so a typo cannot pass silently.
 */
export function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`TRENDMON_CONFIG=${JSON.stringify(path)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const known = new Set(Object.keys(envSchema.shape));
  const values: Record<string, string> = {};
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(line);
    const where = `${path}:${index + 1}`;
    if (!match) {
      problems.push(`${where}: expected NAME=value`);
      return;
    }
    const [, name, value] = match as unknown as [string, string, string];
    if (!known.has(name)) problems.push(`${where}: unknown setting ${name}`);
    else values[name] = value.replace(/^(["'])(.*)\1$/, '$2');
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/** Validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = env.TRENDMON_CONFIG ? readConfigFile(env.TRENDMON_CONFIG) : {};
  const present = Object.fromEntries(
    Object.entries({ ...fromFile, ...env }).filter(([name, value]) => value !== undefined && value !== '' && name !== 'TRENDMON_CONFIG'),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        // Name the variable, never echo a secret's value (nor a password in a URL).
        const shown = SECRET_NAME.test(name) ? '"****"' : JSON.stringify((env[name] ?? '').replace(/\/\/[^@/]*@/g, '//****@'));
        return `${name}=${shown} ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.WINDOW % e.SLIDE !== 0) problems.push(`WINDOW must be a whole multiple of SLIDE (got WINDOW=${env.WINDOW ?? '5m'}, SLIDE=${env.SLIDE ?? '10s'})`);
  if (e.WINDOW / e.SLIDE > 1000) problems.push('WINDOW/SLIDE must be at most 1000 slides per window');
  if ((e.NATS_USER === undefined) !== (e.NATS_PASS === undefined)) problems.push('NATS_USER and NATS_PASS must be set together');
  if ((e.NATS_TLS_CERT === undefined) !== (e.NATS_TLS_KEY === undefined)) problems.push('NATS_TLS_CERT and NATS_TLS_KEY must be set together');
  if (e.TRENDMON_VIEW_TOKEN !== undefined && e.TRENDMON_TOKEN === undefined) problems.push('TRENDMON_VIEW_TOKEN needs TRENDMON_TOKEN (the admin token) to be set too');
  if (e.TRENDMON_VIEW_TOKEN !== undefined && e.TRENDMON_VIEW_TOKEN === e.TRENDMON_TOKEN) problems.push('TRENDMON_VIEW_TOKEN must differ from TRENDMON_TOKEN');
  for (const name of ['NATS_CREDS', 'NATS_TLS_CA', 'NATS_TLS_CERT', 'NATS_TLS_KEY', 'CLICKHOUSE_CA_CERT'] as const) {
    const file = e[name];
    if (file !== undefined && !existsSync(file)) problems.push(`${name}=${JSON.stringify(file)} no such file`);
  }
  if (e.ALERTS_CONFIG !== undefined && !existsSync(e.ALERTS_CONFIG)) problems.push(`ALERTS_CONFIG=${JSON.stringify(e.ALERTS_CONFIG)} no such file (the alert rule file, see docs/alerts.md)`);
  if (e.CLICKHOUSE_CLUSTER !== undefined && e.CLICKHOUSE_URL === undefined) problems.push('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL (embedded ClickHouse is a single server)');
  if (e.CLICKHOUSE_URL !== undefined && e.CLICKHOUSE_READER_PASSWORD === undefined) {
    problems.push(`CLICKHOUSE_READER_PASSWORD must be set with CLICKHOUSE_URL: user SQL runs as the read-only ClickHouse user ${e.CLICKHOUSE_READER_USER} (CLICKHOUSE_READER_USER)`);
  }
  if (e.CLICKHOUSE_URL !== undefined && e.CLICKHOUSE_READER_USER === (e.CLICKHOUSE_USER ?? 'default')) problems.push(`CLICKHOUSE_READER_USER must differ from CLICKHOUSE_USER (${e.CLICKHOUSE_READER_USER}): the reader is a read-only user of its own`);
  if (e.SQL_MAX_EXECUTION_TIME % 1000 !== 0) problems.push(`SQL_MAX_EXECUTION_TIME must be whole seconds (got ${env.SQL_MAX_EXECUTION_TIME})`);
  if (e.LEASE_TTL < 1_000) problems.push(`LEASE_TTL must be at least 1s (got ${env.LEASE_TTL})`);
  if (e.ALERTMANAGER_RESEND_INTERVAL < 1_000) problems.push(`ALERTMANAGER_RESEND_INTERVAL must be at least 1s (got ${env.ALERTMANAGER_RESEND_INTERVAL})`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nats: {
      url: e.NATS_URL,
      managedPort: e.NATS_PORT,
      credsFile: e.NATS_CREDS,
      user: e.NATS_USER,
      pass: e.NATS_PASS,
      token: e.NATS_TOKEN,
      tls: e.NATS_TLS_CA || e.NATS_TLS_CERT ? { caFile: e.NATS_TLS_CA, certFile: e.NATS_TLS_CERT, keyFile: e.NATS_TLS_KEY } : undefined,
    },
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      caCertFile: e.CLICKHOUSE_CA_CERT,
      database: e.TRENDMON_DB,
      cluster: e.CLICKHOUSE_CLUSTER,
      retention: { rawDays: e.RAW_TTL_DAYS, rollupDays: e.ROLLUP_TTL_DAYS },
      readerLimits: { maxRows: e.SQL_MAX_ROWS, maxResultBytes: e.SQL_MAX_RESULT_BYTES, maxExecutionSeconds: e.SQL_MAX_EXECUTION_TIME / 1000 },
      reader: e.CLICKHOUSE_URL && e.CLICKHOUSE_READER_PASSWORD ? { user: e.CLICKHOUSE_READER_USER, password: e.CLICKHOUSE_READER_PASSWORD } : undefined,
    },
    dataDir: resolve(e.DATA_DIR),
    http: {
      port: e.PORT,
      host: e.HOST,
      corsOrigins: e.CORS_ORIGIN ? e.CORS_ORIGIN.split(',').map((o) => o.trim()) : [],
      apiRateLimitPerMinute: e.API_RATE_LIMIT,
    },
    catalogPath: e.CATALOG_PATH,
    windows: { sizeMs: e.WINDOW, slideMs: e.SLIDE, allowedLatenessMs: e.ALLOWED_LATENESS },
    sketchCapacity: e.SKETCH_CAPACITY,
    detectMinVolume: e.DETECT_MIN_VOLUME,
    replayMs: e.REPLAY === '0' ? 0 : (e.REPLAY ?? 2 * e.WINDOW),
    token: e.TRENDMON_TOKEN,
    viewToken: e.TRENDMON_VIEW_TOKEN,
    logLevel: e.LOG_LEVEL,
    batch: { maxRows: e.BATCH_MAX_ROWS, maxWaitMs: e.BATCH_MAX_WAIT },
    alerts: {
      configPath: e.ALERTS_CONFIG === undefined ? undefined : resolve(e.ALERTS_CONFIG),
      webhookUrl: e.ALERT_WEBHOOK_URL,
      webhookSecret: e.ALERT_WEBHOOK_SECRET,
      alertmanager: e.ALERTMANAGER_URL
        ? { urls: e.ALERTMANAGER_URL.split(',').map((url) => url.trim()), resendIntervalMs: e.ALERTMANAGER_RESEND_INTERVAL }
        : undefined,
    },
    simulate: e.SIMULATE,
    cluster:
      e.PARTITIONS > 0
        ? { partitions: e.PARTITIONS, instanceId: e.INSTANCE_ID ?? defaultInstanceId(), leaseTtlMs: e.LEASE_TTL }
        : undefined,
  };
}

/** Host name and process id: unique per running instance, readable in logs and leases. */
const defaultInstanceId = () => `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`;

/**
 * The configuration as it may be shown (`trendmon config`, logs): secrets
 * replaced by `****`, credentials in URLs too.
 */
export function maskSecrets(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => {
      if (value === undefined || value === null || value === '') return value;
      if (SECRET_NAME.test(key.toUpperCase())) return '****';
      if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*@/i.test(value)) return value.replace(/\/\/[^@/]*@/, '//****@');
      return value;
    }),
  );
}

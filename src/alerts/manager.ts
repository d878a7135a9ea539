/**
 * Alerting for factory planners, put together (docs/alerts.md): rules
 * evaluated on every detection, the dispatcher's grouping and timing, the
 * durable outbox and its receivers, Alertmanager fed beside them when
 * ALERTMANAGER_URL is set, the history in ClickHouse, and the state the API
 * and the wall show.
 *
 * Configuration comes from the rule file (ALERTS_CONFIG, or defaults) plus
 * rules managed through the API. Reloading re-reads the file and keeps the
 * running configuration when the new one is invalid. API rules and
 * silences are kept on disk (state-files.ts).
 */
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Config } from '../config/index.js';
import { formatDuration } from '../config/duration.js';
import type { Detection } from '../detect/detector.js';
import type { Spike, TrendEvent } from '../domain.js';
import type { AlertView } from './view.js';
import type { UnmetDetails } from '../detect/unmet.js';
import type { Metrics } from '../metrics.js';
import type { Backoff } from '../retry.js';
import type { CatalogLookup } from '../windows/keys.js';
import { AlertmanagerFeed, type AlertmanagerPost } from './alertmanager-feed.js';
import { AlertChanges } from './changes.js';
import { Dispatcher, type Notification } from './dispatcher.js';
import { RuleEvaluator, type Alert, type EvaluatorSettings } from './evaluate.js';
import { alertFacts, alertRow, suppressedRow, type AlertRow } from './history.js';
import { Outbox, type Deliver, type OutboxEnvelope } from './outbox.js';
import { MAX_ALERTS, slackBody, webhookAlert, webhookBody } from './payload.js';
import type { DemandPlanner } from './planning.js';
import { alertmanagerTarget } from './receivers/alertmanager.js';
import { publishAlert } from './receivers/nats.js';
import { postWebhook, type DeliveryResult } from './receivers/webhook.js';
import { AlertsConfigError, type AlertsConfigErrorCode, type ConfigEnv } from './rule-schema.js';
import { configToJson, defaultAlertsConfig, loadAlertsConfig, parseApiRules, type AlertsConfig, type ReceiverConfig, type RuleConfig } from './rules.js';
import { Silences, type SilenceView } from './silences.js';
import { AlertStateFiles } from './state-files.js';

export interface AlertManagerOptions {
  readonly nc: NatsConnection;
  /** The history goes to table `alerts` through it. */
  readonly writer: { add(table: string, row: object): void };
  readonly catalog: CatalogLookup;
  readonly log: Logger;
  readonly settings: Config['alerts'];
  /** API rules and silences are kept under `<dataDir>/alerts/`. */
  readonly dataDir: string;
  /** The detector's window length. */
  readonly windowMs: number;
  /** Projects the demand of alerting spikes (fed every event and catalog item by the app). */
  readonly planner: DemandPlanner;
  /** What the catalog lacks for a rising search: such alerts are labelled `unmet="true"`. */
  readonly unmet?: (spike: Spike) => UnmetDetails | undefined;
  /** For `${NAME}` in the rule file; default process.env. */
  readonly env?: ConfigEnv;
  /** Group timers; default the real clock. */
  readonly scheduler?: SchedulerLike;
  /** Counts posts to Alertmanagers (ALERTMANAGER_URL). */
  readonly metrics?: Pick<Metrics, 'alertmanagerAlertsSent' | 'alertmanagerErrors'>;
}

/** Publishing on NATS fails only while NATS is unreachable: retry steadily. */
const NATS_RETRY: Backoff = { initialMs: 1_000, maxMs: 30_000 };

/**
 * File rules first, then API rules; a name in both is refused, as a problem
 * of the file or of the request that brought the clash.
 */
function merge(file: AlertsConfig, apiRules: readonly RuleConfig[], blame: AlertsConfigErrorCode = 'invalid_rule_file'): AlertsConfig {
  const fileNames = new Set(file.rules.map((r) => r.name));
  const clashes = apiRules.flatMap((rule, index) =>
    fileNames.has(rule.name)
      ? [{ where: 'API rules', field: `rules[${index}].name`, reason: `rule "${rule.name}" is also defined in ${file.source}; rename one` }]
      : [],
  );
  if (clashes.length) throw new AlertsConfigError(clashes, blame);
  return { ...file, rules: [...file.rules, ...apiRules] };
}

function integrationsOf(receiver: ReceiverConfig): { integration: string; retry: Backoff }[] {
  return [
    ...receiver.webhooks.map((webhook, index) => ({ integration: `webhook-${index}`, retry: webhook.retry })),
    ...(receiver.nats ? [{ integration: 'nats', retry: NATS_RETRY }] : []),
  ];
}

export class AlertManager {
  private config: AlertsConfig;
  private readonly evaluator: RuleEvaluator;
  private readonly dispatcher: Dispatcher<Alert>;
  private readonly changes = new AlertChanges();
  private listener: ((alert: AlertView) => void) | undefined;
  /** Set with ALERTMANAGER_URL: every alert also goes to Alertmanager, beside the routing tree. */
  private readonly alertmanager: AlertmanagerFeed | undefined;

  private constructor(
    private readonly options: AlertManagerOptions,
    private readonly outbox: Outbox,
    private readonly silences: Silences,
    private readonly files: AlertStateFiles,
    private fileConfig: AlertsConfig,
    private apiRules: readonly RuleConfig[],
    private readonly env: ConfigEnv,
  ) {
    this.config = merge(fileConfig, apiRules);
    this.evaluator = new RuleEvaluator(this.evaluatorSettings(), {
      catalog: options.catalog,
      windowMs: options.windowMs,
      planner: options.planner,
      ...(options.unmet ? { unmet: options.unmet } : {}),
    });
    this.dispatcher = new Dispatcher<Alert>({
      scheduler: options.scheduler ?? asyncScheduler,
      route: this.config.route,
      inhibitRules: this.config.inhibitRules,
      silences,
      notify: (notification) => this.notify(notification),
      suppressed: (s) => {
        options.log.info({ fingerprint: s.alert.fingerprint, silencedBy: s.silencedBy, inhibitedBy: s.inhibitedBy }, 'alert muted');
        this.record(suppressedRow(s.alert, s, Date.now()));
      },
    });
    const am = options.settings.alertmanager;
    this.alertmanager = am && new AlertmanagerFeed({
      targets: am.urls.map(alertmanagerTarget),
      resendIntervalMs: am.resendIntervalMs,
      scheduler: options.scheduler ?? asyncScheduler,
      onPost: (post) => this.recordPost(post),
    });
  }

  /** Loads and validates the configuration, opens the outbox and starts delivering. */
  static async start(options: AlertManagerOptions): Promise<AlertManager> {
    const { settings, log } = options;
    const env: ConfigEnv = { ...(options.env ?? process.env), ALERT_WEBHOOK_URL: settings.webhookUrl, ALERT_WEBHOOK_SECRET: settings.webhookSecret };
    const fileConfig = settings.configPath ? await loadAlertsConfig(settings.configPath, env) : defaultAlertsConfig(env);
    const files = new AlertStateFiles(options.dataDir, log);
    const apiRules = await files.apiRules();
    const silences = new Silences(() => (options.scheduler ?? asyncScheduler).now());
    await files.loadSilences(silences);
    const outbox = await Outbox.open({ nc: options.nc, log, onAttempt: (e, a, r) => manager.recordAttempt(e, a, r) });
    const manager: AlertManager = new AlertManager(options, outbox, silences, files, fileConfig, apiRules, env);
    await manager.serveReceivers();
    log.info(
      { source: fileConfig.source, rules: manager.config.rules.length, receivers: fileConfig.receivers.length, alertmanagers: manager.describe().alertmanager },
      'alerting configured',
    );
    return manager;
  }

  /** Every event: the funnel and recent sales the projections use. */
  observeEvent(event: TrendEvent): void {
    this.options.planner.observeEvent(event);
  }

  /** Every detection: alerts open, follow their spikes, and resolve. */
  onDetection(detection: Detection): void {
    for (const alert of this.evaluator.step(detection)) this.upsert(alert);
  }

  /**
   * Tells `listener` (one; a second call replaces it) when an alert fires,
   * changes materially or resolves (see changes.ts): the wall's live feed.
   */
  onChange(listener: (alert: AlertView) => void): void {
    this.listener = listener;
  }

  /** Alerts firing now, biggest projected 7-day demand first. */
  active(): AlertView[] {
    return this.evaluator
      .firing()
      .sort((a, b) => b.demand.next7d.extra - a.demand.next7d.extra)
      .map((alert) => this.view(alert));
  }

  /** The configuration in force, secrets and webhook paths redacted. */
  describe(): Record<string, unknown> {
    return {
      ...configToJson(this.config),
      ...(this.options.settings.alertmanager
        ? {
            alertmanager: {
              urls: this.options.settings.alertmanager.urls.map((url) => alertmanagerTarget(url).name),
              resendInterval: formatDuration(this.options.settings.alertmanager.resendIntervalMs),
            },
          }
        : {}),
    };
  }

  /** Re-reads the rule file (SIGHUP, `POST /api/alerts/reload`); an invalid file changes nothing and throws. */
  async reload(): Promise<void> {
    const { settings } = this.options;
    const fileConfig = settings.configPath ? await loadAlertsConfig(settings.configPath, this.env) : defaultAlertsConfig(this.env);
    await this.apply(fileConfig, this.apiRules);
    this.options.log.info({ source: fileConfig.source, rules: this.config.rules.length }, 'alerting configuration reloaded');
  }

  /** Replaces the API-managed rules (`{"rules": [...]}`); throws AlertsConfigError naming bad fields. */
  async replaceApiRules(body: unknown): Promise<void> {
    const rules = parseApiRules(body);
    await this.apply(this.fileConfig, rules, 'bad_request');
    await this.files.saveApiRules(rules);
  }

  listSilences(): SilenceView[] {
    return this.silences.list();
  }

  /** Creates a silence (throws SilenceError on a bad request); it applies from the next group flush. */
  async createSilence(body: unknown): Promise<SilenceView> {
    const silence = this.silences.create(body);
    await this.files.saveSilences(this.silences);
    return silence;
  }

  /** Ends a silence now; false when there is none active or pending with that id. */
  async expireSilence(id: string): Promise<boolean> {
    if (!this.silences.expire(id)) return false;
    await this.files.saveSilences(this.silences);
    return true;
  }

  /** Stops timers and deliveries; queued notifications stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.dispatcher.stop();
    await this.alertmanager?.stop();
    await this.outbox.stop();
    await this.files.settled();
  }

  private async apply(fileConfig: AlertsConfig, apiRules: readonly RuleConfig[], blame?: AlertsConfigErrorCode): Promise<void> {
    const config = merge(fileConfig, apiRules, blame);
    this.fileConfig = fileConfig;
    this.apiRules = apiRules;
    this.config = config;
    const resolved = this.evaluator.configure(this.evaluatorSettings());
    this.dispatcher.configure(config.route, config.inhibitRules);
    for (const alert of resolved) this.upsert(alert);
    await this.serveReceivers();
  }

  private upsert(alert: Alert): void {
    this.dispatcher.upsert(alert);
    this.alertmanager?.update(alert);
    if (!this.listener) return;
    // Viewed after the dispatcher has it, so its muting is current.
    const view = this.view(alert);
    if (this.changes.changed(view)) this.listener(view);
  }

  /** The rules in force (file and API), with the projection and resolve settings: what a backtest replays by default. */
  ruleSettings(): EvaluatorSettings & { readonly source: string } {
    return { source: this.config.source, ...this.evaluatorSettings() };
  }

  private evaluatorSettings(): EvaluatorSettings {
    return { rules: this.config.rules, projection: this.config.projection, resolveTimeoutMs: this.config.resolveTimeoutMs };
  }

  /** Delivers every configured integration's queue, and stops those no longer configured. */
  private async serveReceivers(): Promise<void> {
    const wanted = new Set<string>();
    for (const receiver of this.config.receivers) {
      for (const { integration, retry } of integrationsOf(receiver)) {
        wanted.add(`${receiver.name}\u0000${integration}`);
        await this.outbox.serve(receiver.name, integration, this.deliverer(receiver.name, integration), retry);
      }
    }
    for (const { receiver, integration } of this.outbox.serving()) {
      if (!wanted.has(`${receiver}\u0000${integration}`)) await this.outbox.unserve(receiver, integration);
    }
  }

  /** Delivery for one integration, reading its settings at each attempt so a reload applies to queued notifications. */
  private deliverer(receiverName: string, integration: string): Deliver {
    return async (envelope, attempt, signal) => {
      const receiver = this.config.receivers.find((r) => r.name === receiverName);
      if (integration === 'nats' && receiver?.nats) {
        return publishAlert(this.options.nc, receiver.nats.subject, envelope.body, envelope.notificationId);
      }
      const webhook = receiver?.webhooks[Number(integration.slice('webhook-'.length))];
      if (!webhook) return { ok: false, permanent: false, detail: `receiver "${receiverName}" has no ${integration} any more` };
      return postWebhook(
        { url: webhook.url, secret: webhook.secret, timeoutMs: webhook.timeoutMs, body: envelope.body, notificationId: envelope.notificationId, attempt },
        signal,
      );
    };
  }

  /** A flushed group: one outbox entry per integration of its receiver. */
  private notify(notification: Notification<Alert>): void {
    const receiver = this.config.receivers.find((r) => r.name === notification.receiver);
    if (!receiver) {
      this.options.log.error({ receiver: notification.receiver }, 'notification for an unknown receiver dropped');
      return;
    }
    const shown = notification.alerts.slice(0, MAX_ALERTS);
    const facts = shown.map(alertFacts);
    const entries = shown.map((alert) => JSON.stringify(webhookAlert(alert)));
    const json = JSON.stringify(webhookBody(notification));
    const bodies = new Map<string, string>(
      receiver.webhooks.map((webhook, index) => [`webhook-${index}`, webhook.format === 'slack' ? JSON.stringify(slackBody(notification)) : json]),
    );
    if (receiver.nats) bodies.set('nats', json);
    const now = Date.now();
    for (const [integration, body] of bodies) {
      const envelope: OutboxEnvelope = {
        notificationId: notification.id,
        receiver: receiver.name,
        integration,
        groupKey: notification.groupKey,
        status: notification.status,
        body,
        alerts: facts,
        queuedAt: now,
      };
      facts.forEach((f, index) =>
        this.record(
          alertRow(f, {
            notificationId: notification.id,
            groupKey: notification.groupKey,
            receiver: receiver.name,
            integration,
            attempt: 0,
            outcome: 'queued',
            detail: `${notification.status} notification with ${notification.alerts.length} alert(s)`,
            payload: entries[index]!,
            at: now,
          }),
        ),
      );
      void this.outbox.enqueue(envelope);
    }
    this.options.log.info({ groupKey: notification.groupKey, receiver: receiver.name, status: notification.status, alerts: notification.alerts.length }, 'alert notification queued');
  }

  private recordAttempt(envelope: OutboxEnvelope, attempt: number, result: DeliveryResult): void {
    const detail = result.permanent ? `gave up: ${result.detail}` : result.detail;
    const at = Date.now();
    for (const facts of envelope.alerts) {
      this.record(
        alertRow(facts, {
          notificationId: envelope.notificationId,
          groupKey: envelope.groupKey,
          receiver: envelope.receiver,
          integration: envelope.integration,
          attempt,
          outcome: result.ok ? 'delivered' : 'failed',
          detail,
          payload: '',
          at,
        }),
      );
    }
    if (!result.ok) {
      this.options.log.warn(
        { receiver: envelope.receiver, integration: envelope.integration, notificationId: envelope.notificationId, attempt, detail },
        result.permanent ? 'alert delivery refused; given up' : 'alert delivery failed; will retry',
      );
    }
  }

  /**
   * A post to an Alertmanager: counted; the news it carried (an alert's
   * first firing post, its resolution) recorded in the history, one row per
   * alert per attempt, as the outbox's deliveries are.
   */
  private recordPost(post: AlertmanagerPost): void {
    const { target, result } = post;
    if (result.ok) this.options.metrics?.alertmanagerAlertsSent.inc({ alertmanager: target.name }, post.count);
    else this.options.metrics?.alertmanagerErrors.inc({ alertmanager: target.name });
    if (!result.ok) {
      this.options.log.warn(
        { alertmanager: target.name, alerts: post.count, attempt: post.attempt, detail: result.detail },
        result.permanent ? 'Alertmanager refused alerts' : 'cannot post alerts to Alertmanager; will retry',
      );
    }
    const at = Date.now();
    const postId = randomUUID();
    for (const alert of post.news) {
      this.record(
        alertRow(alertFacts(alert), {
          notificationId: postId,
          groupKey: '',
          receiver: 'alertmanager',
          integration: target.name,
          attempt: post.attempt,
          outcome: result.ok ? 'delivered' : 'failed',
          detail: result.permanent ? `gave up: ${result.detail}` : result.detail,
          payload: '',
          at,
        }),
      );
    }
  }

  private record(row: AlertRow): void {
    try {
      this.options.writer.add('alerts', row);
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, fingerprint: row.fingerprint, outcome: row.outcome }, 'alert history row not stored');
    }
  }

  private view(alert: Alert): AlertView {
    const muted = this.dispatcher.muteReasons(alert);
    const { demand, spike, labels } = alert;
    return {
      fingerprint: alert.fingerprint,
      alertname: labels.alertname ?? '',
      status: alert.endsAt === undefined ? 'firing' : 'resolved',
      dimension: spike.dimension,
      key: spike.key,
      ...(alert.title !== undefined ? { title: alert.title } : {}),
      ...(labels.category !== undefined ? { category: labels.category } : {}),
      labels,
      summary: alert.annotations.summary ?? '',
      score: spike.score,
      pctAbove: spike.pctAbove,
      startsAt: alert.startsAt,
      ...(alert.endsAt !== undefined ? { endsAt: alert.endsAt } : {}),
      demand: {
        level: demand.level,
        summary: demand.summary,
        next24h: demand.next24h,
        next7d: demand.next7d,
        ...(demand.variants?.length ? { variants: demand.variants.map(({ sku, label, units }) => ({ sku, label, units })) } : {}),
      },
      silencedBy: muted?.silencedBy ?? [],
      inhibitedBy: muted?.inhibitedBy ?? [],
    };
  }
}

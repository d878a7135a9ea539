/**
 * The rule file a backtest replays. Receivers are not used by a backtest, so
 * `${NAME}` references in them need not be set: unset ones read as a
 * placeholder that passes validation.
 */
import { readFile } from 'node:fs/promises';
import type { EvaluatorSettings } from '../alerts/evaluate.js';
import { AlertsConfigError, type ConfigEnv } from '../alerts/rule-schema.js';
import { defaultAlertsConfig, parseAlertsConfig, type AlertsConfig } from '../alerts/rules.js';

export type BacktestRules = EvaluatorSettings & { readonly source: string };

/** Valid as a URL and as a signing secret. */
const PLACEHOLDER = 'https://backtest.invalid/unused-receiver';

export function backtestRules(text: string, source: string, env: ConfigEnv = process.env): BacktestRules {
  return settingsOf(parseAlertsConfig(text, source, lenient(env)));
}

/** The rule file the app is configured with (ALERTS_CONFIG), or the defaults. */
export async function configuredRules(path: string | undefined, env: ConfigEnv = process.env): Promise<BacktestRules> {
  if (path === undefined) return settingsOf(defaultAlertsConfig(lenient(env)));
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new AlertsConfigError([{ where: path, field: '', reason: `cannot read the rule file: ${err.message}` }]);
  });
  return backtestRules(text, path, env);
}

function settingsOf(config: AlertsConfig): BacktestRules {
  return { source: config.source, rules: config.rules, projection: config.projection, resolveTimeoutMs: config.resolveTimeoutMs };
}

const lenient = (env: ConfigEnv): ConfigEnv =>
  new Proxy(env, { get: (target, name) => (typeof name === 'string' ? target[name] || PLACEHOLDER : undefined) });

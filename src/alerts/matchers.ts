/**
 * Label matchers in Alertmanager's syntax, used by routes, silences and
 * inhibition rules alike so an operator learns one notation:
 * `name=value`, `name!=value`, `name=~regex`, `name!~regex`; the value may
 * be "double quoted" (JSON string rules). Regexes are anchored, as in
 * Alertmanager; a label an alert does not have matches as the empty string.
 */
import { TrendmonError } from '../errors.js';

export type Labels = Readonly<Record<string, string>>;
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

/** A matcher that cannot be read; rule files and silences report it as theirs. */
export class MatcherError extends TrendmonError {
  constructor(text: string, reason: string) {
    super('bad_request', `matcher ${JSON.stringify(text)}: ${reason} (use e.g. factory="porto", category=~"dresses|skirts", key!=SKU-0001)`);
  }
}

export const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

const compiled = new Map<string, RegExp>();
function regexOf(value: string): RegExp {
  let regex = compiled.get(value);
  if (!regex) compiled.set(value, (regex = new RegExp(`^(?:${value})$`, 'u')));
  return regex;
}

/** Parses one matcher; throws MatcherError saying what is wrong. */
export function parseMatcher(text: string): Matcher {
  const match = MATCHER.exec(text);
  if (!match) throw new MatcherError(text, 'expected name, an operator (=, !=, =~, !~) and a value');
  const [, name, op, raw] = match as unknown as [string, string, MatchOp, string];
  let value = raw;
  if (raw.startsWith('"')) {
    try {
      value = JSON.parse(raw) as string;
    } catch {
      throw new MatcherError(text, 'the quoted value is not a valid "string"');
    }
  }
  if (op === '=~' || op === '!~') {
    try {
      regexOf(value);
    } catch (err) {
      throw new MatcherError(text, `invalid regular expression: ${(err as Error).message.split(': ').pop()}`);
    }
  }
  return { name, op, value };
}

export function matcherMatches(matcher: Matcher, labels: Labels): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return regexOf(matcher.value).test(actual);
    case '!~':
      return !regexOf(matcher.value).test(actual);
  }
}

/** True when every matcher matches (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matcherMatches(m, labels));
}

export function formatMatcher(matcher: Matcher): string {
  return `${matcher.name}${matcher.op}${JSON.stringify(matcher.value)}`;
}

/** `{a="1", b="2"}`: labels in name order, as Alertmanager writes group keys. */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${JSON.stringify(labels[name])}`).join(', ')}}`;
}

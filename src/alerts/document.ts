/**
 * A rule file's text parsed with where each value is written, so problems
 * in a hand-written file are reported as `file:line:column field: reason`
 * rather than "invalid config". Two languages, picked by the file name:
 *
 * - JSON with `//` and `/* *\/` comments (jsonc-parser): a rule file should
 *   say why a rule exists. Trailing commas are an error.
 * - YAML (`.yaml`, `.yml`; the `yaml` package, YAML 1.2 core schema), as
 *   Alertmanager users write their configuration. One document; anchors
 *   and aliases are allowed.
 *
 * In both, a repeated key is an error (in a configuration file it is a
 * mistake, not an override), and a key such as `__proto__` is data, never
 * a prototype.
 */
import { createScanner, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { TrendmonError } from '../errors.js';

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

export type DocumentPath = readonly PropertyKey[];

export type DocumentLanguage = 'JSON' | 'YAML';

export class DocumentSyntaxError extends TrendmonError {
  constructor(
    readonly language: DocumentLanguage,
    readonly position: SourcePosition,
    readonly reason: string,
  ) {
    super('invalid_rule_file', `${position.line}:${position.column}: ${reason}`);
  }
}

export interface LocatedDocument {
  readonly value: unknown;
  /**
   * Where the value at `path` is written: for an object member, its key. A
   * path that does not exist (e.g. a missing required field) resolves to
   * the nearest enclosing value that does.
   */
  locate(path: DocumentPath): SourcePosition;
}

/** YAML for `.yaml` and `.yml` files, JSON with comments otherwise. */
export function languageOf(fileName: string): DocumentLanguage {
  return /\.ya?ml$/i.test(fileName) ? 'YAML' : 'JSON';
}

export function parseRuleDocument(text: string, language: DocumentLanguage): LocatedDocument {
  return language === 'YAML' ? parseYaml(text) : parseJsonc(text);
}

// ---------------------------------------------------------------------------

const pathKey = (path: DocumentPath) => path.map(String).join('\u0000');

/** Value and key offsets collected while a tree is converted. */
class Located {
  readonly offsets = new Map<string, number>();

  constructor(private readonly positionOf: (offset: number) => SourcePosition) {}

  at(path: DocumentPath, offset: number): void {
    const key = pathKey(path);
    if (!this.offsets.has(key)) this.offsets.set(key, offset);
  }

  document(value: unknown): LocatedDocument {
    return {
      value,
      locate: (path) => {
        for (let n = path.length; n >= 0; n--) {
          const offset = this.offsets.get(pathKey(path.slice(0, n)));
          if (offset !== undefined) return this.positionOf(offset);
        }
        return { line: 1, column: 1 };
      },
    };
  }
}

/** Sets `name` as plain data: `__proto__` and friends included. */
function setMember(object: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------
// JSON with comments.

function lineStarts(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

/** The token just before `offset`, comments and white space skipped ('' at the start). */
function tokenBefore(text: string, offset: number): string {
  const scanner = createScanner(text, true);
  let previous = '';
  for (;;) {
    scanner.scan();
    const at = scanner.getTokenOffset();
    const length = scanner.getTokenLength();
    if (at >= offset || length === 0) return previous; // length 0: the end of the text
    previous = text.slice(at, at + length);
  }
}

/** A person's words for jsonc-parser's first error. */
function jsonReason(text: string, error: ParseError): string {
  const found = error.offset >= text.length ? 'end of file' : `'${text.slice(error.offset, error.offset + Math.max(1, Math.min(error.length, 20)))}'`;
  const code = printParseErrorCode(error.error);
  const closing = text[error.offset];
  if ((code === 'PropertyNameExpected' || code === 'ValueExpected') && (closing === '}' || closing === ']') && tokenBefore(text, error.offset) === ',') {
    return `trailing comma before ${closing}`;
  }
  switch (code) {
    case 'PropertyNameExpected':
      return `expected a "quoted" key, found ${found}`;
    case 'ValueExpected':
      return `expected a value, found ${found}`;
    case 'ColonExpected':
      return `expected ':' after the key, found ${found}`;
    case 'CommaExpected':
      return `expected ',' between members, found ${found}`;
    case 'CloseBraceExpected':
      return `expected '}', found ${found}`;
    case 'CloseBracketExpected':
      return `expected ']', found ${found}`;
    case 'EndOfFileExpected':
      return `unexpected ${found} after the end of the document`;
    case 'UnexpectedEndOfComment':
      return 'unterminated /* comment';
    case 'UnexpectedEndOfString':
      return 'unterminated string';
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode':
      return 'invalid escape in string';
    case 'InvalidCharacter':
      return 'control character in string (write it escaped, e.g. \\n)';
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber':
      return `invalid number ${found}`;
    default:
      return `unexpected ${found}`;
  }
}

function parseJsonc(text: string): LocatedDocument {
  const positionOf = lineStarts(text);
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: false, allowEmptyContent: false });
  const [first] = errors;
  if (first) throw new DocumentSyntaxError('JSON', positionOf(first.offset), jsonReason(text, first));
  if (!root) throw new DocumentSyntaxError('JSON', { line: 1, column: 1 }, 'empty document');
  const located = new Located(positionOf);
  const convert = (node: JsonNode, path: PropertyKey[]): unknown => {
    located.at(path, node.offset);
    if (node.type === 'object') {
      const object: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [key, value] = property.children as [JsonNode, JsonNode];
        const name = key.value as string;
        if (Object.prototype.hasOwnProperty.call(object, name)) {
          throw new DocumentSyntaxError('JSON', positionOf(key.offset), `duplicate key "${name}"`);
        }
        located.at([...path, name], key.offset);
        setMember(object, name, convert(value, [...path, name]));
      }
      return object;
    }
    if (node.type === 'array') return (node.children ?? []).map((child, index) => convert(child, [...path, index]));
    return node.value;
  };
  return located.document(convert(root, []));
}

// ---------------------------------------------------------------------------
// YAML.

/** More alias expansions than this is a "billion laughs" document, not a rule file. */
const MAX_ALIAS_EXPANSIONS = 1_000;

function yamlReason(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'more than one document (---): a rule file is one document';
  if (code === 'DUPLICATE_KEY') return 'duplicate key';
  return message.charAt(0).toLowerCase() + message.slice(1);
}

function parseYaml(text: string): LocatedDocument {
  const lines = new LineCounter();
  const positionOf = (offset: number): SourcePosition => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) throw new DocumentSyntaxError('YAML', positionOf(first.pos[0]), yamlReason(first.code, first.message));
  const located = new Located(positionOf);
  let expansions = 0;
  const fail = (node: { range?: readonly number[] | null }, reason: string): never => {
    throw new DocumentSyntaxError('YAML', positionOf(node.range?.[0] ?? 0), reason);
  };
  const convert = (node: YamlNode | null, path: PropertyKey[]): unknown => {
    if (node === null) return null;
    if (node.range) located.at(path, node.range[0]);
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return fail(node, `unknown anchor "${node.source}"`);
      if (++expansions > MAX_ALIAS_EXPANSIONS) return fail(node, `more than ${MAX_ALIAS_EXPANSIONS} alias expansions`);
      return convert(target, path);
    }
    if (isMap(node)) {
      const object: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        if (!isScalar(key) || key.value === null || typeof key.value === 'object') return fail(key ?? node, 'keys must be plain names');
        const name = String(key.value);
        if (key.range) located.at([...path, name], key.range[0]);
        setMember(object, name, convert(pair.value as YamlNode | null, [...path, name]));
      }
      return object;
    }
    if (isSeq(node)) return node.items.map((item, index) => convert(item as YamlNode | null, [...path, index]));
    if (isScalar(node)) return node.value;
    return fail(node, 'unsupported YAML node');
  };
  return located.document(convert(doc.contents as YamlNode | null, []));
}

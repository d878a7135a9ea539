/**
 * JSON with comments, parsed with the source position of every value, so
 * that problems in a hand-written rule file can be reported as
 * `file:line:column field: reason` rather than "invalid config".
 *
 * Accepts standard JSON plus `//` line and `/* ... *\/` block comments (a
 * rule file should say why a rule exists). Trailing commas are an error, as
 * are duplicate keys: in a config file a repeated key is a mistake, not an
 * override.
 */

export interface SourcePosition {
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
}

export type JsonPath = readonly PropertyKey[];

export class JsonSyntaxError extends Error {
  constructor(
    readonly position: SourcePosition,
    readonly reason: string,
  ) {
    super(`${position.line}:${position.column}: ${reason}`);
    this.name = 'JsonSyntaxError';
  }
}

export interface LocatedJson {
  readonly value: unknown;
  /**
   * Where the value at `path` is written: for an object member, its key. A
   * path that does not exist (e.g. a missing required field) resolves to
   * the nearest enclosing value that does.
   */
  locate(path: JsonPath): SourcePosition;
}

const pathKey = (path: JsonPath) => path.map(String).join('\u0000');
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJsonc(text: string): LocatedJson {
  const offsets = new Map<string, number>();
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const positionOf = (offset: number): SourcePosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new JsonSyntaxError(positionOf(at), reason);
  };
  const describe = (at: number) => (at >= text.length ? 'end of file' : `'${text[at]}'`);

  const skip = () => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') i++;
      else if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated /* comment');
        i = end + 2;
      } else return;
    }
  };

  const string = (): string => {
    const start = i;
    for (i++; i < text.length; i++) {
      const c = text[i];
      if (c === '\\') i++;
      else if (c === '"') {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          return fail('invalid escape or control character in string', start);
        }
      } else if (c === '\n') break;
    }
    return fail('unterminated string', start);
  };

  const value = (path: PropertyKey[]): unknown => {
    skip();
    const key = pathKey(path);
    if (!offsets.has(key)) offsets.set(key, i);
    const c = text[i];
    if (c === '{') return object(path);
    if (c === '[') return array(path);
    if (c === '"') return string();
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    return fail(`unexpected ${describe(i)} where a value should be`);
  };

  const object = (path: PropertyKey[]): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    i++;
    skip();
    if (text[i] === '}') {
      i++;
      return result;
    }
    for (;;) {
      skip();
      if (text[i] !== '"') fail(`expected a "quoted" key, found ${describe(i)}`);
      const keyAt = i;
      const name = string();
      if (Object.prototype.hasOwnProperty.call(result, name)) fail(`duplicate key "${name}"`, keyAt);
      offsets.set(pathKey([...path, name]), keyAt);
      skip();
      if (text[i] !== ':') fail(`expected ':' after "${name}", found ${describe(i)}`);
      i++;
      // defineProperty: a key such as "__proto__" is data, not a prototype.
      Object.defineProperty(result, name, { value: value([...path, name]), enumerable: true, writable: true, configurable: true });
      skip();
      if (text[i] === ',') {
        i++;
        skip();
        if (text[i] === '}') fail('trailing comma before }');
        continue;
      }
      if (text[i] === '}') {
        i++;
        return result;
      }
      fail(`expected ',' or '}', found ${describe(i)}`);
    }
  };

  const array = (path: PropertyKey[]): unknown[] => {
    const result: unknown[] = [];
    i++;
    skip();
    if (text[i] === ']') {
      i++;
      return result;
    }
    for (;;) {
      result.push(value([...path, result.length]));
      skip();
      if (text[i] === ',') {
        i++;
        skip();
        if (text[i] === ']') fail('trailing comma before ]');
        continue;
      }
      if (text[i] === ']') {
        i++;
        return result;
      }
      fail(`expected ',' or ']', found ${describe(i)}`);
    }
  };

  const root = value([]);
  skip();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the document`);
  return {
    value: root,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const offset = offsets.get(pathKey(path.slice(0, n)));
        if (offset !== undefined) return positionOf(offset);
      }
      return { line: 1, column: 1 };
    },
  };
}

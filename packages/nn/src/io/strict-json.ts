/**
 * @internal A strict JSON parser for safetensors headers. JSON.parse keeps the last of two equal
 * keys without a word, but the safetensors format disallows duplicate keys ("Duplicate keys are
 * disallowed", the format notes), so two entries for one tensor name must be an error rather than
 * a silently dropped tensor. Objects come back with a null prototype, so a key such as
 * "__proto__" is an ordinary key; nesting is capped (a header nests three levels deep) so a
 * hostile header cannot overflow the stack.
 */

/** Why a header is not acceptable JSON; `message` says what and where (a character position). */
export class StrictJsonError extends Error {}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Parses `text` as JSON, rejecting duplicate keys in any object (compared after unescaping). */
export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (problem: string): never => {
    throw new StrictJsonError(`${problem} at position ${i}`);
  };
  const skipSpace = (): void => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++i));
  };
  const expect = (literal: string, value: unknown): unknown => {
    if (!text.startsWith(literal, i)) fail(`unexpected ${describe()}`);
    i += literal.length;
    return value;
  };
  const describe = (): string => (i >= text.length ? "end of input" : `character ${JSON.stringify(text[i])}`);

  const parseString = (): string => {
    i += 1; // the opening quote
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail("control character in a string");
      if (c !== 0x5c) {
        i += 1;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else fail("invalid escape");
      start = i;
    }
    out += text.slice(start, i);
    i += 1; // the closing quote
    return out;
  };

  const parseValue = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i += 1;
      const object = Object.create(null) as Record<string, unknown>;
      const seen = new Set<string>();
      skipSpace();
      if (text[i] === "}") {
        i += 1;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail(`expected a key, got ${describe()}`);
        const key = parseString();
        if (seen.has(key)) fail(`duplicate key ${JSON.stringify(key)}`);
        seen.add(key);
        skipSpace();
        if (text[i] !== ":") fail(`expected ':', got ${describe()}`);
        i += 1;
        object[key] = parseValue(depth + 1);
        skipSpace();
        if (text[i] === ",") i += 1;
        else if (text[i] === "}") {
          i += 1;
          return object;
        } else fail(`expected ',' or '}', got ${describe()}`);
      }
    }
    if (c === "[") {
      i += 1;
      const array: unknown[] = [];
      skipSpace();
      if (text[i] === "]") {
        i += 1;
        return array;
      }
      for (;;) {
        array.push(parseValue(depth + 1));
        skipSpace();
        if (text[i] === ",") i += 1;
        else if (text[i] === "]") {
          i += 1;
          return array;
        } else fail(`expected ',' or ']', got ${describe()}`);
      }
    }
    if (c === '"') return parseString();
    if (c === "t") return expect("true", true);
    if (c === "f") return expect("false", false);
    if (c === "n") return expect("null", null);
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (match === null) return fail(`unexpected ${describe()}`);
    i += match[0].length;
    return Number(match[0]);
  };

  const value = parseValue(0);
  skipSpace();
  if (i !== text.length) fail(`unexpected ${describe()} after the end of the JSON value`);
  return value;
}

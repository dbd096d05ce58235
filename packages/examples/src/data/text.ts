/**
 * Text data of the language-model examples (makemore, gpt, lstm): the public-domain files shipped
 * in packages/examples/data (see the README there for where each comes from), a user's own file,
 * and the character and word vocabularies that turn text into int32 token ids and back.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../common/errors.js";

/** The text files shipped with the examples, in packages/examples/data. */
export const SHIPPED_TEXTS = {
  /** 5,163 first names (lowercase a–z, one a line): the 1990 US Census lists of common male and female first names. */
  names: "names.txt",
  /** Chapters 1–17 of Jane Austen's Pride and Prejudice (1813), about 150 KB of plain text. */
  prideAndPrejudice: "pride-and-prejudice.txt",
} as const;

/** The name of a shipped text. */
export type ShippedText = keyof typeof SHIPPED_TEXTS;

/**
 * Absolute path of a shipped text. The data folder is a sibling of src/ and dist/, so it is one
 * level up from the bundled dist/*.js and two levels up from this source file.
 */
export function shippedTextPath(name: ShippedText): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = SHIPPED_TEXTS[name];
  const candidates = [join(here, "..", "..", "data", file), join(here, "..", "data", file)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new DataError(`shippedTextPath: ${file} not found in ${candidates.map((p) => resolve(dirname(p))).join(" or ")}`);
  return found;
}

/** Reads a UTF-8 text file (Windows line ends become \n); a missing or empty file is a DataError. */
export function readText(op: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new DataError(`${op}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  text = text.replace(/\r\n?/g, "\n");
  if (text.trim() === "") throw new DataError(`${op}: ${path} is empty`);
  return text;
}

/** The non-empty lines of a file, trimmed (makemore's words, one a line). */
export function readWords(op: string, path: string): string[] {
  return readText(op, path)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

/** Splits text into word tokens as pytorch/examples word_language_model does: whitespace-separated words, and `<eos>` at every line end. */
export function wordTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const line of text.split("\n")) {
    for (const word of line.split(/\s+/)) if (word !== "") tokens.push(word);
    tokens.push("<eos>");
  }
  return tokens;
}

/** A fixed list of tokens (characters or words) and their int32 ids. */
export class Vocab {
  /** The tokens by id. */
  readonly tokens: readonly string[];
  readonly #ids: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = [...tokens];
    this.#ids = new Map(this.tokens.map((t, i) => [t, i]));
    if (this.#ids.size !== this.tokens.length) throw new DataError(`Vocab: tokens must be distinct, got ${this.tokens.length} tokens of which ${this.#ids.size} distinct`);
  }

  /** The sorted distinct characters of `text` (nanoGPT's char-level `chars = sorted(set(data))`), plus `extra` first. */
  static ofChars(text: string, extra: readonly string[] = []): Vocab {
    const chars = [...new Set(Array.from(text))].filter((c) => !extra.includes(c)).sort();
    return new Vocab([...extra, ...chars]);
  }

  /** The distinct tokens in order of first appearance (word_language_model's Dictionary). */
  static ofTokens(tokens: readonly string[]): Vocab {
    return new Vocab([...new Set(tokens)]);
  }

  /** Number of tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** True when `token` is in the vocabulary. */
  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** The ids of `tokens`; one not in the vocabulary is a DataError naming it. */
  encode(op: string, tokens: Iterable<string>): Int32Array {
    const list = Array.from(tokens);
    const out = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const id = this.#ids.get(list[i]);
      if (id === undefined) throw new DataError(`${op}: ${JSON.stringify(list[i])} is not in the vocabulary of ${this.size} tokens`);
      out[i] = id;
    }
    return out;
  }

  /** The tokens of `ids`. */
  decode(ids: Iterable<number>): string[] {
    return Array.from(ids, (id) => this.tokens[id]);
  }
}

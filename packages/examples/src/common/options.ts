/** Options every example takes, and the helpers that check them. */

import { OptionError } from "./errors.js";

/** Options shared by every example (the CLI's --seed, --quiet, --json, --out). */
export interface CommonOptions {
  /** Seed of every random draw (data, initial weights, shuffling); same seed, same run. */
  readonly seed?: number;
  /** Print nothing but errors (and the JSON object with `json`). */
  readonly quiet?: boolean;
  /** Human-readable lines go to stderr and the final metrics are printed as one JSON object on stdout. */
  readonly json?: boolean;
  /** Folder the SVG plots are written to (created when missing); default `./out`. */
  readonly outDir?: string;
  /** Write no plots (tests and the JSON mode of scripts that don't want files). */
  readonly noPlots?: boolean;
  /** Show a progress bar when the output is a terminal (default true; never when quiet). */
  readonly progress?: boolean;
}

/** The default seed of all examples. */
export const DEFAULT_SEED = 0;

/** The default output folder of the plots. */
export const DEFAULT_OUT_DIR = "out";

/** Checks that `value` is a positive finite number. */
export function positive(op: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new OptionError(`${op}: ${name} must be a positive number, got ${value}`);
  return value;
}

/** Checks that `value` is a positive integer. */
export function positiveInt(op: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new OptionError(`${op}: ${name} must be a positive integer, got ${value}`);
  return value;
}

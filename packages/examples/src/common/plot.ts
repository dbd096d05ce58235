/**
 * SVG plots from Vega-Lite specs: vega-lite compiles the spec, and a headless vega View renders
 * it with View.toSVG() (no canvas, no browser, no network: the data is inline).
 */

import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { OptionError } from "./errors.js";

/**
 * A Vega-Lite specification (see https://vega.github.io/vega-lite/docs/): a JSON object. Typed no
 * closer than that in the public declarations, which must not import vega-lite: it is an optional
 * peer dependency, and a consumer without it would get "Cannot find module 'vega-lite'" from our
 * .d.ts. The specs built here are checked against vega-lite's own type, VegaLiteSpec.
 */
export type PlotSpec = object;

/** vega-lite's TopLevelSpec, for the specs this package builds (internal: never in an exported signature). */
export type VegaLiteSpec = TopLevelSpec;

/** One row of a plot's inline data. */
export type Row = Record<string, number | string | null>;

/** The optional peer dependencies vega and vega-lite, or null when they are not installed. */
async function loadVega(): Promise<[typeof import("vega"), typeof import("vega-lite")] | null> {
  try {
    return await Promise.all([import("vega"), import("vega-lite")]);
  } catch {
    return null;
  }
}

/** Whether plots can be drawn: vega and vega-lite (optional peer dependencies) are installed. */
export async function plotsAvailable(): Promise<boolean> {
  return (await loadVega()) !== null;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: PlotSpec): Promise<string> {
  const loaded = await loadVega();
  if (loaded === null) throw new OptionError("plot: SVG plots need the optional packages vega and vega-lite (npm install vega vega-lite), or pass noPlots");
  const [vega, vegaLite] = loaded;
  const compiled = vegaLite.compile(spec as VegaLiteSpec).spec; // vega-lite validates the spec itself
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders `spec` and writes it as `dir/name` (creating `dir`); returns the absolute path. */
export async function writeSvg(dir: string, name: string, spec: PlotSpec): Promise<string> {
  const path = resolve(join(dir, name));
  await mkdir(resolve(dir), { recursive: true });
  await writeFile(path, await renderSvg(spec), "utf8");
  return path;
}

/** Keeps about `maxPoints` evenly spaced entries of a long series (always the first and last), so plots stay small. */
export function thin<T>(rows: readonly T[], maxPoints = 500): T[] {
  if (rows.length <= maxPoints) return [...rows];
  const step = (rows.length - 1) / (maxPoints - 1);
  const out: T[] = [];
  for (let i = 0; i < maxPoints; i++) out.push(rows[Math.round(i * step)]);
  return out;
}

/** A line chart of one or more named series over a shared x (e.g. loss per iteration), optionally log-scaled. */
export function lineChart(options: {
  readonly title: string;
  readonly x: string;
  readonly y: string;
  readonly rows: readonly Row[];
  /** Column that names the series (one line per value). */
  readonly series?: string;
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}): PlotSpec {
  const { title, x, y, rows, series, logY = false, width = 480, height = 280 } = options;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width,
    height,
    data: { values: rows as Row[] },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: x, type: "quantitative" },
      y: { field: y, type: "quantitative", scale: logY ? { type: "log" } : { zero: false } },
      ...(series ? { color: { field: series, type: "nominal" as const } } : {}),
    },
  } satisfies VegaLiteSpec;
}

/** A grid of small grey images with a caption each, as a Vega-Lite spec (sample predictions, generated digits). */

import type { PlotSpec, Row, VegaLiteSpec } from "./plot.js";

/** What imageGridSpec draws. */
export interface ImageGridOptions {
  readonly title: string;
  /** `count` images of rows×cols pixels in [0, 1], one after the other. */
  readonly images: ArrayLike<number>;
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** One caption per image (default "#k"); captions must differ, they name the panels. */
  readonly captions?: readonly string[];
  /** Panels per row (default 10). */
  readonly columns?: number;
  /** Pixels at or below this are left out, which keeps the SVG small (default 0.25). */
  readonly threshold?: number;
  /** SVG units per image pixel (default: whole units with panels about 56 wide, 2 for 28×28). */
  readonly pixel?: number;
}

/**
 * A faceted rect chart with one panel per image, in order, black where the pixel is 1 and white at 0.
 * Pixels are whole SVG units and marks carry no ARIA labels, which keeps each pixel to ~50 bytes.
 */
export function imageGridSpec(options: ImageGridOptions): PlotSpec {
  const { title, images, count, rows: h, cols: w, columns = 10, threshold = 0.25 } = options;
  const pixel = options.pixel ?? Math.max(1, Math.round(56 / Math.max(h, w)));
  const captions = options.captions ?? Array.from({ length: count }, (_, k) => `#${k}`);
  const data: Row[] = [];
  const per = h * w;
  for (let k = 0; k < count; k++) {
    for (let p = 0; p < per; p++) {
      const v = Math.min(1, Math.max(0, images[k * per + p]));
      if (v > threshold) data.push({ sample: k, caption: captions[k], r: Math.floor(p / w), c: p % w, v: Math.round(v * 100) / 100 });
      else if (p === 0) data.push({ sample: k, caption: captions[k], r: 0, c: 0, v: 0 }); // a white pixel, so that a blank image keeps its panel
    }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    data: { values: data },
    facet: { field: "caption", type: "nominal", title: null, sort: { field: "sample" } },
    columns,
    spec: {
      width: pixel * w,
      height: pixel * h,
      mark: { type: "rect", aria: false },
      encoding: {
        x: { field: "c", type: "ordinal", axis: null, scale: { domain: Array.from({ length: w }, (_, i) => i) } },
        y: { field: "r", type: "ordinal", axis: null, scale: { domain: Array.from({ length: h }, (_, i) => i) } },
        color: { field: "v", type: "quantitative", scale: { domain: [0, 1], range: ["white", "black"] }, legend: null },
      },
    },
  } satisfies VegaLiteSpec;
}

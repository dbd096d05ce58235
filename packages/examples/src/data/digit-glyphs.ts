/**
 * A generated stand-in for MNIST: each digit is a few pen strokes (polylines and arcs in a unit
 * box, y pointing down, with variants such as a 7 with or without its bar), bent by a smooth random
 * wobble, moved by a random affine map (rotation, scale, shear, translation), drawn with a random
 * pen width with anti-aliased edges, and covered with a little pixel noise.
 */

import { Generator } from "@tensorgrad/autograd";
import type { DigitSet } from "./idx.js";

type Point = readonly [number, number];
type Stroke = readonly Point[];

/** An elliptic arc from angle a0 to a1 (degrees; 0 = right, 90 = down) as a polyline. */
function arc(cx: number, cy: number, rx: number, ry: number, a0: number, a1: number): Point[] {
  const steps = Math.max(6, Math.ceil(Math.abs(a1 - a0) / 12));
  const pts: Point[] = [];
  for (let i = 0; i <= steps; i++) {
    const a = ((a0 + ((a1 - a0) * i) / steps) * Math.PI) / 180;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** Each digit's stroke variants; a sample picks one variant at random. */
const GLYPHS: readonly (readonly (readonly Stroke[])[])[] = [
  // 0: an oval, upright or a little rounder
  [[arc(0.5, 0.5, 0.2, 0.32, 0, 360)], [arc(0.5, 0.5, 0.24, 0.3, -90, 275)]],
  // 1: a bar; with a flag; with flag and foot
  [
    [[[0.5, 0.18], [0.5, 0.82]]],
    [[[0.37, 0.3], [0.52, 0.18], [0.52, 0.82]]],
    [[[0.37, 0.3], [0.52, 0.18], [0.52, 0.82]], [[0.38, 0.82], [0.66, 0.82]]],
  ],
  // 2: a hook, a diagonal and a base; or with a curly base
  [
    [[...arc(0.5, 0.35, 0.18, 0.17, 180, 390), [0.3, 0.82], [0.72, 0.82]]],
    [[...arc(0.5, 0.34, 0.19, 0.16, 190, 380), [0.3, 0.8], [0.42, 0.74], [0.5, 0.8], [0.73, 0.82]]],
  ],
  // 3: two bumps; or a flat top
  [
    [[...arc(0.48, 0.34, 0.16, 0.15, 200, 450), ...arc(0.48, 0.65, 0.18, 0.17, 270, 520)]],
    [[[0.3, 0.18], [0.68, 0.18], [0.45, 0.46], ...arc(0.48, 0.64, 0.19, 0.18, 280, 520)]],
  ],
  // 4: closed (triangle) or open
  [
    [[[0.62, 0.82], [0.62, 0.18], [0.27, 0.62], [0.76, 0.62]]],
    [[[0.35, 0.18], [0.3, 0.58], [0.76, 0.58]], [[0.63, 0.32], [0.63, 0.85]]],
  ],
  // 5: flag, stem and belly
  [
    [[[0.7, 0.18], [0.37, 0.18], [0.34, 0.47], ...arc(0.5, 0.63, 0.19, 0.18, 215, 510)]],
    [[[0.36, 0.19], [0.34, 0.47], ...arc(0.5, 0.63, 0.19, 0.18, 215, 510)], [[0.36, 0.19], [0.7, 0.17]]],
  ],
  // 6: a falling curve into a loop
  [
    [[[0.66, 0.18], [0.47, 0.32], [0.36, 0.52], ...arc(0.5, 0.65, 0.16, 0.17, 180, 540)]],
    [[...arc(0.62, 0.55, 0.3, 0.38, 250, 180), ...arc(0.5, 0.66, 0.18, 0.16, 180, 540)]],
  ],
  // 7: a bar and a diagonal; with a cross bar
  [
    [[[0.28, 0.2], [0.72, 0.2], [0.43, 0.82]]],
    [[[0.28, 0.22], [0.72, 0.2], [0.45, 0.82]], [[0.4, 0.52], [0.66, 0.5]]],
  ],
  // 8: two loops
  [
    [arc(0.5, 0.33, 0.15, 0.15, 0, 360), arc(0.5, 0.66, 0.18, 0.17, 0, 360)],
    [arc(0.52, 0.34, 0.13, 0.16, 0, 360), arc(0.48, 0.66, 0.19, 0.16, 0, 360)],
  ],
  // 9: a loop on a stem; or a curved tail
  [
    [arc(0.5, 0.35, 0.17, 0.16, 0, 360), [[0.67, 0.35], [0.62, 0.82]]],
    [arc(0.5, 0.35, 0.17, 0.16, 0, 360), [[0.67, 0.35], ...arc(0.5, 0.6, 0.17, 0.22, 0, 110)]],
  ],
];

/** How strongly samples vary; every field is optional. */
export interface DigitStyle {
  /** Largest rotation, degrees (default 15). */
  readonly maxRotation?: number;
  /** Scale range (default [0.8, 1.1]). */
  readonly scale?: readonly [number, number];
  /** Largest horizontal shear (slant) factor (default 0.35). */
  readonly maxShear?: number;
  /** Largest translation as a fraction of the image side (default 0.08). */
  readonly maxShift?: number;
  /** Pen width range as a fraction of the image side (default [0.07, 0.13]). */
  readonly penWidth?: readonly [number, number];
  /** Amplitude of the smooth wobble, fraction of the side (default 0.03). */
  readonly wobble?: number;
  /** Standard deviation of the additive pixel noise (default 0.06). */
  readonly noise?: number;
}

/** Options of generateDigits. */
export interface GenerateDigitsOptions extends DigitStyle {
  /** Number of images. */
  readonly count: number;
  /** Side of the square image in pixels (28 like MNIST, or 8 like the small UCI digits). */
  readonly size?: number;
  /** Random source (seeded for reproducible data sets). */
  readonly generator?: Generator;
}

/** Renders one digit (0..9) into `out` (size·size pixels in [0,1]) with random style. */
export function renderDigit(digit: number, size: number, gen: Generator, style: DigitStyle, out: Float32Array, offset = 0): void {
  const variants = GLYPHS[digit];
  const strokes = variants[gen.integer(0, variants.length)];
  const u = (lo: number, hi: number) => lo + (hi - lo) * gen.uniform();
  const maxRot = ((style.maxRotation ?? 15) * Math.PI) / 180;
  const [s0, s1] = style.scale ?? [0.8, 1.1];
  const rot = u(-maxRot, maxRot);
  const scale = u(s0, s1);
  const sx = scale * u(0.9, 1.1);
  const sy = scale * u(0.95, 1.05);
  const shear = u(-(style.maxShear ?? 0.35), style.maxShear ?? 0.35);
  const shift = style.maxShift ?? 0.08;
  const tx = u(-shift, shift);
  const ty = u(-shift, shift);
  const [w0, w1] = style.penWidth ?? [0.07, 0.13];
  const pen = u(w0, w1);
  const wob = style.wobble ?? 0.03;
  const fx = u(1, 3), fy = u(1, 3), px = u(0, 2 * Math.PI), py = u(0, 2 * Math.PI);
  const ax = u(-wob, wob), ay = u(-wob, wob);
  const cos = Math.cos(rot), sin = Math.sin(rot);

  // Unit box → pixel coordinates: wobble, centre, scale + shear + rotate, shift back, to pixels.
  const place = ([x0, y0]: Point): Point => {
    const x1 = x0 + ax * Math.sin(2 * Math.PI * fy * y0 + py) - 0.5;
    const y1 = y0 + ay * Math.sin(2 * Math.PI * fx * x0 + px) - 0.5;
    const xs = sx * (x1 + shear * -y1);
    const ys = sy * y1;
    return [(cos * xs - sin * ys + 0.5 + tx) * size, (sin * xs + cos * ys + 0.5 + ty) * size];
  };

  // Distance from each pixel centre to the nearest pen segment, visiting only each segment's box.
  const dist = new Float32Array(size * size).fill(Infinity);
  const half = (pen * size) / 2;
  const reach = half + 1;
  for (const stroke of strokes) {
    const pts = stroke.map(place);
    for (let k = 0; k + 1 < pts.length; k++) {
      const [x1, y1] = pts[k];
      const [x2, y2] = pts[k + 1];
      const dx = x2 - x1, dy = y2 - y1;
      const len2 = dx * dx + dy * dy || 1e-12;
      const c0 = Math.max(0, Math.floor(Math.min(x1, x2) - reach)), c1 = Math.min(size - 1, Math.ceil(Math.max(x1, x2) + reach));
      const r0 = Math.max(0, Math.floor(Math.min(y1, y2) - reach)), r1 = Math.min(size - 1, Math.ceil(Math.max(y1, y2) + reach));
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          const qx = c + 0.5 - x1, qy = r + 0.5 - y1;
          const t = Math.min(1, Math.max(0, (qx * dx + qy * dy) / len2));
          const ex = qx - t * dx, ey = qy - t * dy;
          const d = Math.sqrt(ex * ex + ey * ey);
          if (d < dist[r * size + c]) dist[r * size + c] = d;
        }
      }
    }
  }
  // Ink: 1 inside the pen, fading to 0 over one pixel; ink darkness and noise vary per image.
  const ink = u(0.8, 1);
  const noise = style.noise ?? 0.06;
  for (let i = 0; i < size * size; i++) {
    const v = ink * Math.min(1, Math.max(0, half + 0.5 - dist[i])) + noise * gen.normal();
    out[offset + i] = Math.min(1, Math.max(0, v));
  }
}

/** A generated data set of handwritten-like digits, labels balanced and shuffled. */
export function generateDigits(options: GenerateDigitsOptions): DigitSet {
  const size = options.size ?? 28;
  const gen = options.generator ?? new Generator(0);
  const images = new Float32Array(options.count * size * size);
  const labels = new Int32Array(options.count);
  for (let i = 0; i < options.count; i++) {
    const digit = i % 10;
    labels[i] = digit;
    renderDigit(digit, size, gen, options, images, i * size * size);
  }
  // Fisher–Yates over whole images so the order carries no label pattern.
  const pixels = size * size;
  const tmp = new Float32Array(pixels);
  for (let i = options.count - 1; i > 0; i--) {
    const j = gen.integer(0, i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
    tmp.set(images.subarray(i * pixels, (i + 1) * pixels));
    images.copyWithin(i * pixels, j * pixels, (j + 1) * pixels);
    images.set(tmp, j * pixels);
  }
  return { images, labels, count: options.count, rows: size, cols: size };
}

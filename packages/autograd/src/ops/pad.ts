/**
 * `pad` (torch.nn.functional.pad) as a composite, one padded dim at a time: constant padding
 * writes the tensor into a filled one (sliceScatter; negative pads crop with narrow), reflect /
 * replicate / circular padding is an indexSelect with a host-built index list. Gradients of any
 * order come from those ops. Part of the convolution family (see ops/conv.ts).
 */

import { ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { checkOptionKeys, optionKeys } from "../shape.js";
import { sliceScatter } from "./slice.js";
import { checkTensorArg, hostTensor } from "./window-args.js";

/** How `pad` fills the new border. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/** Options of `pad` (PyTorch's keyword arguments). */
export interface PadOptions {
  /** "constant" (default), "reflect" (mirror without the edge), "replicate" (repeat the edge) or "circular" (wrap). */
  readonly mode?: PadMode;
  /** The fill of constant padding (default 0). */
  readonly value?: number;
}

const PAD_OPTIONS = optionKeys<PadOptions>({ mode: 0, value: 0 });

const MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/**
 * Pads the last dims of x: `pad` lists (before, after) pairs starting from the LAST dim, as
 * PyTorch: [left, right] pads the last dim, [left, right, top, bottom] the last two. Negative
 * amounts crop. Non-constant modes pad 1–3 dims of an input with one or two more dims.
 */
export function pad(input: Tensor, pad: readonly number[], mode: PadMode | PadOptions = "constant", value?: number): Tensor {
  checkTensorArg("pad", "input", input);
  if (typeof mode !== "string") checkOptionKeys("pad", mode, PAD_OPTIONS);
  const options: PadOptions = typeof mode === "string" ? { mode, value } : mode ?? {};
  const m = options.mode ?? "constant";
  if (!MODES.includes(m)) throw new ValueError(`pad: mode must be one of ${MODES.map((v) => `"${v}"`).join(", ")}, got "${String(m)}"`);
  if (!Array.isArray(pad) || pad.some((p) => !Number.isInteger(p))) throw new ValueError(`pad: pad must be an array of integers, got ${String(pad)}`);
  if (pad.length % 2 !== 0) throw new ValueError(`pad: pad length must be divisible by 2, got ${pad.length} ([${pad.join(", ")}])`);
  const dims = pad.length / 2;
  if (dims > input.ndim) throw new ShapeError(`pad: pad [${pad.join(", ")}] covers ${dims} dims, but input ${fmtShape(input.shape)} has ${input.ndim}`);
  if (m !== "constant") {
    if (options.value !== undefined && options.value !== 0) throw new ValueError(`pad: mode "${m}" takes no value (got ${options.value})`);
    if (dims < 1 || dims > 3 || (input.ndim !== dims + 1 && input.ndim !== dims + 2)) {
      throw new ShapeError(`pad: "${m}" padding of the last ${dims} dims expects a ${dims + 1}-d or ${dims + 2}-d input, got ${fmtShape(input.shape)}`);
    }
  }
  let y = input;
  for (let i = 0; i < dims; i++) {
    const d = input.ndim - 1 - i;
    const before = pad[2 * i];
    const after = pad[2 * i + 1];
    if (before === 0 && after === 0) continue;
    y = m === "constant" ? constantPad(y, d, before, after, options.value ?? 0) : indexPad(y, d, before, after, m, input.shape);
  }
  return y === input ? input.clone() : y;
}

/** Constant padding of dim d (negative amounts crop). */
function constantPad(x: Tensor, d: number, before: number, after: number, value: number): Tensor {
  const size = x.shape[d];
  const cropBefore = Math.max(0, -before);
  const kept = size - cropBefore - Math.max(0, -after);
  if (kept < 0 || size + before + after < 0) {
    throw new ShapeError(`pad: padding (${before}, ${after}) of dim ${d} (size ${size}) gives a negative size ${size + before + after}`);
  }
  const core = kept === size ? x : x.narrow(d, cropBefore, kept);
  const padBefore = Math.max(0, before);
  const padAfter = Math.max(0, after);
  if (padBefore === 0 && padAfter === 0) return core;
  const shape = core.shape.slice();
  shape[d] = padBefore + kept + padAfter;
  return sliceScatter(core.newFull(shape, value), core, d, padBefore, padBefore + kept);
}

/** Reflect, replicate or circular padding of dim d: out[o] = x[source(o − before)]. */
function indexPad(x: Tensor, d: number, before: number, after: number, mode: Exclude<PadMode, "constant">, shape: readonly number[]): Tensor {
  const size = x.shape[d];
  const outSize = size + before + after;
  const limit = mode === "reflect" ? size - 1 : mode === "circular" ? size : Infinity;
  if (before > limit || after > limit || size === 0 || outSize < 1) {
    const rule = mode === "reflect" ? "less than" : mode === "circular" ? "at most" : "compatible with";
    throw new ValueError(`pad: ${mode} padding (${before}, ${after}) must be ${rule} the size of dim ${d} of input ${fmtShape(shape)}`);
  }
  const index: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const i = o - before;
    if (mode === "reflect") index.push(i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
    else if (mode === "replicate") index.push(Math.min(Math.max(i, 0), size - 1));
    else index.push(((i % size) + size) % size);
  }
  return x.indexSelect(d, hostTensor(x, "int32", index, [outSize]));
}

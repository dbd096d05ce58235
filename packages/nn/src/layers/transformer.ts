/**
 * TransformerEncoderLayer and TransformerEncoder (PyTorch's, post-norm or pre-norm), named as in
 * PyTorch (`layers.0.self_attn.in_proj_weight`, `layers.0.linear1.weight`, `layers.0.norm1.weight`,
 * `norm.weight`), so their state dicts move to and from PyTorch unchanged.
 */

import { Generator, ShapeError, Tensor, ValueError, full } from "@tensorgrad/autograd";
import { checkFloat, checkInt, checkNonNegative, checkProbability, fmtShape } from "../functional/checks.js";
import { Module } from "../module.js";
import { checkOptions, oneOf, type SpecFor } from "../options.js";
import { Dropout } from "./activation.js";
import { MultiheadAttention } from "./attention.js";
import { ModuleList } from "./container.js";
import { DTYPE_SPEC, Linear, type DTypeOptions } from "./linear.js";
import { LayerNorm } from "./normalization.js";

/** The feed-forward activation: by name, a function, or a module (registered as `activation`, as in PyTorch). */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor) | Module<[Tensor], Tensor>;

/** Options of TransformerEncoderLayer (PyTorch's keyword arguments). */
export interface TransformerEncoderLayerOptions extends DTypeOptions {
  /** Width of the feed-forward block (default 2048). */
  readonly dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, and on the attention weights (default 0.1). */
  readonly dropout?: number;
  /** Feed-forward activation (default "relu"). */
  readonly activation?: TransformerActivation;
  /** eps of both LayerNorms (default 1e-5). */
  readonly layerNormEps?: number;
  /** Inputs and outputs are [batch, seq, feature] (default false: [seq, batch, feature]). */
  readonly batchFirst?: boolean;
  /** LayerNorm before attention and feed-forward (pre-norm) instead of after (default false). */
  readonly normFirst?: boolean;
  /** Biases in the linear layers and LayerNorms (default true). */
  readonly bias?: boolean;
  /** Random source of the initial weights and of dropout (the default generator when omitted). */
  readonly generator?: Generator;
}

/** What TransformerEncoderLayerOptions may hold. */
const LAYER_SPEC = {
  dimFeedforward: "number", dropout: "number", activation: [oneOf("relu", "gelu"), "function", "module"], layerNormEps: "number",
  batchFirst: "boolean", normFirst: "boolean", bias: "boolean", generator: "generator", ...DTYPE_SPEC,
} as const satisfies SpecFor<TransformerEncoderLayerOptions>;

/** Options of TransformerEncoderLayer.forward. */
export interface TransformerEncoderLayerForwardOptions {
  /** The self-attention's attnMask: [L, L] or [N·nhead, L, L]; bool true = NOT allowed, float added. */
  readonly srcMask?: Tensor | null;
  /** [N, L] (or [L] unbatched): bool true = padding, ignored as a key; float added. */
  readonly srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention (see MultiheadAttention's isCausal: builds the mask when srcMask is absent). */
  readonly isCausal?: boolean;
}

/** What TransformerEncoderLayerForwardOptions may hold. */
const LAYER_FORWARD_SPEC = {
  srcMask: ["tensor", "null"], srcKeyPaddingMask: ["tensor", "null"], isCausal: "boolean",
} as const satisfies SpecFor<TransformerEncoderLayerForwardOptions>;

/** Options of TransformerEncoder. */
export interface TransformerEncoderOptions {
  /** Applied to the output of the last layer (e.g. a LayerNorm for pre-norm stacks); default none. */
  readonly norm?: Module<[Tensor], Tensor> | null;
}

/** What TransformerEncoderOptions may hold. */
const ENCODER_SPEC = { norm: ["module", "null"] } as const satisfies SpecFor<TransformerEncoderOptions>;

/** Options of TransformerEncoder.forward. */
export interface TransformerEncoderForwardOptions {
  /** Every layer's srcMask: [L, L] or [N·nhead, L, L]; bool true = NOT allowed, float added. */
  readonly mask?: Tensor | null;
  /** [N, L] (or [L] unbatched): bool true = padding, ignored as a key; float added. */
  readonly srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention in every layer (builds the mask when `mask` is absent). */
  readonly isCausal?: boolean;
}

/** What TransformerEncoderForwardOptions may hold. */
const ENCODER_FORWARD_SPEC = {
  mask: ["tensor", "null"], srcKeyPaddingMask: ["tensor", "null"], isCausal: "boolean",
} as const satisfies SpecFor<TransformerEncoderForwardOptions>;

/** Options of generateSquareSubsequentMask: its dtype and, as PyTorch's, its device (default: the default device). */
export interface SubsequentMaskOptions extends DTypeOptions {
  readonly device?: string;
}

const SUBSEQUENT_MASK_SPEC = { ...DTYPE_SPEC, device: "string" } as const satisfies SpecFor<SubsequentMaskOptions>;

/** [size, size] float mask with −∞ above the diagonal and 0 elsewhere (PyTorch's Transformer.generate_square_subsequent_mask). */
export function generateSquareSubsequentMask(size: number, options: SubsequentMaskOptions = {}): Tensor {
  checkOptions("generateSquareSubsequentMask", options, SUBSEQUENT_MASK_SPEC);
  checkInt("generateSquareSubsequentMask", "size", size, 0);
  return full([size, size], -Infinity, { dtype: options.dtype ?? "float32", device: options.device }).triu(1);
}

/**
 * One transformer encoder block: self-attention then a feed-forward network (linear1 →
 * activation → linear2), each with dropout and a residual connection, and LayerNorm after each
 * (post-norm, the default) or before each (normFirst).
 */
export class TransformerEncoderLayer extends Module<[src: Tensor, options?: TransformerEncoderLayerForwardOptions], Tensor> {
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  // Sub-modules in PyTorch's registration order (their property names are the state-dict keys).
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  activation: TransformerActivation;
  readonly #options: TransformerEncoderLayerOptions;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const op = "TransformerEncoderLayer";
    checkOptions(op, options, LAYER_SPEC);
    checkInt(op, "dModel", dModel, 1);
    checkInt(op, "nhead", nhead, 1);
    const dimFeedforward = options.dimFeedforward ?? 2048;
    checkInt(op, "dimFeedforward", dimFeedforward, 1);
    const p = options.dropout ?? 0.1;
    checkProbability(op, "dropout", p);
    const eps = options.layerNormEps ?? 1e-5;
    checkNonNegative(op, "layerNormEps", eps);
    const activation = options.activation ?? "relu";
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = options.normFirst ?? false;
    this.#options = options;
    const { dtype, generator, batchFirst } = options;
    const bias = options.bias ?? true;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst, dtype, generator });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, dtype, generator });
    this.dropout = new Dropout(p, { generator });
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, dtype, generator });
    this.norm1 = new LayerNorm(dModel, { eps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps, bias, dtype });
    this.dropout1 = new Dropout(p, { generator });
    this.dropout2 = new Dropout(p, { generator });
    this.activation = activation;
  }

  /** src [L, N, dModel] ([N, L, dModel] with batchFirst, [L, dModel] unbatched) → the same shape. */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkFloat("TransformerEncoderLayer", "src", src);
    if ((src.ndim !== 2 && src.ndim !== 3) || src.shape[src.ndim - 1] !== this.dModel) {
      const layout = this.self_attn.batchFirst ? "[N, L, dModel]" : "[L, N, dModel]";
      throw new ShapeError(`TransformerEncoderLayer: expected src of shape ${layout} or [L, dModel] with dModel = ${this.dModel}, got ${fmtShape(src.shape)}`);
    }
    checkOptions("TransformerEncoderLayer.forward", options, LAYER_FORWARD_SPEC);
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    const attend = (x: Tensor) =>
      this.dropout1.call(this.self_attn.call(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false, isCausal })[0]);
    const feedForward = (x: Tensor) => this.dropout2.call(this.linear2.call(this.dropout.call(this.activate(this.linear1.call(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(attend(this.norm1.call(x)));
      x = x.add(feedForward(this.norm2.call(x)));
    } else {
      x = this.norm1.call(x.add(attend(x)));
      x = this.norm2.call(x.add(feedForward(x)));
    }
    return x;
  }

  /**
   * An independent copy with the same settings, parameter values, requiresGrad flags, training
   * modes and device (what copy.deepcopy gives PyTorch's TransformerEncoder). A Module activation
   * is shared with the copy, not copied.
   * NOTE: the copy is built by the constructor, so it draws initial weights (then overwritten)
   * from the layer's generator, advancing it, where PyTorch's deepcopy draws nothing.
   */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, { ...this.#options, dtype: this.linear1.weight.dtype });
    // on this layer's device first, so the state dict is copied within it (from a GPU, a copy to
    // the default device would need an asynchronous read)
    copy.to(this.linear1.weight.device);
    copy.loadStateDict(this.stateDict());
    const params = this.parameters();
    copy.parameters().forEach((p, i) => (p.requiresGrad = params[i].requiresGrad));
    const modules = this.modules();
    copy.modules().forEach((m, i) => (m.training = modules[i].training));
    return copy;
  }

  private activate(x: Tensor): Tensor {
    const a = this.activation;
    if (a === "relu") return x.relu();
    if (a === "gelu") return x.gelu();
    return a instanceof Module ? a.call(x) : a(x);
  }
}

/** A stack of numLayers independent copies of encoderLayer, then the optional norm. */
export class TransformerEncoder extends Module<[src: Tensor, options?: TransformerEncoderForwardOptions], Tensor> {
  layers: ModuleList<TransformerEncoderLayer>;
  readonly numLayers: number;
  norm: Module<[Tensor], Tensor> | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    if (!(encoderLayer instanceof TransformerEncoderLayer)) throw new ValueError("TransformerEncoder: encoderLayer must be a TransformerEncoderLayer");
    checkInt("TransformerEncoder", "numLayers", numLayers, 1);
    checkOptions("TransformerEncoder", options, ENCODER_SPEC);
    const norm = options.norm ?? null;
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.numLayers = numLayers;
    this.norm = norm;
  }

  /** Runs src through every layer (with the same masks), then norm. */
  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    checkOptions("TransformerEncoder.forward", options, ENCODER_FORWARD_SPEC);
    const { mask = null, srcKeyPaddingMask = null, isCausal = false } = options;
    let out = src;
    for (const layer of this.layers) out = layer.call(out, { srcMask: mask, srcKeyPaddingMask, isCausal });
    return this.norm === null ? out : this.norm.call(out);
  }
}

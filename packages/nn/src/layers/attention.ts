/**
 * MultiheadAttention, with PyTorch's parameters (`in_proj_weight`, `in_proj_bias`, `out_proj.*`,
 * or `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when kdim/vdim differ from embedDim, and
 * `bias_k`/`bias_v`), initialization and forward (torch.nn.functional.multi_head_attention_forward).
 * The attention itself is the same composite as scaledDotProductAttention (@tensorgrad/autograd,
 * ops/attention.ts), written out here because forward also returns the weights.
 */

import { DTypeError, Generator, ShapeError, Tensor, ValueError, cat, zeros, type DType } from "@tensorgrad/autograd";
import { checkFloat, checkInt, checkProbability, checkTensor, fmtShape } from "../functional/checks.js";
import { dropout, linear } from "../functional/linear.js";
import { constant_, xavierNormal_, xavierUniform_ } from "../init.js";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, Linear, type DTypeOptions } from "./linear.js";

/** Options of MultiheadAttention (PyTorch's keyword arguments). */
export interface MultiheadAttentionOptions extends DTypeOptions {
  /** Dropout on the attention weights in training (default 0). */
  readonly dropout?: number;
  /** Biases in the input and output projections (default true). */
  readonly bias?: boolean;
  /** Learn a bias key and value appended to the key and value sequences (default false). */
  readonly addBiasKv?: boolean;
  /** Append a zero key and value to the sequences, after the heads are split (default false). */
  readonly addZeroAttn?: boolean;
  /** Features of key (default embedDim). */
  readonly kdim?: number | null;
  /** Features of value (default embedDim). */
  readonly vdim?: number | null;
  /** Inputs and outputs are [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  readonly batchFirst?: boolean;
  /** Random source of the initial weights and of dropout (the default generator when omitted). */
  readonly generator?: Generator;
}

/** What MultiheadAttentionOptions may hold. */
const MHA_SPEC = {
  dropout: "number", bias: "boolean", addBiasKv: "boolean", addZeroAttn: "boolean", kdim: ["number", "null"], vdim: ["number", "null"],
  batchFirst: "boolean", generator: "generator", ...DTYPE_SPEC,
} as const satisfies SpecFor<MultiheadAttentionOptions>;

/** Options of MultiheadAttention.forward (PyTorch's keyword arguments). */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): bool true = that key is padding and ignored; float: added to the scores. */
  readonly keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (default true). */
  readonly needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: bool true = NOT allowed to attend; float: added to the scores. */
  readonly attnMask?: Tensor | null;
  /** Return the weights averaged over the heads [N, L, S] (default true), else per head [N, numHeads, L, S]. */
  readonly averageAttnWeights?: boolean;
  /**
   * Causal attention: without attnMask, query i attends to keys 0..i only (PyTorch 2.x raises
   * instead); with attnMask, a hint that the mask is causal, and the mask is used as given.
   */
  readonly isCausal?: boolean;
}

/** What MultiheadAttentionForwardOptions may hold. */
const MHA_FORWARD_SPEC = {
  keyPaddingMask: ["tensor", "null"], needWeights: "boolean", attnMask: ["tensor", "null"], averageAttnWeights: "boolean", isCausal: "boolean",
} as const satisfies SpecFor<MultiheadAttentionForwardOptions>;

const OP = "MultiheadAttention";

/** PyTorch's class for out_proj (a Linear that quantization leaves alone), so reprs read the same. */
export class NonDynamicallyQuantizableLinear extends Linear {}

/** A bool mask as an additive one (true → −∞, false → 0); a float mask cast to `dtype`. */
function additive(mask: Tensor, dtype: DType): Tensor {
  return mask.dtype === "bool" ? mask.newZeros(mask.shape, { dtype }).maskedFill(mask, -Infinity) : mask.to(dtype);
}

/** The mask with one more key (not masked) appended along its last dim. */
function padKey(mask: Tensor): Tensor {
  return cat([mask, mask.newZeros([...mask.shape.slice(0, -1), 1])], -1);
}

/**
 * Multi-head attention (Attention Is All You Need): query, key and value are projected, split
 * into numHeads heads of embedDim/numHeads features, attended with softmax(q·kᵀ/√d + mask)·v,
 * concatenated and projected by out_proj. forward returns [output, weights | null].
 */
export class MultiheadAttention extends Module<[query: Tensor, key: Tensor, value: Tensor, options?: MultiheadAttentionForwardOptions], [Tensor, Tensor | null]> {
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  readonly generator: Generator | undefined;
  // Parameters in PyTorch's registration order (their property names are the state-dict keys).
  in_proj_weight: Parameter | null = null;
  q_proj_weight: Parameter | null = null;
  k_proj_weight: Parameter | null = null;
  v_proj_weight: Parameter | null = null;
  in_proj_bias: Parameter | null = null;
  out_proj: NonDynamicallyQuantizableLinear;
  bias_k: Parameter | null = null;
  bias_v: Parameter | null = null;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    checkOptions(OP, options, MHA_SPEC);
    checkInt(OP, "embedDim", embedDim, 1);
    checkInt(OP, "numHeads", numHeads, 1);
    if (embedDim % numHeads !== 0) throw new ValueError(`${OP}: embedDim must be divisible by numHeads (embedDim ${embedDim}, numHeads ${numHeads})`);
    const kdim = options.kdim ?? embedDim;
    const vdim = options.vdim ?? embedDim;
    checkInt(OP, "kdim", kdim, 1);
    checkInt(OP, "vdim", vdim, 1);
    const p = options.dropout ?? 0;
    checkProbability(OP, "dropout", p);
    this.embedDim = embedDim;
    this.kdim = kdim;
    this.vdim = vdim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = p;
    this.batchFirst = options.batchFirst ?? false;
    this.addZeroAttn = options.addZeroAttn ?? false;
    this.generator = options.generator;
    const dtype = options.dtype ?? "float32";
    const bias = options.bias ?? true;
    if (kdim === embedDim && vdim === embedDim) this.in_proj_weight = new Parameter(zeros([3 * embedDim, embedDim], { dtype }));
    else {
      this.q_proj_weight = new Parameter(zeros([embedDim, embedDim], { dtype }));
      this.k_proj_weight = new Parameter(zeros([embedDim, kdim], { dtype }));
      this.v_proj_weight = new Parameter(zeros([embedDim, vdim], { dtype }));
    }
    if (bias) this.in_proj_bias = new Parameter(zeros([3 * embedDim], { dtype }));
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, { bias, dtype, generator: options.generator });
    if (options.addBiasKv ?? false) {
      this.bias_k = new Parameter(zeros([1, 1, embedDim], { dtype }));
      this.bias_v = new Parameter(zeros([1, 1, embedDim], { dtype }));
    }
    this.resetParameters(options.generator);
  }

  /**
   * PyTorch's _reset_parameters: xavier uniform projections, zero biases (out_proj's too; its
   * weight keeps Linear's init), xavier normal bias_k/bias_v.
   */
  resetParameters(generator?: Generator): void {
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) if (w !== null) xavierUniform_(w, { generator });
    if (this.in_proj_bias !== null) {
      constant_(this.in_proj_bias, 0);
      if (this.out_proj.bias !== null) constant_(this.out_proj.bias, 0);
    }
    for (const b of [this.bias_k, this.bias_v]) if (b !== null) xavierNormal_(b, { generator });
  }

  /**
   * query [L, N, E] (or [N, L, E] with batchFirst, [L, E] unbatched), key [S, N, kdim], value
   * [S, N, vdim] → [output like query, weights [N, L, S] (averaged) or [N, numHeads, L, S] or null].
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    checkOptions(`${OP}.forward`, options, MHA_FORWARD_SPEC);
    const { keyPaddingMask = null, needWeights = true, attnMask = null, averageAttnWeights = true, isCausal = false } = options;
    checkFloat(OP, "query", query);
    checkFloat(OP, "key", key);
    checkFloat(OP, "value", value);
    const dtype = this.out_proj.weight.dtype;
    if (query.dtype !== dtype || key.dtype !== dtype || value.dtype !== dtype) {
      throw new DTypeError(`${OP}: expected query, key and value of the parameters' dtype ${dtype}, got ${query.dtype}, ${key.dtype} and ${value.dtype}`);
    }
    const layout = this.batchFirst ? "[N, L, E]" : "[L, N, E]";
    if (query.ndim !== 2 && query.ndim !== 3) throw new ShapeError(`${OP}: expected query of shape ${layout} or [L, E] (unbatched), got ${fmtShape(query.shape)}`);
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new ShapeError(`${OP}: for ${query.ndim}-d query ${fmtShape(query.shape)}, expected ${query.ndim}-d key and value, got ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`);
    }
    const selfAttention = query === key && key === value;
    // Work in [seq, batch, feature].
    const toSeqFirst = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const q = toSeqFirst(query);
    const k = toSeqFirst(key);
    const v = toSeqFirst(value);
    const [L, N, E] = q.shape;
    const S = k.shape[0];
    const shapes = `(query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)}, value ${fmtShape(value.shape)})`;
    if (E !== this.embedDim) throw new ShapeError(`${OP}: expected query with ${this.embedDim} features (embedDim), got ${E} ${shapes}`);
    if (k.shape[2] !== this.kdim) throw new ShapeError(`${OP}: expected key with ${this.kdim} features (kdim), got ${k.shape[2]} ${shapes}`);
    if (v.shape[2] !== this.vdim) throw new ShapeError(`${OP}: expected value with ${this.vdim} features (vdim), got ${v.shape[2]} ${shapes}`);
    if (k.shape[1] !== N || v.shape[1] !== N) throw new ShapeError(`${OP}: query, key and value must have the same batch size ${shapes}`);
    if (v.shape[0] !== S) throw new ShapeError(`${OP}: key and value must have the same sequence length, ${S} != ${v.shape[0]} ${shapes}`);

    const H = this.numHeads;
    let mask = this.checkAttnMask(attnMask, isCausal, L, S, N, batched);
    let padding = this.checkKeyPaddingMask(keyPaddingMask, S, N, batched);

    // Input projections: packed in_proj_weight (one matmul for self-attention) or separate weights.
    let qp: Tensor;
    let kp: Tensor;
    let vp: Tensor;
    const b = this.in_proj_bias === null ? [null, null, null] : this.in_proj_bias.chunk(3);
    if (this.in_proj_weight !== null) {
      if (selfAttention) [qp, kp, vp] = linear(q, this.in_proj_weight, this.in_proj_bias, OP).chunk(3, -1);
      else {
        const [wq, wk, wv] = this.in_proj_weight.chunk(3);
        [qp, kp, vp] = [linear(q, wq, b[0], OP), linear(k, wk, b[1], OP), linear(v, wv, b[2], OP)];
      }
    } else {
      qp = linear(q, this.q_proj_weight as Parameter, b[0], OP);
      kp = linear(k, this.k_proj_weight as Parameter, b[1], OP);
      vp = linear(v, this.v_proj_weight as Parameter, b[2], OP);
    }
    if (this.bias_k !== null && this.bias_v !== null) {
      kp = cat([kp, this.bias_k.expand(1, N, E)], 0);
      vp = cat([vp, this.bias_v.expand(1, N, E)], 0);
      if (mask !== null) mask = padKey(mask);
      if (padding !== null) padding = padKey(padding);
    }
    // Heads: [seq, N, E] → [N·H, seq, headDim] (batch-major, head-minor, as PyTorch's 3-d attnMask).
    const heads = (t: Tensor) => t.reshape([t.shape[0], N * H, this.headDim]).transpose(0, 1);
    const qh = heads(qp);
    let kh = heads(kp);
    let vh = heads(vp);
    if (this.addZeroAttn) {
      kh = cat([kh, kh.newZeros([N * H, 1, this.headDim])], 1);
      vh = cat([vh, vh.newZeros([N * H, 1, this.headDim])], 1);
      if (mask !== null) mask = padKey(mask);
      if (padding !== null) padding = padKey(padding);
    }
    const srcLen = kh.shape[1];

    // Masks merge by addition (bool true → −∞), as PyTorch 2.x's _canonical_mask.
    let bias = mask === null ? null : additive(mask, dtype); // [L, S] or [N·H, L, S]
    if (padding !== null) {
      const pad = additive(padding, dtype).reshape([N, 1, 1, srcLen]).expand(N, H, 1, srcLen).reshape([N * H, 1, srcLen]);
      bias = bias === null ? pad : bias.add(pad);
    }
    let scores = qh.div(Math.sqrt(this.headDim)).matmul(kh.mT); // [N·H, L, S]
    if (bias !== null) scores = scores.add(bias);
    let weights = scores.softmax(-1); // a fully masked row is NaN, as in PyTorch
    if (this.training && this.dropout > 0) weights = dropout(weights, this.dropout, true, { generator: this.generator });
    const attended = weights.matmul(vh).transpose(0, 1).reshape([L, N, E]);
    let output = this.out_proj.call(attended);
    output = !batched ? output.squeeze(1) : this.batchFirst ? output.transpose(0, 1) : output;
    if (!needWeights) return [output, null];
    let w = weights.reshape([N, H, L, srcLen]);
    if (averageAttnWeights) w = w.sum(1).div(H);
    return [output, batched ? w : w.squeeze(0)];
  }

  /** attnMask checked against PyTorch's shapes, or the causal mask for isCausal; bool true = not allowed. */
  private checkAttnMask(attnMask: Tensor | null, isCausal: boolean, L: number, S: number, N: number, batched: boolean): Tensor | null {
    if (attnMask === null) return isCausal ? this.out_proj.weight.newOnes([L, S], { dtype: "bool" }).triu(1) : null;
    checkTensor(OP, "attnMask", attnMask);
    if (attnMask.dtype !== "bool" && !attnMask.isFloatingPoint()) throw new DTypeError(`${OP}: attnMask must be bool or floating point, got ${attnMask.dtype}`);
    const H = this.numHeads;
    const rows = batched ? N * H : H;
    if (attnMask.ndim === 2 && (attnMask.shape[0] !== L || attnMask.shape[1] !== S)) {
      throw new ShapeError(`${OP}: the 2-d attnMask must have shape [${L}, ${S}] ([L, S]), got ${fmtShape(attnMask.shape)}`);
    }
    if (attnMask.ndim === 3 && (attnMask.shape[0] !== rows || attnMask.shape[1] !== L || attnMask.shape[2] !== S)) {
      throw new ShapeError(`${OP}: the 3-d attnMask must have shape [${rows}, ${L}, ${S}] ([N·numHeads, L, S]), got ${fmtShape(attnMask.shape)}`);
    }
    if (attnMask.ndim !== 2 && attnMask.ndim !== 3) throw new ShapeError(`${OP}: attnMask must be 2-d [L, S] or 3-d [N·numHeads, L, S], got ${fmtShape(attnMask.shape)}`);
    return attnMask;
  }

  /** keyPaddingMask checked against [N, S] ([S] unbatched), returned as [N, S]. */
  private checkKeyPaddingMask(mask: Tensor | null, S: number, N: number, batched: boolean): Tensor | null {
    if (mask === null) return null;
    checkTensor(OP, "keyPaddingMask", mask);
    if (mask.dtype !== "bool" && !mask.isFloatingPoint()) throw new DTypeError(`${OP}: keyPaddingMask must be bool or floating point, got ${mask.dtype}`);
    const want = batched ? [N, S] : [S];
    if (mask.ndim !== want.length || mask.shape.some((s, i) => s !== want[i])) {
      throw new ShapeError(`${OP}: expected keyPaddingMask of shape ${fmtShape(want)} (${batched ? "[N, S]" : "[S]"}), got ${fmtShape(mask.shape)}`);
    }
    return batched ? mask : mask.unsqueeze(0);
  }
}

/** Embedding: a lookup table of learned vectors. */

import { Generator, IndexError, ShapeError, Tensor, noGrad, zeros } from "@tensorgrad/autograd";
import { checkFloat, checkInt, fmtShape } from "../functional/checks.js";
import { embedding } from "../functional/linear.js";
import { normal_ } from "../init.js";
import { Module } from "../module.js";
import { checkOptions, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";

/** Options of Embedding. */
export interface EmbeddingOptions extends DTypeOptions {
  /** A row that stays zero-initialized and gets no gradient (negative counts from the end). */
  readonly paddingIdx?: number | null;
  /** Random source of the initial N(0, 1) weights (the default generator when omitted). */
  readonly generator?: Generator;
  /** Use this [num, dim] tensor (sharing its memory) as the weight instead of drawing one. */
  readonly weight?: Tensor;
}

/** What EmbeddingOptions may hold. */
const EMBEDDING_SPEC = { paddingIdx: ["number", "null"], generator: "generator", weight: "tensor", ...DTYPE_SPEC } as const satisfies SpecFor<EmbeddingOptions>;

/** Options of Embedding.fromPretrained. */
export interface EmbeddingFromPretrainedOptions {
  /** Keep the weight out of training: requiresGrad false (default true). */
  readonly freeze?: boolean;
  /** A row that gets no gradient (negative counts from the end). */
  readonly paddingIdx?: number | null;
}

/** What EmbeddingFromPretrainedOptions may hold. */
const FROM_PRETRAINED_SPEC = { freeze: "boolean", paddingIdx: ["number", "null"] } as const satisfies SpecFor<EmbeddingFromPretrainedOptions>;

/** out[...] = weight[indices[...]]: int32 indices of shape S give [...S, embeddingDim]. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions("Embedding", options, EMBEDDING_SPEC);
    checkInt("Embedding", "numEmbeddings", numEmbeddings);
    checkInt("Embedding", "embeddingDim", embeddingDim);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = options.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)) {
      throw new IndexError(`Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${pad}`);
    }
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    if (options.weight !== undefined) {
      const w = options.weight;
      checkFloat("Embedding", "weight", w);
      if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
        throw new ShapeError(`Embedding: weight must have shape [${numEmbeddings},${embeddingDim}], got ${fmtShape(w.shape)}`);
      }
      this.weight = new Parameter(w);
    } else {
      this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype: options.dtype ?? "float32" }));
      this.resetParameters(options.generator);
    }
  }

  /** A frozen (by default) Embedding holding `embeddings` [num, dim] as its weight (shared memory). */
  static fromPretrained(embeddings: Tensor, options: EmbeddingFromPretrainedOptions = {}): Embedding {
    checkOptions("Embedding.fromPretrained", options, FROM_PRETRAINED_SPEC);
    checkFloat("Embedding.fromPretrained", "embeddings", embeddings);
    if (embeddings.ndim !== 2) throw new ShapeError(`Embedding.fromPretrained: embeddings must be 2-d, got ${fmtShape(embeddings.shape)}`);
    const e = new Embedding(embeddings.shape[0], embeddings.shape[1], { paddingIdx: options.paddingIdx, weight: embeddings });
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }

  /** Redraws the weight from N(0, 1) and zeroes the padding row. */
  resetParameters(generator?: Generator): void {
    normal_(this.weight, 0, 1, { generator });
    const pad = this.paddingIdx;
    if (pad !== null) noGrad(() => this.weight.select(0, pad).zero_());
  }

  /** The rows of weight named by `indices`. */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx }, "Embedding");
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`}`;
  }
}

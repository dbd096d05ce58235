/**
 * Single-step recurrent cells RNNCell, LSTMCell and GRUCell (PyTorch's), with PyTorch's parameter
 * names `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, gate order and default init. The step
 * math is shared with the sequence layers in `rnn.ts`.
 */

import { Generator, ShapeError, Tensor, ValueError, linear, zeros } from "@tensorgrad/autograd";
import { checkFloat, checkInt, fmtShape } from "../functional/checks.js";
import { Module } from "../module.js";
import { checkOptions, type OptionSpec, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";
import { pyBool } from "./repr.js";
import { NONLINEARITY_SPEC, checkState, gruStep, lstmStep, resetRecurrent, rnnStep, type RNNNonlinearity } from "./rnn.js";

/** Options of the cells. */
export interface RNNCellBaseOptions extends DTypeOptions {
  /** Learn the biases b_ih and b_hh (default true). */
  readonly bias?: boolean;
  /** Random source of the initial weights (the default generator when omitted). */
  readonly generator?: Generator;
}

/** Options of RNNCell. */
export interface RNNCellOptions extends RNNCellBaseOptions {
  /** "tanh" (default) or "relu". */
  readonly nonlinearity?: RNNNonlinearity;
}

/** Options of LSTMCell and GRUCell. */
export type LSTMCellOptions = RNNCellBaseOptions;
/** Options of GRUCell. */
export type GRUCellOptions = RNNCellBaseOptions;

/** What LSTMCellOptions and GRUCellOptions (RNNCellBaseOptions) may hold. */
const CELL_SPEC = { bias: "boolean", generator: "generator", ...DTYPE_SPEC } as const satisfies SpecFor<RNNCellBaseOptions>;

/** What RNNCellOptions may hold. */
const RNN_CELL_SPEC = { ...CELL_SPEC, ...NONLINEARITY_SPEC } as const satisfies SpecFor<RNNCellOptions>;

/** Parameters, init, argument checks and repr shared by the cells. */
abstract class RNNCellBase<In extends unknown[], Out> extends Module<In, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  // NOTE: snake_case because the property names are the state-dict keys (PyTorch's).
  weight_ih: Parameter;
  weight_hh: Parameter;
  bias_ih: Parameter | null;
  bias_hh: Parameter | null;

  constructor(inputSize: number, hiddenSize: number, numChunks: number, options: RNNCellBaseOptions, spec: OptionSpec) {
    super();
    const op = this.constructor.name;
    checkOptions(op, options, spec);
    checkInt(op, "inputSize", inputSize);
    checkInt(op, "hiddenSize", hiddenSize, 1);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = options.bias ?? true;
    const dtype = options.dtype ?? "float32";
    this.weight_ih = new Parameter(zeros([numChunks * hiddenSize, inputSize], { dtype }));
    this.weight_hh = new Parameter(zeros([numChunks * hiddenSize, hiddenSize], { dtype }));
    this.bias_ih = this.bias ? new Parameter(zeros([numChunks * hiddenSize], { dtype })) : null;
    this.bias_hh = this.bias ? new Parameter(zeros([numChunks * hiddenSize], { dtype })) : null;
    this.resetParameters(options.generator);
  }

  /** Redraws every parameter from PyTorch's default U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(generator?: Generator): void {
    resetRecurrent(this.parameters(), this.hiddenSize, generator);
  }

  /** Checks the input ([B, inputSize], or [inputSize] unbatched) and returns W_ih·x + b_ih, batched. */
  protected inputGates(input: unknown): { gi: Tensor; batched: boolean } {
    const op = this.constructor.name;
    checkFloat(op, "input", input);
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new ShapeError(`${op}: expected input to be 1-d (unbatched) or 2-d (batched), got ${fmtShape(input.shape)}`);
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${op}: expected input of size ${this.inputSize} in the last dim, got ${fmtShape(input.shape)}`);
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    return { gi: linear(x, this.weight_ih, this.bias_ih), batched };
  }

  /** Checks a state ([B, hiddenSize], or [hiddenSize] unbatched) and returns it batched; zeros when null. */
  protected state(what: string, state: unknown, gi: Tensor, batched: boolean): Tensor {
    if (state === null) return gi.newZeros([gi.shape[0], this.hiddenSize]); // on gi's device, of its dtype
    const shape = batched ? [gi.shape[0], this.hiddenSize] : [this.hiddenSize];
    const s = checkState(this.constructor.name, what, state, shape);
    return batched ? s : s.unsqueeze(0);
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : `, bias=${pyBool(false)}`}`;
  }
}

/** h' = act(W_ih·x + b_ih + W_hh·h + b_hh), act = tanh or relu; `call(input, hx?)` returns h'. */
export class RNNCell extends RNNCellBase<[input: Tensor, hx?: Tensor | null], Tensor> {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 1, options, RNN_CELL_SPEC);
    const nonlinearity = options.nonlinearity ?? "tanh";
    this.nonlinearity = nonlinearity;
  }

  /** The next hidden state from input [B, in] and hx [B, hidden] (zeros when omitted); no B when unbatched. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { gi, batched } = this.inputGates(input);
    const h = rnnStep(gi, this.state("hx", hx, gi, batched), this.weight_hh, this.bias_hh, this.nonlinearity === "relu");
    return batched ? h : h.squeeze(0);
  }

  override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === "tanh" ? "" : `, nonlinearity=${this.nonlinearity}`}`;
  }
}

/**
 * i, f, g, o = split(W_ih·x + b_ih + W_hh·h + b_hh); c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c').
 * `call(input, [hx, cx]?)` returns [h', c'].
 */
export class LSTMCell extends RNNCellBase<[input: Tensor, hx?: readonly [Tensor, Tensor] | null], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    super(inputSize, hiddenSize, 4, options, CELL_SPEC);
  }

  /** [h', c'] from input [B, in] and [hx, cx] each [B, hidden] (zeros when omitted); no B when unbatched. */
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const { gi, batched } = this.inputGates(input);
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      const got = hx instanceof Tensor ? `a Tensor ${fmtShape(hx.shape)}` : Array.isArray(hx) ? `${hx.length} items` : typeof hx;
      throw new ValueError(`LSTMCell: hx must be a pair [hx, cx], got ${got}`);
    }
    const h0 = this.state("hx", hx === null ? null : hx[0], gi, batched);
    const c0 = this.state("cx", hx === null ? null : hx[1], gi, batched);
    const [h, c] = lstmStep(gi, h0, c0, this.weight_hh, this.bias_hh, null);
    return batched ? [h, c] : [h.squeeze(0), c.squeeze(0)];
  }
}

/**
 * r, z, n split from W_ih·x + b_ih and W_hh·h + b_hh; r = σ(·), z = σ(·),
 * n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h. `call(input, hx?)` returns h'.
 */
export class GRUCell extends RNNCellBase<[input: Tensor, hx?: Tensor | null], Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: GRUCellOptions = {}) {
    super(inputSize, hiddenSize, 3, options, CELL_SPEC);
  }

  /** The next hidden state from input [B, in] and hx [B, hidden] (zeros when omitted); no B when unbatched. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    const { gi, batched } = this.inputGates(input);
    const h = gruStep(gi, this.state("hx", hx, gi, batched), this.weight_hh, this.bias_hh);
    return batched ? h : h.squeeze(0);
  }
}

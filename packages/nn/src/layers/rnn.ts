/**
 * Recurrent layers RNN, LSTM and GRU (PyTorch's nn.RNN/nn.LSTM/nn.GRU), multi-layer and
 * optionally bidirectional, built from autograd ops so their gradients (of any order) come for
 * free. The single-step cells (RNNCell, LSTMCell, GRUCell) live in `rnn-cell.ts` and share the
 * step functions below.
 *
 * Parameters carry PyTorch's names in PyTorch's registration order (`weight_ih_l0`,
 * `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`[, `weight_hr_l0`], then `…_l0_reverse`, then layer
 * 1…), PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n) and PyTorch's default init, so a state
 * dict saved by PyTorch loads unchanged and gives the same outputs.
 *
 * Per layer and direction, the input projection W_ih·x + b_ih of every time step is ONE matmul
 * before the loop; each step then adds W_hh·h + b_hh, and the gates' activations and state update
 * are one fused op (autograd's lstmCell / gruCell, one kernel forward and one backward). Time steps
 * are taken apart by `unbindSteps`, whose gradient is one stack, not one zero-padded copy of the
 * whole input per piece (what a slice's gradient is), which would make backward O(T²).
 */

import { Generator, ShapeError, Tensor, ValueError, cat, defaultGenerator, defineFunction, gruCell, linear, lstmCell, stack, zeros } from "@tensorgrad/autograd";
import { checkFloat, checkInt, checkProbability, fmtShape } from "../functional/checks.js";
import { dropout as dropoutFn } from "../functional/linear.js";
import { uniform_ } from "../init.js";
import { Module } from "../module.js";
import { checkOptions, oneOf, type OptionSpec, type SpecFor } from "../options.js";
import { Parameter } from "../parameter.js";
import { DTYPE_SPEC, type DTypeOptions } from "./linear.js";
import { pyBool, pyFloat } from "./repr.js";

// ---------------------------------------------------------------- views with cheap gradients

/** @internal x [T, …] as its T slices x[t] (views); the gradient of all of them is one stack. */
export const unbindSteps = defineFunction({
  name: "unbindSteps",
  forward: (_ctx, x: Tensor): Tensor[] => {
    const steps: Tensor[] = [];
    for (let t = 0; t < x.shape[0]; t++) steps.push(x.select(0, t));
    return steps;
  },
  // ∂/∂x = stack of the slices' gradients (each slice is an identity on its own rows)
  backward: (_ctx, ...grads: Tensor[]) => stack(grads, 0),
});

/**
 * @internal lstmCell's [2, B, H] output as the views (h', c'); the gradient is one stack, with
 * zeros for a state that got none (the engine passes only the gradients up to the last one given).
 */
const unbindState = defineFunction({
  name: "unbindState",
  forward: (_ctx, x: Tensor): Tensor[] => [x.select(0, 0), x.select(0, 1)],
  // ∂/∂x = [∂L/∂h'; ∂L/∂c']
  backward: (_ctx, gh: Tensor, gc?: Tensor) => stack([gh, gc ?? gh.zerosLike()], 0),
});

// ---------------------------------------------------------------- one time step

/** @internal h' = act(gi + W_hh·h + b_hh), where gi = W_ih·x + b_ih; act is tanh or relu. */
export function rnnStep(gi: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null, relu: boolean): Tensor {
  const pre = gi.add(linear(h, wHh, bHh));
  return relu ? pre.relu() : pre.tanh();
}

/**
 * @internal One LSTM step from gi = W_ih·x + b_ih: gates = gi + W_hh·h + b_hh split as i, f, g, o;
 * c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c'), projected to W_hr·h' when wHr is given.
 */
export function lstmStep(gi: Tensor, h: Tensor, c: Tensor, wHh: Tensor, bHh: Tensor | null, wHr: Tensor | null): [Tensor, Tensor] {
  // the gates' activations and the state update in one fused op; (h', c') come out as one
  // [2, B, H] tensor, taken apart as views whose gradient is one stack
  const [hNext, cNext] = unbindState(lstmCell(gi.add(linear(h, wHh, bHh)), c));
  return [wHr === null ? hNext : linear(hNext, wHr), cNext];
}

/**
 * @internal One GRU step from gi = W_ih·x + b_ih and gh = W_hh·h + b_hh, each split as r, z, n:
 * r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h' = (1 − z)·n + z·h.
 */
export function gruStep(gi: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor | null): Tensor {
  return gruCell(gi, linear(h, wHh, bHh), h); // the gates and (1 − z)·n + z·h in one fused op
}

// ---------------------------------------------------------------- shared checks

/** @internal Throws unless `x` is a float tensor of exactly `shape`; `what` names it (`h0`). */
export function checkState(op: string, what: string, x: unknown, shape: readonly number[]): Tensor {
  checkFloat(op, what, x);
  if (x.ndim !== shape.length || x.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${op}: expected ${what} of shape ${fmtShape(shape)}, got ${fmtShape(x.shape)}`);
  }
  return x;
}

/** @internal PyTorch's U(−1/√hidden, 1/√hidden) for every parameter of a recurrent layer or cell. */
export function resetRecurrent(params: readonly Parameter[], hiddenSize: number, generator?: Generator): void {
  const bound = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
  for (const p of params) uniform_(p, -bound, bound, { generator });
}

// ---------------------------------------------------------------- the layers

/** Options shared by RNN, LSTM and GRU (PyTorch's keyword arguments, camelCase). */
export interface RNNBaseOptions extends DTypeOptions {
  /** Stacked recurrent layers (default 1); layer k + 1 reads layer k's output sequence. */
  readonly numLayers?: number;
  /** Learn the biases b_ih and b_hh (default true). */
  readonly bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature] (default false); states never are. */
  readonly batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last one's, in training mode only (default 0). */
  readonly dropout?: number;
  /** Run a second layer over the reversed sequence and concatenate both outputs (default false). */
  readonly bidirectional?: boolean;
  /** Random source of the initial weights and of the dropout masks (the default generator when omitted). */
  readonly generator?: Generator;
}

/** The nonlinearity of a plain RNN. */
export type RNNNonlinearity = "tanh" | "relu";

/** Options of RNN. */
export interface RNNOptions extends RNNBaseOptions {
  /** "tanh" (default) or "relu". */
  readonly nonlinearity?: RNNNonlinearity;
}

/** Options of LSTM. */
export interface LSTMOptions extends RNNBaseOptions {
  /** When > 0, h is projected to this size by `weight_hr_l{k}` [projSize, hiddenSize] (default 0: none). */
  readonly projSize?: number;
}

/** Options of GRU. */
export type GRUOptions = RNNBaseOptions;

/** What GRUOptions (RNNBaseOptions) may hold. */
const RNN_BASE_SPEC = {
  numLayers: "number", bias: "boolean", batchFirst: "boolean", dropout: "number", bidirectional: "boolean", generator: "generator", ...DTYPE_SPEC,
} as const satisfies SpecFor<RNNBaseOptions>;

/** @internal What RNNOptions may hold (RNNCellOptions' nonlinearity too). */
export const NONLINEARITY_SPEC = { nonlinearity: oneOf("tanh", "relu") } as const satisfies SpecFor<Pick<RNNOptions, "nonlinearity">>;

/** What RNNOptions may hold. */
const RNN_SPEC = { ...RNN_BASE_SPEC, ...NONLINEARITY_SPEC } as const satisfies SpecFor<RNNOptions>;

/** What LSTMOptions may hold. */
const LSTM_SPEC = { ...RNN_BASE_SPEC, projSize: "number" } as const satisfies SpecFor<LSTMOptions>;

type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** The parameter names of one layer and direction. */
interface LayerNames {
  readonly wIh: string;
  readonly wHh: string;
  readonly bIh: string | null;
  readonly bHh: string | null;
  readonly wHr: string | null;
}

/** What the shared loop returns: output [T, B, D·H_out] and final states [L·D, B, ·]. */
interface RunResult {
  readonly output: Tensor;
  readonly hN: Tensor;
  readonly cN: Tensor | null;
}

/** The machinery RNN, LSTM and GRU share: parameters, argument checks and the layer loop. */
abstract class RNNBase<In extends unknown[], Out> extends Module<In, Out> {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly generator: Generator | undefined;
  readonly #mode: Mode;
  readonly #names: LayerNames[] = [];

  constructor(mode: Mode, inputSize: number, hiddenSize: number, options: LSTMOptions, spec: OptionSpec) {
    super();
    const op = this.constructor.name;
    checkOptions(op, options, spec);
    checkInt(op, "inputSize", inputSize);
    checkInt(op, "hiddenSize", hiddenSize, 1);
    const numLayers = options.numLayers ?? 1;
    checkInt(op, "numLayers", numLayers, 1);
    const p = options.dropout ?? 0;
    checkProbability(op, "dropout", p);
    const projSize = options.projSize ?? 0;
    checkInt(op, "projSize", projSize);
    if (projSize >= hiddenSize) throw new ValueError(`${op}: projSize has to be smaller than hiddenSize, got projSize=${projSize}, hiddenSize=${hiddenSize}`);
    this.#mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = p;
    this.bidirectional = options.bidirectional ?? false;
    this.projSize = projSize;
    this.generator = options.generator;

    const dtype = options.dtype ?? "float32";
    const gateSize = (mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1) * hiddenSize;
    const outSize = this.outputSize;
    const param = (name: string, shape: number[]): string => {
      this.registerParameter(name, new Parameter(zeros(shape, { dtype })));
      return name;
    };
    for (let layer = 0; layer < numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : outSize * this.numDirections;
      for (let dir = 0; dir < this.numDirections; dir++) {
        const sfx = `_l${layer}${dir === 1 ? "_reverse" : ""}`;
        this.#names.push({
          wIh: param(`weight_ih${sfx}`, [gateSize, layerInput]),
          wHh: param(`weight_hh${sfx}`, [gateSize, outSize]),
          bIh: this.bias ? param(`bias_ih${sfx}`, [gateSize]) : null,
          bHh: this.bias ? param(`bias_hh${sfx}`, [gateSize]) : null,
          wHr: projSize > 0 ? param(`weight_hr${sfx}`, [projSize, hiddenSize]) : null,
        });
      }
    }
    this.resetParameters(options.generator);
  }

  /** 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** The size of h (and of each direction's output): projSize if set, else hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** The parameters of each layer and direction (PyTorch's all_weights), in registration order. */
  get allWeights(): Parameter[][] {
    return this.#names.map((n) => [n.wIh, n.wHh, n.bIh, n.bHh, n.wHr].flatMap((name) => (name === null ? [] : [this.#param(name)])));
  }

  #param(name: string): Parameter {
    return Reflect.get(this, name) as Parameter;
  }

  /** Redraws every parameter from PyTorch's default U(−1/√hiddenSize, 1/√hiddenSize). */
  resetParameters(generator?: Generator): void {
    resetRecurrent(this.allWeights.flat(), this.hiddenSize, generator);
  }

  /**
   * Checks the input, and returns it time-major and batched ([T, B, F]) with whether it was
   * batched (2-d input is one unbatched sequence [T, F], whatever batchFirst says).
   */
  protected prepareInput(input: unknown): { x: Tensor; batched: boolean } {
    const op = this.constructor.name;
    checkFloat(op, "input", input);
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ShapeError(`${op}: expected input to be 2-d (unbatched) or 3-d (batched), got ${fmtShape(input.shape)}`);
    }
    if (input.shape[input.ndim - 1] !== this.inputSize) {
      throw new ShapeError(`${op}: expected input of size ${this.inputSize} in the last dim, got ${fmtShape(input.shape)}`);
    }
    const batched = input.ndim === 3;
    const x = !batched ? input.unsqueeze(1) : this.batchFirst ? input.transpose(0, 1) : input;
    if (x.shape[0] === 0) throw new ShapeError(`${op}: expected a sequence of length > 0, got input ${fmtShape(input.shape)}`);
    return { x, batched };
  }

  /** Checks an initial state ([L·D, B, size], or [L·D, size] unbatched) and returns it batched. */
  protected prepareState(what: string, state: unknown, size: number, x: Tensor, batched: boolean): Tensor {
    const rows = this.numLayers * this.numDirections;
    const shape = batched ? [rows, x.shape[1], size] : [rows, size];
    const s = checkState(this.constructor.name, what, state, shape);
    return batched ? s : s.unsqueeze(1);
  }

  /** Output in the caller's layout: [T, B, ·] (or batch-first), or [T, ·] unbatched. */
  protected finishOutput(output: Tensor, batched: boolean): Tensor {
    return !batched ? output.squeeze(1) : this.batchFirst ? output.transpose(0, 1) : output;
  }

  /** Runs every layer and direction over x [T, B, F] from h0/c0 [L·D, B, ·] (zeros when null). */
  protected run(x: Tensor, h0: Tensor | null, c0: Tensor | null): RunResult {
    const mode = this.#mode;
    const [steps, batch] = x.shape;
    const dirs = this.numDirections;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      // Dropout on every layer's output but the last one's = on every layer's input but the first's.
      if (layer > 0 && this.training && this.dropout > 0) {
        layerInput = dropoutFn(layerInput, this.dropout, true, { generator: this.generator ?? defaultGenerator });
      }
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const k = layer * dirs + dir;
        const names = this.#names[k];
        const wHh = this.#param(names.wHh);
        const bHh = names.bHh === null ? null : this.#param(names.bHh);
        const wHr = names.wHr === null ? null : this.#param(names.wHr);
        // W_ih·x_t + b_ih for every t in one matmul, then taken apart into the T steps.
        const bIh = names.bIh === null ? null : this.#param(names.bIh);
        const gi = unbindSteps(linear(layerInput, this.#param(names.wIh), bIh));
        // zero states on x's device and of its dtype (not the default device's)
        let h = h0 === null ? x.newZeros([batch, this.outputSize]) : h0.select(0, k);
        let c = mode !== "LSTM" ? null : c0 === null ? x.newZeros([batch, this.hiddenSize]) : c0.select(0, k);
        const hs: Tensor[] = new Array<Tensor>(steps);
        for (let s = 0; s < steps; s++) {
          const t = dir === 0 ? s : steps - 1 - s;
          if (mode === "LSTM") [h, c] = lstmStep(gi[t], h, c as Tensor, wHh, bHh, wHr);
          else if (mode === "GRU") h = gruStep(gi[t], h, wHh, bHh);
          else h = rnnStep(gi[t], h, wHh, bHh, mode === "RNN_RELU");
          hs[t] = h;
        }
        outputs.push(stack(hs, 0));
        hN.push(h);
        if (c !== null) cN.push(c);
      }
      layerInput = dirs === 1 ? outputs[0] : cat(outputs, 2);
    }
    return { output: layerInput, hN: stack(hN, 0), cN: mode === "LSTM" ? stack(cN, 0) : null };
  }

  /** The settings PyTorch's RNNBase.extra_repr shows (it leaves out RNN's nonlinearity too). */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/**
 * Elman RNN: h_t = act(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh), act = tanh or relu.
 * `call(input, h0?)` with input [T, B, inputSize] ([B, T, …] with batchFirst, [T, inputSize]
 * unbatched) and h0 [numLayers·D, B, hiddenSize] (zeros when omitted) returns
 * [output [T, B, D·hiddenSize], hN [numLayers·D, B, hiddenSize]], D = 2 if bidirectional.
 */
export class RNN extends RNNBase<[input: Tensor, h0?: Tensor | null], [Tensor, Tensor]> {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    // Read before super() checks the options (RNN_SPEC), which refuses anything but "tanh" and "relu".
    const nonlinearity = options?.nonlinearity ?? "tanh";
    super(nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options, RNN_SPEC);
    this.nonlinearity = nonlinearity;
  }

  /** [output, hN] for input and optional initial state h0. */
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = h0 === null ? null : this.prepareState("h0", h0, this.hiddenSize, x, batched);
    const { output, hN } = this.run(x, h, null);
    return [this.finishOutput(output, batched), batched ? hN : hN.squeeze(1)];
  }
}

/**
 * Long short-term memory: per step, gates i, f, g, o = split(W_ih·x + b_ih + W_hh·h + b_hh)
 * (PyTorch's order), c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c') (times W_hrᵀ with projSize).
 * `call(input, [h0, c0]?)` returns [output, [hN, cN]] with PyTorch's shapes: h is [numLayers·D,
 * B, projSize || hiddenSize], c is [numLayers·D, B, hiddenSize] (no B dim when unbatched).
 */
export class LSTM extends RNNBase<[input: Tensor, hx?: readonly [Tensor, Tensor] | null], [Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options, LSTM_SPEC);
  }

  /** [output, [hN, cN]] for input and optional initial states [h0, c0]. */
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const { x, batched } = this.prepareInput(input);
    let h0: Tensor | null = null;
    let c0: Tensor | null = null;
    if (hx !== null) {
      if (!Array.isArray(hx) || hx.length !== 2) {
        const got = hx instanceof Tensor ? `a Tensor ${fmtShape(hx.shape)}` : Array.isArray(hx) ? `${hx.length} items` : typeof hx;
        throw new ValueError(`LSTM: hx must be a pair [h0, c0], got ${got}`);
      }
      h0 = this.prepareState("h0", hx[0], this.outputSize, x, batched);
      c0 = this.prepareState("c0", hx[1], this.hiddenSize, x, batched);
    }
    const { output, hN, cN } = this.run(x, h0, c0);
    const c = cN as Tensor;
    return [this.finishOutput(output, batched), batched ? [hN, c] : [hN.squeeze(1), c.squeeze(1)]];
  }
}

/**
 * Gated recurrent unit: per step, r, z, n split from W_ih·x + b_ih and W_hh·h + b_hh (PyTorch's
 * order), r = σ(·), z = σ(·), n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h.
 * `call(input, h0?)` returns [output, hN] with the shapes of RNN.
 */
export class GRU extends RNNBase<[input: Tensor, h0?: Tensor | null], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super("GRU", inputSize, hiddenSize, options, RNN_BASE_SPEC);
  }

  /** [output, hN] for input and optional initial state h0. */
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = h0 === null ? null : this.prepareState("h0", h0, this.hiddenSize, x, batched);
    const { output, hN } = this.run(x, h, null);
    return [this.finishOutput(output, batched), batched ? hN : hN.squeeze(1)];
  }
}

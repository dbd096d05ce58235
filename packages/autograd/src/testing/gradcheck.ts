/**
 * gradcheck: compares the analytic Jacobian from backward() with central finite differences
 * (f(x + ε) − f(x − ε)) / 2ε, element by element, in float64. gradgradcheck does the same for
 * the gradient itself (second derivatives through createGraph).
 */

// Only the public entry: the build keeps it external (tsup.config.ts), so /testing uses the same
// copy of the library as the app — its Tensors are the app's Tensors.
import { DTypeError, Generator, Tensor, ValueError, foreignTensorHint, grad, tensor } from "../index.js";

/** Options of gradcheck. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Absolute tolerance (default 1e-5). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-3). */
  readonly rtol?: number;
  /** Throw an Error with the report's message instead of returning a failing report (default false). */
  readonly raiseException?: boolean;
  /** At most this many failures are listed (default 10). */
  readonly maxFailures?: number;
}

/** One Jacobian entry where analytic and numeric gradients disagree. */
export interface GradcheckFailure {
  /** Which input (position in `inputs`). */
  readonly inputIndex: number;
  /** Flat (row-major) index of the input element. */
  readonly inputElement: number;
  /** Which output (position in the returned list), and its flat element. */
  readonly outputIndex: number;
  readonly outputElement: number;
  readonly analytic: number;
  readonly numeric: number;
}

/** The result of gradcheck. */
export interface GradcheckReport {
  readonly ok: boolean;
  /** Largest |analytic − numeric| over all checked entries. */
  readonly maxAbsError: number;
  readonly failures: readonly GradcheckFailure[];
  /** A readable summary naming the first failures. */
  readonly message: string;
}

type Fn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

function outputsOf(fn: Fn, inputs: Tensor[]): Tensor[] {
  const out = fn(...inputs);
  return (Array.isArray(out) ? out : [out]) as Tensor[];
}

function withValues(x: Tensor, values: Float64Array): Tensor {
  return tensor(values, { shape: x.shape, dtype: "float64" });
}

/**
 * Checks the gradients of `fn` with respect to every input that requires grad against central
 * finite differences. Inputs must be float64 (float32 differences are too coarse to trust).
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = false, maxFailures = 10 } = options;
  inputs.forEach((x: unknown, i) => {
    if (!(x instanceof Tensor)) throw new ValueError(`gradcheck: input ${i} must be a Tensor, got ${typeof x}${foreignTensorHint(x)}`);
    if (x.requiresGrad && x.dtype !== "float64") {
      throw new DTypeError(`gradcheck: input ${i} is ${x.dtype}; use float64 inputs for reliable finite differences`);
    }
  });
  const checked = inputs.map((x, i) => [x, i] as const).filter(([x]) => x.requiresGrad);
  if (checked.length === 0) throw new ValueError("gradcheck: no input requires grad");
  // Fresh leaves so the user's tensors and their .grad are left alone.
  const leaves = inputs.map((x) => (x.requiresGrad ? x.detach().clone().requiresGrad_(true) : x));
  const diffLeaves = checked.map(([, i]) => leaves[i]);
  const outputs = outputsOf(fn, leaves);

  // analytic[o][k][c] = ∂ outputs[o][k] / ∂ diffLeaves[c], a flat array per checked input
  const analytic: Float64Array[][][] = outputs.map((out) => {
    const n = out.numel();
    const rows: Float64Array[][] = [];
    for (let k = 0; k < n; k++) {
      if (!out.requiresGrad || !out.isFloatingPoint()) {
        rows.push(diffLeaves.map((x) => new Float64Array(x.numel())));
        continue;
      }
      const seed = new Float64Array(n);
      seed[k] = 1;
      const gs = grad(out, diffLeaves, {
        gradOutputs: tensor(seed, { shape: out.shape, dtype: out.dtype }),
        retainGraph: true,
        allowUnused: true,
      });
      rows.push(gs.map((g) => Float64Array.from(g.toTypedArray())));
    }
    return rows;
  });

  const failures: GradcheckFailure[] = [];
  let maxAbsError = 0;
  let failureCount = 0;
  // Evaluated with grad mode on: the function may itself differentiate (gradgradcheck).
  {
    checked.forEach(([x, inputIndex], c) => {
      const base = Float64Array.from(x.toTypedArray());
      for (let e = 0; e < base.length; e++) {
        const evalAt = (delta: number): number[][] => {
          const values = base.slice();
          values[e] += delta;
          const args = leaves.slice();
          args[inputIndex] = withValues(x, values).requiresGrad_(true);
          return outputsOf(fn, args).map((o) => o.toFlatArray());
        };
        const plus = evalAt(eps);
        const minus = evalAt(-eps);
        outputs.forEach((out, o) => {
          for (let k = 0; k < out.numel(); k++) {
            const numeric = (plus[o][k] - minus[o][k]) / (2 * eps);
            const a = analytic[o][k][c][e];
            const err = Math.abs(a - numeric);
            if (!(err <= atol + rtol * Math.abs(numeric))) {
              failureCount++;
              if (failures.length < maxFailures) {
                failures.push({ inputIndex, inputElement: e, outputIndex: o, outputElement: k, analytic: a, numeric });
              }
            }
            if (err > maxAbsError || Number.isNaN(err)) maxAbsError = Number.isNaN(err) ? NaN : err;
          }
        });
      }
    });
  }

  const ok = failureCount === 0;
  const message = ok
    ? `gradcheck: ok (max |analytic − numeric| = ${maxAbsError.toExponential(2)})`
    : `gradcheck: ${failureCount} Jacobian entries differ (atol ${atol}, rtol ${rtol}); ` +
      failures
        .map((f) => `input ${f.inputIndex}[${f.inputElement}] → output ${f.outputIndex}[${f.outputElement}]: analytic ${f.analytic}, numeric ${f.numeric}`)
        .join("; ");
  if (!ok && raiseException) throw new Error(message);
  return { ok, maxAbsError, failures, message };
}

/** Options of gradgradcheck. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /** Seed of the random output gradients v (default 0). */
  readonly seed?: number;
}

/**
 * Checks second derivatives: gradcheck of (inputs, v) ↦ vᵀ·∂fn/∂inputs, computed with
 * createGraph, against finite differences — in the inputs and in v.
 */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], options: GradgradcheckOptions = {}): GradcheckReport {
  const generator = new Generator(options.seed ?? 0);
  const nIn = inputs.length;
  const sample = outputsOf(fn, inputs.map((x) => (x.requiresGrad ? x.detach() : x)));
  const vs = sample.map((o) =>
    tensor(Float64Array.from({ length: o.numel() }, () => generator.normal()), { shape: o.shape, dtype: "float64", requiresGrad: true }),
  );
  const firstOrder = (...args: Tensor[]): Tensor[] => {
    const xs = args.slice(0, nIn);
    const v = args.slice(nIn);
    const diff = xs.filter((x, i) => inputs[i].requiresGrad);
    const outs = outputsOf(fn, xs);
    return grad(outs, diff, { gradOutputs: v, createGraph: true, allowUnused: true });
  };
  return gradcheck(firstOrder, [...inputs, ...vs], options);
}

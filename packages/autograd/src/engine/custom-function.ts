/**
 * User-defined differentiable functions with their own backward, like torch.autograd.Function.
 * forward runs without recording; its outputs become the outputs of one graph node whose
 * backward is the user's. Written in Tensor ops, that backward is itself differentiable.
 */

import { GradError, ValueError, fmtValue } from "../errors.js";
import { creationSite } from "../ops/define.js";
import { Tensor } from "../tensor.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { Node, type BackwardFn } from "./node.js";

/** What forward and backward share. */
export interface FunctionContext<State = Record<string, unknown>> {
  /** Keeps tensors for backward; they are checked for in-place modification before use. */
  saveForBackward(...tensors: Tensor[]): void;
  /** The tensors given to saveForBackward (read them in backward). */
  readonly savedTensors: readonly Tensor[];
  /** Per forward argument: whether it is a tensor whose gradient is needed. */
  readonly needsInputGrad: readonly boolean[];
  /** Any non-tensor values forward wants to hand to backward. */
  readonly state: State;
}

/** The definition of a custom function. */
export interface FunctionDefinition<Args extends unknown[], Out extends Tensor | Tensor[], State> {
  /** Name shown in errors and gradFn (default "customFunction"). */
  readonly name?: string;
  /** Computes the outputs (not recorded by autograd). */
  forward(ctx: FunctionContext<State>, ...args: Args): Out;
  /**
   * One gradient per forward argument (null for non-tensors or inputs needing none), given one
   * gradient per output (zeros for outputs that received none).
   */
  backward(ctx: FunctionContext<State>, ...gradOutputs: Tensor[]): Tensor | null | readonly (Tensor | null | undefined)[];
}

class Context<State> implements FunctionContext<State> {
  saved: Tensor[] = [];
  savedTensors: readonly Tensor[] = [];
  readonly state = {} as State;
  constructor(readonly needsInputGrad: readonly boolean[]) {}
  saveForBackward(...tensors: Tensor[]): void {
    this.saved.push(...tensors);
  }
}

/** Defines a differentiable function from a forward and a hand-written backward. */
export function defineFunction<Args extends unknown[], Out extends Tensor | Tensor[], State = Record<string, unknown>>(
  definition: FunctionDefinition<Args, Out, State>,
): (...args: Args) => Out {
  const name = definition.name ?? "customFunction";
  if (typeof definition.forward !== "function" || typeof definition.backward !== "function") {
    throw new ValueError(`${name}: defineFunction needs forward and backward functions, got ${fmtValue(definition.forward)} and ${fmtValue(definition.backward)}`);
  }
  return (...args: Args): Out => {
    // Loops with push rather than map/filter: their results change array kind once V8 optimizes
    // this closure, deoptimizing the engine code that reads them (see packedZeros in shape.ts).
    const inputs: Tensor[] = []; // the tensor arguments, in order
    const positions: number[] = []; // their argument positions
    let anyRequiresGrad = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!(a instanceof Tensor)) continue;
      inputs.push(a);
      positions.push(i);
      if (a.requiresGrad) anyRequiresGrad = true;
    }
    const recording = isGradEnabled() && anyRequiresGrad;
    const needs: boolean[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      needs.push(recording && a instanceof Tensor && a.requiresGrad);
    }
    const ctx = new Context<State>(needs);
    const result = noGrad(() => definition.forward(ctx, ...args));
    const many = Array.isArray(result);
    const raw = (many ? result : [result]) as Tensor[];
    for (let i = 0; i < raw.length; i++) {
      if (!(raw[i] instanceof Tensor)) throw new ValueError(`${name}: forward must return a Tensor or an array of Tensors, but output ${i} is ${fmtValue(raw[i])}`);
    }
    if (!recording) return result;
    // Fresh handles on the same memory, so returning an input (or a saved tensor) is safe.
    const outputs: Tensor[] = [];
    for (let i = 0; i < raw.length; i++) outputs.push(raw[i].detach());
    // A saved output is kept as the returned handle, which is part of the graph, so a backward
    // written in Tensor ops stays differentiable through it (createGraph), as in PyTorch.
    const saved: Tensor[] = [];
    for (const t of ctx.saved) {
      const k = raw.indexOf(t);
      saved.push(k >= 0 && !inputs.includes(t) ? outputs[k] : t);
    }
    const backwardFn: BackwardFn = (gradOutputs, self) => {
      ctx.savedTensors = self.savedTensors();
      const grads: Tensor[] = [];
      // One gradient per output: zeros where none arrived (the engine's list may stop short of
      // trailing outputs that were never used).
      for (let i = 0; i < outputs.length; i++) grads.push(gradOutputs[i] ?? outputs[i].zerosLike());
      const returned = definition.backward(ctx, ...grads);
      const list = Array.isArray(returned) ? returned : [returned];
      if (list.length !== args.length) {
        throw new GradError(`${name}: backward returned ${list.length} gradients, but forward took ${args.length} arguments`);
      }
      for (let k = 0; k < list.length; k++) {
        const gk: unknown = list[k];
        if (gk !== null && gk !== undefined && !(gk instanceof Tensor)) {
          throw new GradError(`${name}: backward returned ${fmtValue(gk)} as the gradient of argument ${k}; expected a Tensor, null or undefined`);
        }
      }
      const inputGrads: (Tensor | null)[] = [];
      for (let j = 0; j < positions.length; j++) inputGrads.push(list[positions[j]] ?? null);
      return inputGrads;
    };
    const node = new Node({ name, backwardFn, userCode: true }, inputs, saved, outputs, creationSite());
    // Integer outputs (indices, counts) carry no gradient.
    for (let i = 0; i < outputs.length; i++) if (outputs[i].isFloatingPoint()) outputs[i].attachGradFn(node, i);
    return (many ? outputs : outputs[0]) as Out;
  };
}

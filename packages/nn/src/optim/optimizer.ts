/**
 * The Optimizer base class, after PyTorch's torch/optim/optimizer.py: parameter groups whose
 * options override the defaults, per-parameter state kept in the class, `step()` under noGrad,
 * and state dicts with the state keyed by parameter index. The update math of each optimizer
 * lives in a plain function in its own file (sgd.ts, adam.ts, ...).
 */

import { Tensor, ValueError, enableGrad, keep, noGrad } from "@tensorgrad/autograd";
import { ZERO_GRAD_SPEC, type ZeroGradOptions } from "../module.js";
import { checkOptions, definedOptions, specOf, type OptionSpec } from "../options.js";

/** Options every optimizer has: the learning rate (which LR schedulers change). */
export interface OptimizerOptions {
  /** Learning rate. */
  lr: number;
}

/** A value an optimizer option can hold. */
export type OptionValue = number | boolean | string | readonly number[];

/** A parameter group as passed in: its parameters plus options that override the defaults. */
export type ParamGroupInput<O extends OptimizerOptions> = Partial<O> & {
  /** The parameters of this group. */
  readonly params: Iterable<Tensor>;
};

/** What an optimizer takes: an iterable of parameters, or of parameter groups. */
export type ParamsInput<O extends OptimizerOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A parameter group as the optimizer holds it: every option resolved, plus the parameters. */
export type ParamGroup<O extends OptimizerOptions> = O & {
  /** The parameters of this group. */
  params: Tensor[];
  /** The learning rate a scheduler started from (set by the first scheduler attached). */
  initialLr?: number;
};

/** One parameter's optimizer state: buffers (tensors of the parameter's shape) and counters. */
export type ParamState = Record<string, Tensor | number>;

/** An optimizer's state dict, structured like PyTorch's (`state` keyed by parameter index). */
export interface OptimizerStateDict {
  /** Per-parameter state, keyed by the parameter's index across all groups (in group order). */
  state: Record<number, ParamState>;
  /** Each group's options, with `params` as indices into the flattened parameter list. */
  paramGroups: Array<{ params: number[]; [option: string]: OptionValue | undefined }>;
}

/** Throws `ValueError("<optimizer>: invalid <what> <value>")` unless `ok`. */
export function checkOption(name: string, ok: boolean, what: string, value: unknown): void {
  if (!ok) throw new ValueError(`${name}: invalid ${what} ${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}`);
}

/** True for a finite number ≥ 0. */
export function nonNegative(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Throws `ValueError("<optimizer>: invalid beta parameter at index i: β")` unless betas is a pair in [0, 1). */
export function checkBetas(name: string, betas: readonly number[]): void {
  checkOption(name, Array.isArray(betas) && betas.length === 2, "betas", betas);
  betas.forEach((b, i) => checkOption(name, nonNegative(b) && b < 1, `beta parameter at index ${i}:`, b));
}

/** The gradient an update reads: −grad when maximizing, plus L2 weight decay wd·p (PyTorch's coupled decay). */
export function decayedGrad(p: Tensor, grad: Tensor, maximize: boolean, weightDecay: number): Tensor {
  const g = maximize ? grad.neg() : grad;
  return weightDecay === 0 ? g : g.add(p.mul(weightDecay));
}

/** PyTorch's lerp_: x ← x + w·(end − x) for w < 0.5, else end − (end − x)·(1 − w) (same values, fewer rounding errors). */
export function lerp_(x: Tensor, end: Tensor, weight: number): Tensor {
  const diff = end.sub(x);
  // add_ with alpha rounds weight·diff before the add, exactly as diff.mul(weight) would, without the temporary.
  return weight < 0.5 ? x.add_(diff, weight) : x.copy_(end.sub(diff.mul_(1 - weight)));
}

/** Marks a parameter state's tensors to outlive memory scopes (state made inside one, at the first step, persists). */
export function keepState<S extends object>(s: S): S {
  for (const v of Object.values(s)) if (v instanceof Tensor) keep(v);
  return s;
}

/** Base class of all optimizers: parameter groups, per-parameter state and state dicts. */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions, S extends ParamState = ParamState> {
  /** The parameter groups; change `group.lr` (or any option) to affect the next step. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moment estimates, step counts), created at the first step. */
  readonly state = new Map<Tensor, S>();
  /** The options a group takes when it doesn't give its own. */
  readonly defaults: Readonly<O>;

  /** The options a group may set (the defaults' keys and kinds), checked in one place. */
  readonly #spec: OptionSpec;

  /**
   * `defaults` are the optimizer's own defaults and `options` what the user passed: every key of
   * `options` must be one of the defaults' and of the same kind (a ValueError otherwise), then
   * they override the defaults. (A subclass may also pass defaults already merged with the
   * user's options and no `options`; then unknown keys go unchecked.)
   */
  protected constructor(
    /** The optimizer's name, used in error messages. */
    readonly name: string,
    params: ParamsInput<O>,
    defaults: O,
    options: Partial<O> = {},
  ) {
    this.#spec = specOf(defaults as unknown as Record<string, unknown>);
    checkOptions(name, options, this.#spec);
    this.defaults = { ...defaults, ...definedOptions(options) };
    this.validate(this.defaults);
    if (params instanceof Tensor || typeof params !== "object" || params === null || !(Symbol.iterator in params)) {
      throw new ValueError(`${name}: params must be an iterable of Tensors or of parameter groups, got ${params instanceof Tensor ? "a Tensor" : typeof params}`);
    }
    const items: unknown[] = Array.from(params as Iterable<unknown>);
    if (items.length === 0) throw new ValueError(`${name}: optimizer got an empty parameter list`);
    const groups = items[0] instanceof Tensor ? [{ params: items as Tensor[] } as unknown as ParamGroupInput<O>] : (items as ParamGroupInput<O>[]);
    for (const group of groups) this.addParamGroup(group);
  }

  /** Throws ValueError for an invalid option value of a group (or the defaults). */
  protected abstract validate(options: Readonly<O>): void;

  /** Applies one update to the parameters of `group` that have a gradient (runs under noGrad). */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /**
   * The parameters of `group` that have a gradient, with their gradients and states (`stateOf`
   * finds or makes one). Built with push, not filter/map: V8 makes those results holey once it
   * optimizes the caller, and the update code optimized on packed arrays then deoptimizes.
   */
  protected withGrads(group: ParamGroup<O>, stateOf: (p: Tensor) => S): { params: Tensor[]; grads: Tensor[]; states: S[] } {
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    const states: S[] = [];
    for (const p of group.params) {
      if (p.grad === null) continue;
      params.push(p);
      grads.push(p.grad);
      states.push(stateOf(p));
    }
    return { params, grads, states };
  }

  /** The state of `p`, made by `create` and stored the first time it is asked for. */
  protected stateFor(p: Tensor, create: () => S): S {
    let s = this.state.get(p);
    if (s === undefined) {
      s = keepState(create());
      this.state.set(p, s);
    }
    return s;
  }

  /** Adds a group of parameters; options it doesn't give come from the defaults. */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== "object" || group instanceof Tensor || !("params" in group)) {
      throw new ValueError(`${this.name}: a parameter group must be an object with a params field`);
    }
    const rawParams: unknown = group.params;
    if (rawParams instanceof Tensor) throw new ValueError(`${this.name}: a parameter group's params must be an iterable of Tensors, got a Tensor`);
    const params = Array.from(rawParams as Iterable<unknown>);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${this.name}: parameter ${i} of a group is not a Tensor (${typeof p})`);
      if (!p.isFloatingPoint()) throw new ValueError(`${this.name}: can only optimize floating point tensors, parameter ${i} has dtype ${p.dtype}`);
      if (!p.isLeaf) throw new ValueError(`${this.name}: can't optimize a non-leaf tensor (parameter ${i})`);
    });
    const tensors = params as Tensor[];
    if (new Set(tensors).size !== tensors.length) throw new ValueError(`${this.name}: a parameter appears more than once in one parameter group`);
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    if (tensors.some((p) => existing.has(p))) throw new ValueError(`${this.name}: some parameters appear in more than one parameter group`);
    const { params: _params, ...groupOptions } = group as ParamGroupInput<O> & Record<string, unknown>;
    checkOptions(this.name, groupOptions, this.#groupSpec(), "parameter group option");
    const resolved = { ...this.defaults, ...definedOptions(groupOptions), params: tensors } as ParamGroup<O>;
    this.validate(resolved);
    this.paramGroups.push(resolved);
  }

  /** What a group may hold besides params: the defaults' options and the scheduler's initialLr. */
  #groupSpec(): OptionSpec {
    return { ...this.#spec, initialLr: "number" };
  }


  /** Resets the gradients: to null (the default, as PyTorch), or to zeros with `setToNone: false`. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    checkOptions(`${this.name}.zeroGrad`, options, ZERO_GRAD_SPEC);
    const setToNone = options.setToNone ?? true;
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else {
          if (p.grad.gradFn !== null) p.grad = p.grad.detach();
          const g = p.grad;
          noGrad(() => g.zero_());
        }
      }
    }
  }

  /**
   * Performs one optimization step over every parameter with a gradient (those whose grad is null
   * are skipped). `closure`, if given, re-evaluates the model (with grad on) and returns the loss.
   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (closure !== undefined && typeof closure !== "function") throw new ValueError(`${this.name}.step: closure must be a function, got ${typeof closure}`);
    const loss = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** The state and group options, for checkpointing (a snapshot: tensors are copied). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const { params, ...options } = group;
      const ids = params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p) as number;
      });
      return { ...copyOptions(options as Record<string, unknown>), params: ids };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, id] of index) {
      const s = this.state.get(p);
      if (s !== undefined) state[id] = copyState(s);
    }
    return { state, paramGroups };
  }

  /**
   * Restores state and group options saved by `stateDict()` (the parameters themselves stay this
   * optimizer's). Everything is checked before anything changes, so a mismatched dict leaves the
   * optimizer untouched.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const n = this.name;
    const groups = stateDict?.paramGroups;
    if (!Array.isArray(groups) || typeof stateDict.state !== "object" || stateDict.state === null) {
      throw new ValueError(`${n}.loadStateDict: expected an object with state and paramGroups`);
    }
    if (groups.length !== this.paramGroups.length) {
      throw new ValueError(`${n}.loadStateDict: the loaded state dict has ${groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    }
    const idToParam = new Map<number, Tensor>();
    groups.forEach((saved, g) => {
      const own = this.paramGroups[g].params;
      if (saved === null || typeof saved !== "object") throw new ValueError(`${n}.loadStateDict: parameter group ${g} is not an object (${String(saved)})`);
      if (!Array.isArray(saved.params) || saved.params.length !== own.length) {
        throw new ValueError(`${n}.loadStateDict: parameter group ${g} has ${Array.isArray(saved.params) ? saved.params.length : "no"} parameters in the loaded state dict, ${own.length} in the optimizer`);
      }
      saved.params.forEach((id, i) => idToParam.set(id, own[i]));
    });
    const newState = new Map<Tensor, S>();
    for (const [key, value] of Object.entries(stateDict.state)) {
      const p = idToParam.get(Number(key));
      if (p === undefined) throw new ValueError(`${n}.loadStateDict: state for parameter ${key}, which no parameter group lists`);
      if (value === null || typeof value !== "object") throw new ValueError(`${n}.loadStateDict: the state of parameter ${key} is not an object (${String(value)})`);
      const restored: ParamState = {};
      for (const [field, v] of Object.entries(value)) {
        if (v instanceof Tensor) {
          if (v.shape.length !== p.shape.length || v.shape.some((s, d) => s !== p.shape[d])) {
            throw new ValueError(`${n}.loadStateDict: state ${field} of parameter ${key} has shape [${v.shape.join(",")}], the parameter has [${p.shape.join(",")}]`);
          }
          // Like PyTorch, floating point state takes the parameter's dtype.
          restored[field] = noGrad(() => (v.isFloatingPoint() ? v.to(p.dtype) : v).detach().clone());
        } else if (typeof v === "number") restored[field] = v;
        else throw new ValueError(`${n}.loadStateDict: state ${field} of parameter ${key} is neither a tensor nor a number`);
      }
      newState.set(p, restored as S);
    }
    const newOptions = groups.map((saved, g) => {
      const { params: _ids, ...options } = saved;
      checkOptions(`${n}.loadStateDict`, options, this.#groupSpec(), `parameter group ${g} option`);
      const merged = { ...this.defaults, ...copyOptions(options) } as unknown as O;
      this.validate(merged);
      return copyOptions(options);
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, keepState(s));
    this.paramGroups.forEach((group, g) => Object.assign(group, newOptions[g]));
  }
}

function copyOptions(options: Record<string, unknown>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? [...(v as number[])] : (v as OptionValue);
  }
  return out;
}

function copyState(state: ParamState): ParamState {
  const out: ParamState = {};
  for (const [k, v] of Object.entries(state)) out[k] = v instanceof Tensor ? noGrad(() => v.detach().clone()) : v;
  return out;
}

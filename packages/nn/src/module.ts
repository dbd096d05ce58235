/**
 * `Module`, the base class of every layer and model (PyTorch's nn.Module).
 *
 * Parameters, buffers and sub-modules are discovered by reflection: a module's own enumerable
 * properties are scanned in insertion order, and every `Parameter` or `Module` value found is
 * registered under its property name (a plain array of modules is NOT registered: use
 * ModuleList). Buffers are tensors named through `registerBuffer`. Names nest with dots as in
 * PyTorch (`encoder.layers.1.bias`), so state dicts move to and from PyTorch unchanged.
 */

import { DTYPES, DTypeError, Tensor, ValueError, isFloating, keep, noGrad, type DType, type HostArray } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "./options.js";
import { Parameter } from "./parameter.js";

/** A module of any call signature (for containers, traversal and `apply`). */
// NOTE: `never[]` accepts every forward signature: a parameter of type T is compared with never.
export type AnyModule = Module<never[], unknown>;

/** A state dict: parameter and persistent buffer tensors by dotted name, in registration order. */
export type StateDict = Record<string, Tensor>;

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match the module's exactly (default true); shapes must match either way. */
  readonly strict?: boolean;
}

/** What LoadStateDictOptions may hold. */
const LOAD_STATE_DICT_SPEC = { strict: "boolean" } as const satisfies SpecFor<LoadStateDictOptions>;

/** What `loadStateDict` reports when it succeeds (non-strict loads may skip keys). */
export interface IncompatibleKeys {
  readonly missingKeys: readonly string[];
  readonly unexpectedKeys: readonly string[];
}

/** A key whose tensor has a different shape in the checkpoint than in the module. */
export interface MismatchedKey {
  readonly key: string;
  readonly checkpointShape: readonly number[];
  readonly modelShape: readonly number[];
}

/** `loadStateDict` found problems; it lists all of them, and the module was left unchanged. */
export class StateDictError extends ValueError {
  constructor(
    message: string,
    readonly missingKeys: readonly string[],
    readonly unexpectedKeys: readonly string[],
    readonly mismatchedKeys: readonly MismatchedKey[],
  ) {
    super(message);
  }
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Set `.grad` to null (default) instead of filling it with zeros. */
  readonly setToNone?: boolean;
}

/** @internal What ZeroGradOptions may hold (Module's and the optimizers' zeroGrad). */
export const ZERO_GRAD_SPEC = { setToNone: "boolean" } as const satisfies SpecFor<ZeroGradOptions>;

/** Options of `registerBuffer`. */
export interface BufferOptions {
  /** Whether the buffer is part of the state dict (default true). */
  readonly persistent?: boolean;
  /**
   * The buffer's name in namedBuffers and the state dict, when it differs from the property
   * name: BatchNorm's `runningMean` property is the PyTorch key `running_mean`.
   */
  readonly key?: string;
}

/** What BufferOptions may hold. */
const BUFFER_SPEC = { persistent: "boolean", key: "string" } as const satisfies SpecFor<BufferOptions>;

/** Options of namedParameters and namedBuffers. */
export interface NamedMembersOptions {
  /** Put before every name, joined with a dot (default none). */
  readonly prefix?: string;
  /** Include the members of sub-modules (default true). */
  readonly recurse?: boolean;
}

/** What NamedMembersOptions may hold. */
const NAMED_MEMBERS_SPEC = { prefix: "string", recurse: "boolean" } as const satisfies SpecFor<NamedMembersOptions>;

/** Options of parameters and buffers. */
export type MembersOptions = Pick<NamedMembersOptions, "recurse">;

/** What MembersOptions may hold. */
const MEMBERS_SPEC = { recurse: "boolean" } as const satisfies SpecFor<MembersOptions>;

/** Options of numParameters. */
export interface NumParametersOptions {
  /** Count only the parameters that require grad (default false). */
  readonly trainableOnly?: boolean;
}

/** What NumParametersOptions may hold. */
const NUM_PARAMETERS_SPEC = { trainableOnly: "boolean" } as const satisfies SpecFor<NumParametersOptions>;

interface BufferEntry {
  readonly persistent: boolean;
  readonly key: string;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(",")}]`;
const join = (prefix: string, name: string): string => (prefix === "" ? name : `${prefix}.${name}`);

/** @internal PyTorch's _addindent: indents every line but the first by `spaces` (for reprs). */
export function addIndent(text: string, spaces: number): string {
  const lines = text.split("\n");
  if (lines.length === 1) return text;
  const pad = " ".repeat(spaces);
  return [lines[0], ...lines.slice(1).map((l) => pad + l)].join("\n");
}

function checkName(op: string, name: string): void {
  if (typeof name !== "string" || name === "") throw new ValueError(`${op}: name must be a non-empty string, got "${String(name)}"`);
  if (name.includes(".")) throw new ValueError(`${op}: name can't contain ".", got "${name}"`);
}

/**
 * Base class of layers and models. Subclasses assign parameters and sub-modules to properties in
 * the constructor and implement `forward`; call a module with `module.call(...)` (or `forward`).
 * `In` is the tuple of forward arguments and `Out` its result.
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (the default), false after `eval()`; Dropout and BatchNorm read it. */
  training = true;
  /** Buffers registered on this module, by property name. */
  readonly #buffers = new Map<string, BufferEntry>();

  /** The computation; subclasses implement it. */
  abstract forward(...args: In): Out;

  /** Runs `forward` (the PyTorch `module(x)` call). */
  call(...args: In): Out {
    return this.forward(...args);
  }

  // ---------------------------------------------------------------- registration

  /**
   * The (name, value) pairs this module owns, in order: by default its own enumerable properties.
   * Containers (Sequential, ModuleList, ModuleDict) override it to list their entries first.
   */
  protected ownMembers(): Iterable<[string, unknown]> {
    return Object.entries(this);
  }

  /** Replaces the member `name` (used by `to(dtype)`); the default writes the property. */
  protected setMember(name: string, value: unknown): void {
    Reflect.set(this, name, value);
  }

  /**
   * Registers `tensor` as a buffer: state that is not learned (e.g. running means), kept in the
   * property `name` (reassigning the property replaces the buffer) and, if persistent, saved in
   * the state dict under `options.key ?? name`.
   */
  registerBuffer(name: string, tensor: Tensor | null, options: BufferOptions = {}): void {
    checkName("registerBuffer", name);
    checkOptions("registerBuffer", options, BUFFER_SPEC);
    const key = options.key ?? name;
    checkName("registerBuffer", key);
    if (tensor !== null && !(tensor instanceof Tensor)) throw new ValueError(`registerBuffer: "${name}" must be a Tensor or null`);
    if (tensor instanceof Parameter) throw new ValueError(`registerBuffer: "${name}" is a Parameter; assign it as a property instead`);
    for (const [other, entry] of this.#buffers) {
      if (other !== name && entry.key === key) throw new ValueError(`registerBuffer: key "${key}" is already used by buffer "${other}"`);
    }
    this.#buffers.set(name, { persistent: options.persistent ?? true, key });
    if (tensor !== null) keep(tensor); // registered inside a memory scope, it outlives the scope
    Reflect.set(this, name, tensor);
  }

  /** Registers `param` under `name` (same as assigning it to a property; for computed names). */
  registerParameter(name: string, param: Parameter | null): void {
    checkName("registerParameter", name);
    if (param !== null && !(param instanceof Parameter)) throw new ValueError(`registerParameter: "${name}" must be a Parameter or null`);
    Reflect.set(this, name, param);
  }

  /** Registers `module` under `name` (same as assigning it to a property; for computed names). */
  addModule(name: string, module: AnyModule | null): void {
    checkName("addModule", name);
    if (module !== null && !(module instanceof Module)) throw new ValueError(`addModule: "${name}" must be a Module or null`);
    Reflect.set(this, name, module);
  }

  /** This module's own parameters (not its children's), by property name. */
  private ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, value] of this.ownMembers()) if (value instanceof Parameter) out.push([name, value]);
    return out;
  }

  /** This module's own (non-null) buffers: state-dict key, tensor, persistence, property name. */
  private ownBuffers(): [string, Tensor, boolean, string][] {
    const out: [string, Tensor, boolean, string][] = [];
    for (const [name, { persistent, key }] of this.#buffers) {
      const value: unknown = Reflect.get(this, name);
      if (value instanceof Tensor && !(value instanceof Parameter)) out.push([key, value, persistent, name]);
    }
    return out;
  }

  /** Direct sub-modules with their names, including repeats (as PyTorch's `_modules`). */
  private ownModules(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    for (const [name, value] of this.ownMembers()) if (value instanceof Module) out.push([name, value as AnyModule]);
    return out;
  }

  // ---------------------------------------------------------------- traversal

  /** Direct sub-modules with their names, each module once. */
  namedChildren(): [string, AnyModule][] {
    const seen = new Set<AnyModule>();
    const out: [string, AnyModule][] = [];
    for (const [name, m] of this.ownModules()) {
      if (seen.has(m)) continue;
      seen.add(m);
      out.push([name, m]);
    }
    return out;
  }

  /** Direct sub-modules, each once. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module (named `prefix`, "" by default) and all modules below it, depth first, each once. */
  namedModules(prefix = ""): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const visit = (module: AnyModule, name: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([name, module]);
      for (const [childName, child] of module.ownModules()) visit(child, join(name, childName));
    };
    visit(this as unknown as AnyModule, prefix);
    return out;
  }

  /** This module and all modules below it, each once. */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name (`0.weight`), each parameter once even when shared. */
  namedParameters(options: NamedMembersOptions = {}): [string, Parameter][] {
    checkOptions("namedParameters", options, NAMED_MEMBERS_SPEC);
    const { prefix = "", recurse = true } = options;
    const modules: [string, AnyModule][] = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as AnyModule]];
    const seen = new Set<Parameter>();
    const out: [string, Parameter][] = [];
    for (const [modName, module] of modules) {
      for (const [name, p] of module.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(modName, name), p]);
      }
    }
    return out;
  }

  /** Every parameter, each once (what an optimizer takes). */
  parameters(options: MembersOptions = {}): Parameter[] {
    checkOptions("parameters", options, MEMBERS_SPEC);
    return this.namedParameters(options).map(([, p]) => p);
  }

  /** Every buffer (persistent or not) with its dotted name, each once. */
  namedBuffers(options: NamedMembersOptions = {}): [string, Tensor][] {
    checkOptions("namedBuffers", options, NAMED_MEMBERS_SPEC);
    const { prefix = "", recurse = true } = options;
    const modules: [string, AnyModule][] = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as AnyModule]];
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [modName, module] of modules) {
      for (const [name, b] of module.ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([join(modName, name), b]);
      }
    }
    return out;
  }

  /** Every buffer, each once. */
  buffers(options: MembersOptions = {}): Tensor[] {
    checkOptions("buffers", options, MEMBERS_SPEC);
    return this.namedBuffers(options).map(([, b]) => b);
  }

  /** The number of parameter elements, Σ numel (only those requiring grad with `trainableOnly`). */
  numParameters(options: NumParametersOptions = {}): number {
    checkOptions("numParameters", options, NUM_PARAMETERS_SPEC);
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.numel(), 0);
  }

  /** The sub-module at a dotted path (`"encoder.layers.1"`); "" is this module. */
  getSubmodule(target: string): AnyModule {
    let module = this as unknown as AnyModule;
    if (target === "") return module;
    let path = "";
    for (const part of target.split(".")) {
      const child = module.ownModules().find(([name]) => name === part);
      if (!child) throw new ValueError(`getSubmodule: ${module.constructor.name}${path ? ` at "${path}"` : ""} has no sub-module "${part}"`);
      module = child[1];
      path = join(path, part);
    }
    return module;
  }

  // ---------------------------------------------------------------- modes and bulk updates

  /** Sets training mode on this module and every sub-module; returns this. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode (`train(false)`): Dropout passes through, BatchNorm uses running stats. */
  eval(): this {
    return this.train(false);
  }

  /** Resets the gradients of every parameter: to null (default), or to zeros with `setToNone: false`. */
  zeroGrad(options: ZeroGradOptions = {}): void {
    checkOptions("zeroGrad", options, ZERO_GRAD_SPEC);
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      if (setToNone) p.grad = null;
      else if (p.grad !== null) {
        const grad = p.grad.isLeaf ? p.grad : p.grad.detach();
        p.grad = grad;
        noGrad(() => grad.zero_());
      }
    }
  }

  /** Sets requiresGrad on every parameter (freezing with `false`); returns this. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Calls `fn` on every sub-module (children first, recursively) and then on this one; returns this. */
  apply(fn: (module: AnyModule) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  /**
   * `to(device)` ("webgpu", "cpu", …) moves every parameter and buffer to the device IN PLACE: the
   * same Parameter objects (so an optimizer created before keeps working), grads moved too.
   * `to(dtype)` converts every floating point parameter and buffer to `dtype` (integer buffers are
   * kept, as in PyTorch); parameters are replaced by new Parameter objects (shared ones stay
   * shared), so create optimizers after calling it. Returns this.
   */
  to(dtypeOrDevice: DType | string): this {
    if (!(DTYPES as readonly string[]).includes(dtypeOrDevice)) {
      for (const t of this.movables()) t.moveTo_(dtypeOrDevice);
      return this;
    }
    const dtype = dtypeOrDevice as DType;
    if (!isFloating(dtype)) throw new DTypeError(`Module.to: dtype must be float32 or float64, got ${dtype}`);
    const converted = new Map<Tensor, Tensor>();
    const convert = <T extends Tensor>(t: T, make: (c: Tensor) => T): T => {
      let out = converted.get(t) as T | undefined;
      if (out === undefined) {
        out = t.dtype === dtype || !t.isFloatingPoint() ? t : make(noGrad(() => t.to(dtype)));
        converted.set(t, out);
      }
      return out;
    };
    for (const module of this.modules()) {
      for (const [name, p] of module.ownParameters()) {
        const next = convert(p, (c) => {
          const q = new Parameter(c, p.requiresGrad);
          q.grad = p.grad === null ? null : noGrad(() => p.grad!.to(dtype));
          return q;
        });
        if (next !== p) module.setMember(name, next);
      }
      for (const [, b, , name] of module.ownBuffers()) {
        const next = convert(b, (c) => c);
        if (next !== b) module.setMember(name, next);
      }
    }
    return this;
  }

  /**
   * `to(device)` for modules on a GPU, whose memory is read asynchronously: every parameter, grad
   * and buffer is read first, then all move at once (`await model.toAsync("cpu")`).
   */
  async toAsync(device: string): Promise<this> {
    const moves: [Tensor, HostArray, HostArray | null][] = [];
    for (const t of this.movables()) {
      if (t.device === device) continue;
      const grad = t.grad;
      moves.push([t, await t.toTypedArrayAsync(), grad === null || grad.device === device ? null : await grad.toTypedArrayAsync()]);
    }
    for (const [t, host, gradHost] of moves) t.moveTo_(device, host, gradHost);
    return this;
  }

  /** Every parameter and buffer once (shared ones once), for to(device). */
  private movables(): Tensor[] {
    const seen = new Set<Tensor>();
    for (const module of this.modules()) {
      for (const [, p] of module.ownParameters()) seen.add(p);
      for (const [, b] of module.ownBuffers()) seen.add(b);
    }
    return [...seen];
  }

  /** Converts to float64 (`to("float64")`). */
  double(): this {
    return this.to("float64");
  }

  /** Converts to float32 (`to("float32")`). */
  float(): this {
    return this.to("float32");
  }

  // ---------------------------------------------------------------- state dicts

  /** Parameters and persistent buffers under their dotted names, including repeats (as PyTorch). */
  private stateEntries(prefix: string, out: [string, Tensor][]): [string, Tensor][] {
    for (const [name, p] of this.ownParameters()) out.push([join(prefix, name), p]);
    for (const [name, b, persistent] of this.ownBuffers()) if (persistent) out.push([join(prefix, name), b]);
    for (const [name, child] of this.ownModules()) child.stateEntries(join(prefix, name), out);
    return out;
  }

  /** Parameters and persistent buffers by PyTorch key (`0.weight`), detached (sharing memory). */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [key, t] of this.stateEntries("", [])) sd[key] = t.detach();
    return sd;
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers (cast to their
   * dtypes). Checks everything first, and throws ONE StateDictError listing every missing,
   * unexpected (with strict, the default), mis-shaped and non-tensor entry, leaving the module
   * unchanged; a state dict that is not an object or Map at all is a ValueError.
   */
  loadStateDict(stateDict: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): IncompatibleKeys {
    const op = "loadStateDict";
    const sd: unknown = stateDict;
    if (sd === null || typeof sd !== "object" || Array.isArray(sd) || sd instanceof Tensor) {
      const got = sd === null ? "null" : Array.isArray(sd) ? "an array" : sd instanceof Tensor ? "a Tensor" : `${typeof sd} ${String(sd)}`;
      throw new ValueError(`${op}: expected a state dict (an object or Map of tensors by name), got ${got}`);
    }
    checkOptions(op, options, LOAD_STATE_DICT_SPEC);
    const strict = options.strict ?? true;
    const given = new Map<unknown, unknown>(sd instanceof Map ? sd : Object.entries(sd));
    const expected = this.stateEntries("", []);
    const expectedKeys = new Set(expected.map(([k]) => k));
    const missingKeys = expected.map(([k]) => k).filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !expectedKeys.has(k as string)).map(String);
    const mismatchedKeys: MismatchedKey[] = [];
    const notTensors: string[] = [];
    for (const [key, target] of expected) {
      const value: unknown = given.get(key);
      if (!given.has(key)) continue;
      if (!(value instanceof Tensor)) notTensors.push(`"${key}" (${value === null ? "null" : typeof value})`);
      else if (value.shape.length !== target.shape.length || value.shape.some((s, i) => s !== target.shape[i])) {
        mismatchedKeys.push({ key, checkpointShape: value.shape, modelShape: target.shape });
      }
    }
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
    for (const m of mismatchedKeys) {
      problems.push(`size mismatch for "${m.key}": checkpoint has ${fmt(m.checkpointShape)}, model has ${fmt(m.modelShape)}`);
    }
    if (notTensors.length > 0) problems.push(`not tensors: ${notTensors.join(", ")}`);
    if (problems.length > 0) {
      const message = `loadStateDict: error(s) in loading state dict for ${this.constructor.name}:\n  ${problems.join("\n  ")}`;
      throw new StateDictError(message, missingKeys, unexpectedKeys, mismatchedKeys);
    }
    // A GPU tensor cannot be read synchronously: refuse before copying anything.
    for (const [key, target] of expected) {
      const value = given.get(key);
      if (value instanceof Tensor && value.device !== target.device && value.backend.asyncReads) {
        throw new ValueError(
          `loadStateDict: "${key}" is on ${value.device}, which is read asynchronously, and this module's tensor is on ${target.device}; use await model.loadStateDictAsync(stateDict) (nothing was loaded)`,
        );
      }
    }
    noGrad(() => {
      // Copy through snapshots so a checkpoint tensor sharing memory with another target is safe.
      const sources = expected.map(([key, target]) => [target, (given.get(key) as Tensor | undefined)?.to(target.dtype).clone()] as const);
      for (const [target, source] of sources) if (source !== undefined) target.copy_(source);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * loadStateDict for a state dict on any device: entries on a device read asynchronously (a GPU)
   * that this module's tensors are not on are read first (`toAsync`), then loaded as loadStateDict
   * does, with the same checks; a failed load leaves the module unchanged.
   */
  async loadStateDictAsync(stateDict: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): Promise<IncompatibleKeys> {
    const sd: unknown = stateDict;
    if (sd === null || typeof sd !== "object" || Array.isArray(sd) || sd instanceof Tensor) return this.loadStateDict(stateDict, options); // its error
    const targets = new Map(this.stateEntries("", []));
    const entries = sd instanceof Map ? [...(sd as ReadonlyMap<string, unknown>)] : Object.entries(sd);
    const read = await Promise.all(
      entries.map(async ([key, value]): Promise<[string, unknown]> => {
        const target = targets.get(key);
        const move = value instanceof Tensor && target !== undefined && value.device !== target.device && value.backend.asyncReads;
        return [key, move ? await (value as Tensor).toAsync(target.device) : value];
      }),
    );
    return this.loadStateDict(new Map(read) as ReadonlyMap<string, Tensor>, options);
  }

  // ---------------------------------------------------------------- printing

  /** The one-line settings shown inside the repr (PyTorch's extra_repr), e.g. `in_features=2, ...`. */
  extraRepr(): string {
    return "";
  }

  /** PyTorch-style repr: `Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)`. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === "" ? [] : extra.split("\n");
    const childLines = this.ownModules().map(([name, m]) => `(${name}): ${addIndent(m.toString(), 2)}`);
    const lines = [...extraLines, ...childLines];
    let main = `${this.constructor.name}(`;
    if (lines.length > 0) {
      main += extraLines.length === 1 && childLines.length === 0 ? extraLines[0] : `\n  ${lines.join("\n  ")}\n`;
    }
    return `${main})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

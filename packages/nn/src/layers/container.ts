/** Containers: Sequential, ModuleList and ModuleDict (named 0, 1, … or by key, as in PyTorch). */

import { IndexError, ValueError, type Tensor } from "@tensorgrad/autograd";
import { Module, addIndent, type AnyModule } from "../module.js";

/** A module mapping one tensor to one tensor: what Sequential chains. */
export type TensorModule = Module<[Tensor], Tensor>;

function checkModule(op: string, m: unknown, where: string | number): void {
  if (!(m instanceof Module)) throw new ValueError(`${op}: entry ${where} is not a Module`);
}

function resolveIndex(op: string, index: number, length: number): number {
  if (!Number.isInteger(index)) throw new IndexError(`${op}: index must be an integer, got ${index}`);
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) throw new IndexError(`${op}: index ${index} is out of range for ${length} modules`);
  return i;
}

/** Modules applied one after another: forward(x) = mₙ(…m₁(m₀(x))). Children are named 0, 1, …. */
export class Sequential extends Module<[Tensor], Tensor> {
  readonly #items: TensorModule[] = [];

  /** Chains `modules` in order. */
  constructor(...modules: TensorModule[]) {
    super();
    this.extend(modules);
  }

  protected override ownMembers(): Iterable<[string, unknown]> {
    return [...this.#items.map((m, i): [string, unknown] => [String(i), m]), ...Object.entries(this)];
  }

  /** Applies each module in turn. */
  forward(x: Tensor): Tensor {
    let out = x;
    for (const m of this.#items) out = m.call(out);
    return out;
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The module at `index` (negative counts from the end). */
  get(index: number): TensorModule {
    return this.#items[resolveIndex("Sequential.get", index, this.#items.length)];
  }

  /** The module at `index` (negative counts from the end); same as `get`. */
  at(index: number): TensorModule {
    return this.get(index);
  }

  /** Replaces the module at `index`. */
  set(index: number, module: TensorModule): void {
    checkModule("Sequential.set", module, index);
    this.#items[resolveIndex("Sequential.set", index, this.#items.length)] = module;
  }

  /** Adds a module at the end; returns this. */
  append(module: TensorModule): this {
    checkModule("Sequential.append", module, this.#items.length);
    this.#items.push(module);
    return this;
  }

  /** Adds modules at the end; returns this. */
  extend(modules: Iterable<TensorModule>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts a module before `index`. */
  insert(index: number, module: TensorModule): this {
    checkModule("Sequential.insert", module, index);
    const i = index < 0 ? Math.max(0, index + this.#items.length) : Math.min(index, this.#items.length);
    this.#items.splice(i, 0, module);
    return this;
  }

  /** A new Sequential of the modules start..end (like `seq[start:end]`; the modules are shared). */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(...this.#items.slice(start, end));
  }

  [Symbol.iterator](): Iterator<TensorModule> {
    return this.#items[Symbol.iterator]();
  }
}

/** A list of modules, registered as children 0, 1, … (a plain array is not registered). Not callable. */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<[], never> {
  readonly #items: M[] = [];

  /** Holds `modules` in order. */
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  protected override ownMembers(): Iterable<[string, unknown]> {
    return [...this.#items.map((m, i): [string, unknown] => [String(i), m]), ...Object.entries(this)];
  }

  /** Always throws: a ModuleList has no forward; iterate over it in your own module's forward. */
  forward(): never {
    throw new ValueError("ModuleList: has no forward; iterate over its modules instead");
  }

  /** Number of modules. */
  get length(): number {
    return this.#items.length;
  }

  /** The module at `index` (negative counts from the end). */
  get(index: number): M {
    return this.#items[resolveIndex("ModuleList.get", index, this.#items.length)];
  }

  /** The module at `index`; same as `get`. */
  at(index: number): M {
    return this.get(index);
  }

  /** Replaces the module at `index`. */
  set(index: number, module: M): void {
    checkModule("ModuleList.set", module, index);
    this.#items[resolveIndex("ModuleList.set", index, this.#items.length)] = module;
  }

  /** Adds a module at the end; returns this. */
  append(module: M): this {
    checkModule("ModuleList.append", module, this.#items.length);
    this.#items.push(module);
    return this;
  }

  /** Adds modules at the end; returns this. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts a module before `index`. */
  insert(index: number, module: M): this {
    checkModule("ModuleList.insert", module, index);
    const i = index < 0 ? Math.max(0, index + this.#items.length) : Math.min(index, this.#items.length);
    this.#items.splice(i, 0, module);
    return this;
  }

  /** The modules as a plain array. */
  toArray(): M[] {
    return this.#items.slice();
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  /** PyTorch's ModuleList repr: runs of identical modules print once, as `(0-2): 3 x Linear(...)`. */
  override toString(): string {
    const reprs = this.#items.map((m) => m.toString());
    if (reprs.length === 0) return `${this.constructor.name}()`;
    const blocks: { start: number; end: number; repr: string }[] = [];
    reprs.forEach((r, i) => {
      const last = blocks[blocks.length - 1];
      if (last && last.repr === r) last.end = i;
      else blocks.push({ start: i, end: i, repr: r });
    });
    const lines = blocks.map(({ start, end, repr }) =>
      addIndent(start === end ? `(${start}): ${repr}` : `(${start}-${end}): ${end - start + 1} x ${repr}`, 2),
    );
    return `${this.constructor.name}(\n  ${lines.join("\n  ")}\n)`;
  }
}

/** Modules by name, in insertion order (names can't contain "."). Not callable. */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<[], never> {
  readonly #items = new Map<string, M>();

  /** Holds the given modules, in order. */
  constructor(modules: Iterable<readonly [string, M]> | Readonly<Record<string, M>> = {}) {
    super();
    const entries = Symbol.iterator in modules ? (modules as Iterable<readonly [string, M]>) : Object.entries(modules as Record<string, M>);
    for (const [k, m] of entries) this.set(k, m);
  }

  protected override ownMembers(): Iterable<[string, unknown]> {
    return [...this.#items.entries(), ...Object.entries(this)];
  }

  /** Always throws: a ModuleDict has no forward. */
  forward(): never {
    throw new ValueError("ModuleDict: has no forward; look up its modules instead");
  }

  /** Number of modules. */
  get size(): number {
    return this.#items.size;
  }

  /** The module named `key` (throws if absent). */
  get(key: string): M {
    const m = this.#items.get(key);
    if (m === undefined) throw new IndexError(`ModuleDict.get: no module named "${key}" (have ${[...this.#items.keys()].map((k) => `"${k}"`).join(", ")})`);
    return m;
  }

  /** Adds or replaces the module named `key`. */
  set(key: string, module: M): this {
    if (typeof key !== "string" || key === "" || key.includes(".")) throw new ValueError(`ModuleDict.set: key must be a non-empty string without ".", got "${String(key)}"`);
    checkModule("ModuleDict.set", module, `"${key}"`);
    this.#items.set(key, module);
    return this;
  }

  /** Whether a module named `key` exists. */
  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** Removes and returns the module named `key`. */
  pop(key: string): M {
    const m = this.get(key);
    this.#items.delete(key);
    return m;
  }

  /** The names, in order. */
  keys(): string[] {
    return [...this.#items.keys()];
  }

  /** The modules, in order. */
  values(): M[] {
    return [...this.#items.values()];
  }

  /** The (name, module) pairs, in order. */
  entries(): [string, M][] {
    return [...this.#items.entries()];
  }

  [Symbol.iterator](): Iterator<[string, M]> {
    return this.#items.entries();
  }
}

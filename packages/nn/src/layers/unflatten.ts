/** Unflatten, Flatten's inverse (Flatten is in linear.ts). */

import { ShapeError, ValueError, type Tensor } from "@tensorgrad/autograd";
import { Module } from "../module.js";
import { pyTuple } from "./repr.js";

/** Splits dim `dim` of the input into `unflattenedSize` (one entry may be −1: inferred). */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.length === 0 || unflattenedSize.some((s) => !Number.isInteger(s) || s < -1)) {
      throw new ValueError(`Unflatten: unflattenedSize must be a non-empty list of sizes (−1 once at most), got ${String(unflattenedSize)}`);
    }
    if (unflattenedSize.filter((s) => s === -1).length > 1) throw new ValueError(`Unflatten: only one size can be -1, got (${unflattenedSize.join(", ")})`);
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  /** x [..., S, ...] → [..., ...unflattenedSize, ...] with Π unflattenedSize = S. */
  forward(x: Tensor): Tensor {
    if (this.dim < -x.ndim || this.dim >= x.ndim) {
      throw new ShapeError(`Unflatten: dim ${this.dim} is out of range for input [${x.shape.join(",")}]`);
    }
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    const size = x.shape[d];
    const known = this.unflattenedSize.reduce((p, s) => (s === -1 ? p : p * s), 1);
    const inferred = this.unflattenedSize.includes(-1) ? (known === 0 ? -1 : size / known) : null;
    if (inferred === null ? known !== size : !Number.isInteger(inferred) || inferred < 0) {
      throw new ShapeError(`Unflatten: sizes (${this.unflattenedSize.join(", ")}) don't multiply up to the size of dim ${d} (${size}) of input [${x.shape.join(",")}]`);
    }
    const sizes = this.unflattenedSize.map((s) => (s === -1 ? (inferred as number) : s));
    return x.reshape([...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}

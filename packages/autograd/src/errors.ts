/**
 * Typed errors. Every message reads `op: problem (values)`, e.g.
 * `matmul: inner dimensions differ, [2,3] @ [4,5] (3 != 4)`.
 */

/** Base class of every error tensorgrad throws on purpose. */
export class TensorgradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together: broadcasting, matmul, reshape, cat, ... */
export class ShapeError extends TensorgradError {}

/** A dtype an op cannot work with (log of bool, grad of int32, ...). */
export class DTypeError extends TensorgradError {}

/** A dim or index out of range. */
export class IndexError extends TensorgradError {}

/** Misuse of autograd: backward on a constant, a freed graph, a missing seed, ... */
export class GradError extends TensorgradError {}

/** A bad argument value: a negative size, a non-finite seed, an invalid option. */
export class ValueError extends TensorgradError {}

/** Formats a shape the way messages show it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Every kind of bad input gets a typed error whose message reads `op: problem (values)`: each
 * case checks both the class and the message, including the values it must name.
 */

import { describe, expect, it } from "vitest";
import {
  DTypeError, GradError, IndexError, ShapeError, TensorgradError, ValueError,
  cat, noGrad, ones, rand, stack, tensor, where, zeros, type NestedArray,
} from "@tensorgrad/autograd";

type ErrorClass = new (message: string) => Error;

/** Runs `fn` once and checks that it throws an instance of `cls` whose message matches `message`. */
function expectError(fn: () => unknown, cls: ErrorClass, message: RegExp | string): void {
  let caught: unknown = undefined;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected a throw").toBeInstanceOf(cls);
  expect(caught).toBeInstanceOf(TensorgradError);
  const text = (caught as Error).message;
  if (typeof message === "string") expect(text).toBe(message);
  else expect(text).toMatch(message);
}

const t = (data: NestedArray, requiresGrad = false) => tensor(data, { dtype: "float64", requiresGrad });

describe("broadcasting mismatch: ShapeError naming both shapes", () => {
  it("add [3] + [2]", () => {
    expect(() => t([1, 2, 3]).add(t([1, 2]))).toThrow(ShapeError);
    expect(() => t([1, 2, 3]).add(t([1, 2]))).toThrow(/add: shapes \[3\] and \[2\] cannot be broadcast/);
  });

  it("mul [2,3] * [3,2] names the op, both shapes and the dim", () => {
    expectError(() => zeros([2, 3]).mul(zeros([3, 2])), ShapeError, "mul: shapes [2,3] and [3,2] cannot be broadcast (dim -2: 2 vs 3)");
  });

  it("sub, div, pow, maximum, minimum each name themselves", () => {
    const a = zeros([4]);
    const b = zeros([5]);
    expectError(() => a.sub(b), ShapeError, /^sub: shapes \[4\] and \[5\]/);
    expectError(() => a.div(b), ShapeError, /^div: shapes \[4\] and \[5\]/);
    expectError(() => a.pow(b), ShapeError, /^pow: shapes \[4\] and \[5\]/);
    expectError(() => a.maximum(b), ShapeError, /^maximum: shapes \[4\] and \[5\]/);
    expectError(() => a.minimum(b), ShapeError, /^minimum: shapes \[4\] and \[5\]/);
  });

  it("comparisons and where", () => {
    expectError(() => zeros([2, 3]).lt(zeros([2])), ShapeError, /^lt: shapes \[2,3\] and \[2\] cannot be broadcast/);
    expectError(() => zeros([2]).logicalAnd(zeros([3])), ShapeError, /^logicalAnd: shapes \[2\] and \[3\]/);
    expectError(() => where(tensor([true, false]), zeros([3]), 0), ShapeError, /^where: shapes \[2\] and \[3\] cannot be broadcast/);
  });

  it("expand to an incompatible size", () => {
    expectError(() => zeros([3, 2]).expand(3, 4), ShapeError, /^expand: the expanded size 4 must match the existing size 2 .*\[3,4\].*\[3,2\]/);
  });

  it("cat and stack with mismatched shapes", () => {
    expectError(() => cat([zeros([2, 3]), zeros([2, 4])], 0), ShapeError, /^cat: sizes must match except in dim 0, but tensor 1 has shape \[2,4\] and tensor 0 has \[2,3\]/);
    expectError(() => stack([zeros([2]), zeros([3])]), ShapeError, /^stack: .*tensor 1 has \[3\] and tensor 0 has \[2\]/);
  });
});

describe("matmul shapes", () => {
  it("inner dimensions differ, with the full message", () => {
    expect(() => zeros([2, 3]).matmul(zeros([4, 5]))).toThrow(ShapeError);
    expect(() => zeros([2, 3]).matmul(zeros([4, 5]))).toThrow(/matmul: inner dimensions differ/);
    expectError(() => zeros([2, 3]).matmul(zeros([4, 5])), ShapeError, "matmul: inner dimensions differ, [2,3] @ [4,5] (3 != 4)");
  });

  it("1-d operands: dot and matrix-vector", () => {
    expectError(() => zeros([3]).matmul(zeros([4])), ShapeError, "matmul: inner dimensions differ, [3] @ [4] (3 != 4)");
    expectError(() => zeros([2, 3]).matmul(zeros([2])), ShapeError, "matmul: inner dimensions differ, [2,3] @ [2] (3 != 2)");
    expectError(() => zeros([2]).matmul(zeros([3, 2])), ShapeError, "matmul: inner dimensions differ, [2] @ [3,2] (2 != 3)");
  });

  it("batch dims that do not broadcast", () => {
    expectError(() => zeros([2, 3, 4]).matmul(zeros([3, 4, 5])), ShapeError, /^matmul: shapes \[2\] and \[3\] cannot be broadcast/);
  });

  it("0-d operands", () => {
    expectError(() => zeros([]).matmul(zeros([3])), ShapeError, "matmul: both arguments must be at least 1-d, got [] @ [3]");
  });
});

describe("bad dims and indices: IndexError", () => {
  const x = zeros([2, 3]);

  it("reductions with a dim out of range name the dim and the valid range", () => {
    expectError(() => x.sum(2), IndexError, "sum: dim 2 out of range for a 2-d tensor (expected -2..1)");
    expectError(() => x.mean(-3), IndexError, "mean: dim -3 out of range for a 2-d tensor (expected -2..1)");
    expectError(() => x.amax([0, 5]), IndexError, /^amax: dim 5 out of range/);
    expectError(() => x.argmax(2), IndexError, /^argmax: dim 2 out of range/);
    expectError(() => x.max(7), IndexError, /^max: dim 7 out of range/);
    expectError(() => x.logsumexp(4), IndexError, /^logsumexp: dim 4 out of range/);
  });

  it("a repeated dim", () => {
    expectError(() => x.sum([1, -1]), IndexError, /^sum: dim 1 appears more than once in \[1,-1\]/);
  });

  it("movement ops with a dim out of range", () => {
    expectError(() => x.softmax(-3), IndexError, /^softmax: dim -3 out of range for a 2-d tensor/);
    expectError(() => x.transpose(0, 5), IndexError, /^transpose: dim 5 out of range/);
    expectError(() => x.unsqueeze(4), IndexError, /^unsqueeze: dim 4 out of range for a 3-d tensor \(expected -3..2\)/);
    expectError(() => x.squeeze(2), IndexError, /^squeeze: dim 2 out of range/);
    expectError(() => x.slice(2, 0, 1), IndexError, /^slice: dim 2 out of range/);
    expectError(() => x.size(3), IndexError, /^size: dim 3 out of range/);
    expectError(() => cat([x, x], 2), IndexError, /^cat: dim 2 out of range/);
  });

  it("permute with the wrong number of dims or a repeated dim", () => {
    expectError(() => x.permute(0), IndexError, "permute: expected 2 dims for a 2-d tensor, got [0]");
    expectError(() => x.permute(1, 1), IndexError, "permute: repeated dim in [1,1]");
  });

  it("select with an index out of range", () => {
    expectError(() => x.select(1, 3), IndexError, "select: index 3 is out of range for dim 1 of size 3");
    expectError(() => x.select(0, -3), IndexError, "select: index -3 is out of range for dim 0 of size 2");
  });

  it("gather / scatterAdd / indexSelect with an index out of range", () => {
    const src = t([[1, 2, 3], [4, 5, 6]]);
    const idx = (d: NestedArray) => tensor(d, { dtype: "int32" });
    expectError(() => src.gather(1, idx([[0, 3], [1, 1]])), IndexError, "gather: index 3 is out of bounds for dimension of size 3");
    expectError(() => src.gather(1, idx([[0, -1], [1, 1]])), IndexError, "gather: index -1 is out of bounds for dimension of size 3");
    expectError(() => src.scatterAdd(0, idx([[2, 0, 0]]), t([[1, 1, 1]])), IndexError, "scatterAdd: index 2 is out of bounds for dimension of size 2");
    expectError(() => src.indexSelect(0, idx([0, 2])), IndexError, "indexSelect: index 2 is out of range for dim 0 of size 2");
  });

  it("narrow outside the tensor", () => {
    expectError(() => x.narrow(1, 2, 2), ValueError, "narrow: start 2 and length 2 exceed dim 1 of size 3");
  });
});

describe("wrong dtypes: DTypeError", () => {
  it("log (and other float math) of a bool tensor", () => {
    const b = tensor([true, false]);
    expect(b.dtype).toBe("bool");
    expectError(() => b.log(), DTypeError, /^log: not supported for bool tensors/);
    expectError(() => b.exp(), DTypeError, /^exp: not supported for bool tensors/);
    expectError(() => b.neg(), DTypeError, /^neg: not supported for bool tensors/);
  });

  it("arithmetic on two bools", () => {
    expectError(() => tensor([true]).add(tensor([false])), DTypeError, /^add: not supported for bool tensors/);
  });

  it("requiresGrad on an int32 or bool tensor", () => {
    expectError(
      () => tensor([1, 2], { dtype: "int32", requiresGrad: true }),
      DTypeError,
      "requiresGrad: only floating point tensors can require gradients, got int32",
    );
    expectError(() => tensor([true]).requiresGrad_(), DTypeError, /got bool/);
    expectError(() => zeros([2], { dtype: "int32", requiresGrad: true }), DTypeError, /got int32/);
  });

  it("gather / scatterAdd / indexSelect with a float index", () => {
    const x = t([[1, 2], [3, 4]]);
    expectError(() => x.gather(1, tensor([[0, 1], [1, 0]])), DTypeError, "gather: index must be int32, got float32");
    expectError(() => x.scatterAdd(1, t([[0, 1], [1, 0]]), x), DTypeError, "scatterAdd: index must be int32, got float64");
    expectError(() => x.indexSelect(0, tensor([0])), DTypeError, "indexSelect: index must be int32, got float32");
  });

  it("float-only reductions of an int32 tensor", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expectError(() => i.mean(), DTypeError, /^mean: expected a floating point tensor, got int32/);
    expectError(() => i.var(), DTypeError, /^var: expected a floating point tensor, got int32/);
    expectError(() => i.logsumexp(0), DTypeError, /^logsumexp: expected a floating point tensor, got int32/);
  });

  it("where with a non-bool condition", () => {
    expectError(() => where(tensor([1, 0]), 1, 2), DTypeError, "where: condition must be bool, got float32");
  });

  it("unknown dtype names and non-float random dtypes", () => {
    expectError(() => zeros([2]).to("int64" as never), DTypeError, /^to: unknown dtype int64/);
    expectError(() => tensor([1], { dtype: "float16" as never }), DTypeError, /^tensor: unknown dtype float16/);
    expectError(() => rand([2], { dtype: "int32" }), DTypeError, "rand: dtype must be float32 or float64, got int32");
  });

  it("in-place results that can't be cast to the target", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expectError(() => noGrad(() => i.add_(0.5)), DTypeError, "add_: result type float32 can't be cast to the in-place target's type int32");
    // Into bool only bool goes (PyTorch's canCast); within floats, narrowing is allowed.
    const b = tensor([true, false]);
    expectError(() => noGrad(() => b.add_(tensor([1, 1], { dtype: "int32" }))), DTypeError, "add_: result type int32 can't be cast to the in-place target's type bool");
    const f = tensor([1, 2]);
    noGrad(() => f.mul_(tensor([0.5, 0.25], { dtype: "float64" })));
    expect(f.dtype).toBe("float32");
    expect(f.toArray()).toEqual([0.5, 0.5]);
  });
});

describe("impossible shapes", () => {
  it("reshape to a size that does not match", () => {
    expectError(() => zeros([2, 3]).reshape(4, 2), ShapeError, "reshape: shape [4,2] is invalid for input of size 6 (from [2,3])");
    expectError(() => zeros([2, 3]).reshape(-1, 4), ShapeError, "reshape: shape [-1,4] is invalid for input of size 6 (from [2,3])");
    expectError(() => zeros([2, 3]).view(5), ShapeError, /^view: shape \[5\] is invalid for input of size 6/);
  });

  it("reshape with two -1 dims", () => {
    expectError(() => zeros([6]).reshape(-1, -1), ShapeError, "reshape: only one dimension can be -1, got [-1,-1]");
  });

  it("reshape with a negative size other than -1", () => {
    expectError(() => zeros([6]).reshape(-2, -3), ValueError, /^reshape: invalid size -2 in shape \[-2,-3\]/);
  });

  it("split sizes that do not add up", () => {
    expectError(() => zeros([5]).split([2, 2]), ShapeError, "split: sizes [2,2] sum to 4, but dim 0 has size 5");
  });

  it("tensor() with a shape that does not fit the values", () => {
    expectError(() => tensor([1, 2, 3], { shape: [2, 2] }), ShapeError, "tensor: 3 values cannot fill shape [2,2] (4 elements)");
  });

  it("gather with an index larger than the input", () => {
    expectError(
      () => t([[1, 2]]).gather(1, tensor([[0], [0]], { dtype: "int32" })),
      ShapeError,
      "gather: index [2,1] is larger than input [1,2] at dim 0",
    );
  });

  it("t() of a 3-d tensor, mT of a 1-d tensor", () => {
    expectError(() => zeros([2, 3, 4]).t(), ShapeError, /^t: expects a tensor with at most 2 dims, got \[2,3,4\]/);
    expectError(() => zeros([3]).mT, ShapeError, "mT: needs at least 2 dims, got [3]");
  });
});

describe("autograd misuse: GradError / ShapeError / ValueError", () => {
  it("backward on a tensor that does not require grad", () => {
    const x = t([1, 2]);
    expectError(() => x.sum().backward(), GradError, /^backward: output 0 does not require grad/);
  });

  it("backward on a result computed inside noGrad", () => {
    const x = t([1, 2], true);
    const y = noGrad(() => x.mul(2).sum());
    expectError(() => y.backward(), GradError, /^backward: output 0 does not require grad and has no gradFn/);
  });

  it("backward given its options in the gradient's place says where they go", () => {
    const x = t([1, 2], true);
    const options = { retainGraph: true } as unknown as number;
    expectError(() => x.sum().backward(options), ValueError,
      "backward: the gradient for output 0 must be a Tensor or a number, got object (options go second: backward(undefined, { retainGraph: true }))");
  });

  it("backward of a non-scalar without a gradient names the shape", () => {
    const x = t([[1, 2, 3], [4, 5, 6]], true);
    expectError(
      () => x.mul(2).backward(),
      GradError,
      /^backward: a gradient can be created implicitly only for one-element outputs, but output 0 has shape \[2,3\]/,
    );
  });

  it("a gradient seed of the wrong shape names both shapes", () => {
    const x = t([1, 2], true);
    expectError(() => x.mul(2).backward(t([1, 2, 3])), ShapeError, "backward: gradient has shape [3] but output 0 has shape [2]");
    expectError(() => x.mul(2).backward(t([[1, 2]])), ShapeError, "backward: gradient has shape [1,2] but output 0 has shape [2]");
  });

  it("a number seed for a non-scalar output", () => {
    const x = t([1, 2], true);
    expectError(() => x.mul(2).backward(3), GradError, /output 0 has shape \[2\]/);
  });

  it("non-finite seeds: NaN, Inf, −Inf", () => {
    const x = t([1, 2], true);
    expectError(() => x.mul(2).backward(t([1, NaN])), ValueError, "backward: gradient for output 0 contains NaN at element 1");
    expectError(() => x.mul(2).backward(t([Infinity, 1])), ValueError, "backward: gradient for output 0 contains Infinity at element 0");
    expectError(() => x.sum().backward(-Infinity), ValueError, "backward: gradient for output 0 contains -Infinity at element 0");
    expectError(() => x.sum().backward(NaN), ValueError, /contains NaN/);
    expect(x.grad).toBeNull(); // nothing was accumulated
  });

  it("a second backward through a freed graph", () => {
    const x = t([1, 2], true);
    const y = x.mul(x).sum();
    y.backward();
    expectError(() => y.backward(), GradError, /^backward: trying to backward through the graph a second time \(the values saved by 'mul' were freed\)/);
  });

  it("a saved tensor modified in place before backward", () => {
    const x = t([1, 2], true);
    const h = x.mul(2);
    const z = h.mul(h).sum(); // mul saves h for its backward
    noGrad(() => h.add_(1));
    expectError(() => z.backward(), GradError, /^backward: a tensor of shape \[2\] saved by 'mul' was modified by an in-place operation after it was saved \(version 0 → 1\)/);
  });

  it("a product keeps a factor only for the other factor's gradient (as PyTorch): changing the unsaved one is fine", () => {
    const x = t([1, 2], true);
    const h = x.mul(2); // h·c with c constant: d/dh = c, so h itself is not kept
    const c = t([3, 4]);
    const z = h.mul(c).sum();
    noGrad(() => h.add_(1));
    z.backward();
    expect(x.grad).toBeAllclose([6, 8]); // 2·c
    const w = t([5, 6], true);
    const h2 = x.mul(2);
    const z2 = h2.mul(w).sum(); // w needs d/dw = h2: h2 is kept
    noGrad(() => h2.add_(1));
    expectError(() => z2.backward(), GradError, /^backward: a tensor of shape \[2\] saved by 'mul' was modified by an in-place operation/);
  });

  it("in-place op on a tensor that requires grad, in grad mode", () => {
    const w = t([1, 2], true);
    expectError(() => w.add_(1), GradError, /^add_: in-place operation on a tensor that requires grad while grad mode is on/);
    expectError(() => w.zero_(), GradError, /^fill_: in-place operation/);
  });

  it("turning off requiresGrad on a non-leaf", () => {
    const y = t([1], true).mul(2);
    expectError(() => (y.requiresGrad = false), GradError, /^requiresGrad: only leaf tensors can change requiresGrad/);
  });
});

describe("bad values: ValueError", () => {
  it("var/std with a correction that is not a finite number", () => {
    const x = t([1, 2, 3]);
    expectError(() => x.var(0, { correction: NaN }), ValueError,
      "var: correction must be a finite number (1 for the sample variance, 0 for the population's), got NaN");
    expectError(() => x.std(undefined, { correction: Infinity }), ValueError, /^std: correction must be a finite number .*got Infinity$/);
    expectError(() => x.var(0, { correction: "1" as unknown as number }), ValueError, /got "1"$/);
  });

  it("item() on a multi-element tensor names the shape", () => {
    expectError(() => zeros([2]).item(), ValueError, "item: only one-element tensors can be converted to a number, got shape [2]");
    expectError(() => ones([2, 3]).item(), ValueError, /got shape \[2,3\]/);
    expect(ones([1, 1]).item()).toBe(1);
  });

  it("ragged nested arrays in tensor() name the position and lengths", () => {
    expectError(() => tensor([[1, 2], [3, 4, 5]]), ValueError, "tensor: ragged nested array at [1]: expected length 2, got length 3");
    expectError(() => tensor([[1, 2], 3] as NestedArray), ValueError, "tensor: ragged nested array at [1]: expected length 2, got number");
    expectError(() => tensor([[[1], [2]], [[3], [4, 5]]]), ValueError, "tensor: ragged nested array at [1,1]: expected length 1, got length 2");
    expectError(() => tensor([1, [2]] as NestedArray), ValueError, "tensor: expected a number or boolean at [1], got an array");
  });

  it("negative sizes", () => {
    expectError(() => zeros([2, -1]), ValueError, "zeros: invalid size -1 in shape [2,-1]");
    expectError(() => ones(2.5), ValueError, "ones: invalid size 2.5 in shape [2.5]");
  });

  it("creation arguments out of range", () => {
    expectError(() => tensor([0]).clamp(), ValueError, "clamp: at least one of min and max must be given");
    expectError(() => zeros([4]).slice(0, 0, 4, 0), ValueError, "slice: step must be a positive integer, got 0");
    expectError(() => zeros([4]).chunk(0), ValueError, "chunk: chunks must be a positive integer, got 0");
    expectError(() => cat([]), ValueError, "cat: expected a non-empty list of tensors");
  });
});

describe("in-place arithmetic on unusual targets", () => {
  it("bool and int targets keep their dtype rules; views and aliases are written correctly", () => {
    expect(() => tensor([true, false]).add_(tensor([true, true]))).toThrow(/add: not supported for bool tensors/);
    const i = tensor([1, 2], { dtype: "int32" });
    expect(i.add_(3).toArray()).toEqual([4, 5]);
    expect(() => i.div_(2)).toThrow(/div_: result type float32 can't be cast to the in-place target's type int32/);
    const m = tensor([[1, 2], [3, 4]]);
    m.t().mul_(tensor([[1], [10]])); // a transposed view: row j of mᵀ scaled by [1, 10][j]
    expect(m.toArray()).toEqual([[1, 20], [3, 40]]);
    const a = tensor([1, 2, 3]);
    a.add_(a.slice(0, 0, 3)); // an operand sharing the target's memory
    expect(a.toArray()).toEqual([2, 4, 6]);
    expect(() => tensor([1, 2]).add_(tensor([[1, 2], [3, 4]]))).toThrow(/add_: result of shape \[2,2\] cannot be written into a tensor of shape \[2\]/);
  });
});

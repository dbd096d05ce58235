/**
 * gradcheck cases of the fused transformer primitives (gelu and geluBackward, layerNorm,
 * attentionSoftmax), spread into OP_CASES (ops.ts). The smooth ones
 * are gradgradchecked too, which runs each vjp's recorded (createGraph) form; the first-order
 * check runs the one-kernel backward. Configurations are encoded in an int32/float64 tensor, so
 * each case stays a function of tensors only.
 */

import fc from "fast-check";
import { attentionSoftmax, layerNorm, type Tensor } from "@tensorgrad/autograd";
import { shapeArb, tensorArb } from "@tensorgrad/autograd/testing/arbitraries";
import type { WindowOpCase } from "./conv-pool.js";
import { config } from "./config.js";

const grad = { requiresGrad: true } as const;

/** Every row over the last k dims spread out (std > 0.2), so rstd stays well conditioned under a finite-difference step. */
const spreadRows = (x: Tensor, k: number): boolean => {
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  return x.detach().std(dims, { correction: 0 }).toFlatArray().every((s) => s > 0.2);
};

const layerNormInputs = (affine: boolean): fc.Arbitrary<Tensor[]> =>
  shapeArb({ minRank: 1, maxRank: 3, minSize: 2, maxSize: 3 }).chain((shape) =>
    fc.integer({ min: 1, max: shape.length }).chain((k) => {
      const tail = shape.slice(shape.length - k);
      const spec = fc.constant(config([k]));
      const x = tensorArb(shape, grad);
      const all: fc.Arbitrary<Tensor[]> = affine ? fc.tuple(x, spec, tensorArb(tail, grad), tensorArb(tail, grad)) : fc.tuple(x, spec);
      return all;
    }),
  );

const attentionInputs = shapeArb({ minRank: 0, maxRank: 2, minSize: 1, maxSize: 2 }).chain((batch) =>
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.double({ min: 0.2, max: 2, noNaN: true })).chain(([L, S, causal, scale]) =>
    fc.tuple(tensorArb([...batch, L, S], grad), fc.constant(config([causal ? 1 : 0, scale], "float64"))),
  ),
);

/** The cases, in gradcheck-ops.test.ts's shape. */
export const TRANSFORMER_CASES: WindowOpCase[] = [
  {
    name: "layerNorm (affine)",
    covers: ["layerNorm"],
    smooth: true,
    inputs: layerNormInputs(true),
    fn: (x, k, w, b) => layerNorm(x, k.toFlatArray()[0], w, b),
    valid: (x, k) => spreadRows(x, k.toFlatArray()[0]),
  },
  {
    name: "layerNorm (no weight, no bias)",
    covers: ["layerNorm"],
    smooth: true,
    inputs: layerNormInputs(false),
    fn: (x, k) => layerNorm(x, k.toFlatArray()[0], null, null),
    valid: (x, k) => spreadRows(x, k.toFlatArray()[0]),
  },
  {
    name: "attentionSoftmax (scale, causal or not)",
    covers: ["attentionSoftmax"],
    smooth: true,
    inputs: attentionInputs,
    fn: (x, config) => {
      const [causal, scale] = config.toFlatArray();
      return attentionSoftmax(x, scale, causal === 1);
    },
  },
];

/**
 * The independent oracle: the hand-written backpropagation of the articles, in plain JS arrays,
 * against tensorgrad's backward() on the same network built from tensor ops.
 *
 * Convention (column-major, as in the articles): a_l is [n_l × m], one column per example;
 *   z_l = W_l·a_{l−1} + b_l,   a_l = g(z_l) for hidden layers,
 *   output: linear with MSE  L = Σ(a_L − y)²/(2m),
 *           sigmoid with BCE L = −Σ[y ln a_L + (1 − y) ln(1 − a_L)]/m,
 *   both give dz_L = a_L − y (the 1/m is applied in dW and db):
 *   dW_l = dz_l·a_{l−1}ᵀ/m,  db_l = Σ_cols dz_l/m,  dz_{l−1} = W_lᵀ·dz_l ⊙ g'(z_{l−1}).
 * The tensorgrad network uses x as [n0, m], W_l as [n_l, n_{l−1}] and b_l as [n_l, 1].
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tensor, type Tensor } from "@tensorgrad/autograd";

type Matrix = number[][];
type Activation = "sigmoid" | "tanh" | "relu";
type LossKind = "mse" | "bce";

interface Case {
  sizes: number[];
  m: number;
  weights: Matrix[];
  biases: number[][];
  x: Matrix;
  y: Matrix;
  activation: Activation;
  loss: LossKind;
}

// ------------------------------------------------------------------ plain-array linear algebra

const matmul = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) =>
    b[0].map((_, j) => {
      let s = 0;
      for (let k = 0; k < row.length; k++) s += row[k] * b[k][j];
      return s;
    }),
  );
const transpose = (a: Matrix): Matrix => a[0].map((_, j) => a.map((row) => row[j]));
const mapM = (a: Matrix, f: (v: number, i: number, j: number) => number): Matrix => a.map((row, i) => row.map((v, j) => f(v, i, j)));
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

const G: Record<Activation, { f: (z: number) => number; df: (z: number) => number }> = {
  sigmoid: { f: sigmoid, df: (z) => sigmoid(z) * (1 - sigmoid(z)) },
  tanh: { f: Math.tanh, df: (z) => 1 - Math.tanh(z) ** 2 },
  relu: { f: (z) => Math.max(z, 0), df: (z) => (z > 0 ? 1 : 0) },
};

interface HandResult {
  loss: number;
  dW: Matrix[];
  db: number[][];
}

/** The articles' forward and backward passes, written out by hand. */
function handBackprop(c: Case): HandResult {
  const L = c.weights.length;
  const g = G[c.activation];
  const as: Matrix[] = [c.x];
  const zs: Matrix[] = [];
  for (let l = 0; l < L; l++) {
    const z = mapM(matmul(c.weights[l], as[l]), (v, i) => v + c.biases[l][i]);
    zs.push(z);
    const last = l === L - 1;
    as.push(mapM(z, (v) => (last ? (c.loss === "mse" ? v : sigmoid(v)) : g.f(v))));
  }
  const aL = as[L];
  let loss = 0;
  for (let i = 0; i < aL.length; i++) {
    for (let j = 0; j < c.m; j++) {
      const a = aL[i][j];
      const y = c.y[i][j];
      loss += c.loss === "mse" ? (a - y) ** 2 / (2 * c.m) : -(y * Math.log(a) + (1 - y) * Math.log(1 - a)) / c.m;
    }
  }
  const dW: Matrix[] = new Array(L);
  const db: number[][] = new Array(L);
  let dz = mapM(aL, (a, i, j) => a - c.y[i][j]);
  for (let l = L - 1; l >= 0; l--) {
    dW[l] = mapM(matmul(dz, transpose(as[l])), (v) => v / c.m);
    db[l] = dz.map((row) => row.reduce((s, v) => s + v, 0) / c.m);
    if (l > 0) {
      const back = matmul(transpose(c.weights[l]), dz);
      dz = mapM(back, (v, i, j) => v * g.df(zs[l - 1][i][j]));
    }
  }
  return { loss, dW, db };
}

// ------------------------------------------------------------------ the same network in tensorgrad

interface Params {
  W: Tensor[];
  b: Tensor[];
}

const f64 = { dtype: "float64" } as const;

function makeParams(c: Case): Params {
  return {
    W: c.weights.map((w) => tensor(w, { ...f64, requiresGrad: true })),
    b: c.biases.map((b) => tensor(b.map((v) => [v]), { ...f64, requiresGrad: true })),
  };
}

/** Loss of the network on columns x [n0, m] with targets y [nL, m]. */
function tensorLoss(c: Case, p: Params, x: Tensor, y: Tensor): Tensor {
  const L = p.W.length;
  const m = x.shape[1];
  let a = x;
  for (let l = 0; l < L; l++) {
    const z = p.W[l].matmul(a).add(p.b[l]);
    if (l < L - 1) a = c.activation === "sigmoid" ? z.sigmoid() : c.activation === "tanh" ? z.tanh() : z.relu();
    else a = c.loss === "mse" ? z : z.sigmoid();
  }
  if (c.loss === "mse") return a.sub(y).square().sum().div(2 * m);
  // −Σ[y ln a + (1 − y) ln(1 − a)]/m
  return y.mul(a.log()).add(y.rsub(1).mul(a.rsub(1).log())).sum().neg().div(m);
}

// ------------------------------------------------------------------ arbitraries

const value = (bound: number) => fc.double({ min: -bound, max: bound, noNaN: true, noDefaultInfinity: true });
const matrix = (rows: number, cols: number, arb: fc.Arbitrary<number>) =>
  fc.array(fc.array(arb, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 2, maxLength: 5 }), // L = 1..4 layers
    m: fc.integer({ min: 1, max: 8 }),
    activation: fc.constantFrom<Activation>("sigmoid", "tanh", "relu"),
    loss: fc.constantFrom<LossKind>("mse", "bce"),
  })
  .chain(({ sizes, m, activation, loss }) => {
    const L = sizes.length - 1;
    const nL = sizes[L];
    return fc.record({
      sizes: fc.constant(sizes),
      m: fc.constant(m),
      activation: fc.constant(activation),
      loss: fc.constant(loss),
      weights: fc.tuple(...Array.from({ length: L }, (_, l) => matrix(sizes[l + 1], sizes[l], value(1)))),
      biases: fc.tuple(...Array.from({ length: L }, (_, l) => fc.array(value(1), { minLength: sizes[l + 1], maxLength: sizes[l + 1] }))),
      x: matrix(sizes[0], m, value(2)),
      // MSE targets are any reals; BCE targets are probabilities in [0, 1].
      y: matrix(nL, m, loss === "mse" ? value(2) : fc.double({ min: 0, max: 1, noNaN: true })),
    });
  });

/**
 * rtol 1e-9 as promised; the atol (1e-12 of the tensor's largest entry) only absorbs entries that
 * are near zero through cancellation, where both sides carry ~1e-16·|terms| of rounding.
 */
function expectClose(received: Tensor | null, expected: number | Matrix | number[]): void {
  expect(received).not.toBeNull();
  const flat = typeof expected === "number" ? [expected] : (expected as (number | number[])[]).flat();
  const scale = Math.max(1, ...flat.map(Math.abs));
  expect(received as Tensor).toBeAllclose(expected, { rtol: 1e-9, atol: 1e-12 * scale });
}

const numRuns = 80;

// ------------------------------------------------------------------ properties

describe("backprop oracle: hand-written backprop vs backward()", () => {
  it("the oracle itself reproduces a worked example (1-1 network, MSE)", () => {
    // w = 2, b = 1, x = [1, 3], y = [0, 10]: z = [3, 7], e = [3, −3],
    // L = (9 + 9)/(2·2) = 4.5, dW = (3·1 − 3·3)/2 = −3, db = (3 − 3)/2 = 0.
    const hand = handBackprop({
      sizes: [1, 1], m: 2, weights: [[[2]]], biases: [[1]], x: [[1, 3]], y: [[0, 10]], activation: "relu", loss: "mse",
    });
    expect(hand.loss).toBe(4.5);
    expect(hand.dW[0]).toEqual([[-3]]);
    expect(hand.db[0]).toEqual([0]);
  });

  it("every dW, db and the loss match at rtol 1e-9 (L = 1..4, sigmoid/tanh/relu, MSE/BCE)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const hand = handBackprop(c);
        const p = makeParams(c);
        const loss = tensorLoss(c, p, tensor(c.x, f64), tensor(c.y, f64));
        expectClose(loss, hand.loss);
        loss.backward();
        for (let l = 0; l < c.weights.length; l++) {
          expectClose(p.W[l].grad, hand.dW[l]);
          expectClose(p.b[l].grad, hand.db[l].map((v) => [v]));
        }
      }),
      { numRuns },
    );
  });

  it("per-sample form: Σ_j (gradient of example j by its own backward) / m equals the batch gradient", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const hand = handBackprop(c);
        // Batch gradient from one backward on fresh leaves.
        const batch = makeParams(c);
        tensorLoss(c, batch, tensor(c.x, f64), tensor(c.y, f64)).backward();
        // Per-example gradients accumulated into the same leaves by m separate backward calls.
        const single = makeParams(c);
        const X = tensor(c.x, f64);
        const Y = tensor(c.y, f64);
        let lossSum = 0;
        for (let j = 0; j < c.m; j++) {
          const loss = tensorLoss(c, single, X.narrow(1, j, 1), Y.narrow(1, j, 1));
          lossSum += loss.item();
          loss.backward();
        }
        expectClose(tensor(lossSum / c.m, f64), hand.loss);
        for (let l = 0; l < c.weights.length; l++) {
          const dW = (single.W[l].grad as Tensor).div(c.m);
          const db = (single.b[l].grad as Tensor).div(c.m);
          expectClose(dW, (batch.W[l].grad as Tensor).toArray() as Matrix);
          expectClose(db, (batch.b[l].grad as Tensor).toArray() as Matrix);
          expectClose(dW, hand.dW[l]);
          expectClose(db, hand.db[l].map((v) => [v]));
        }
      }),
      { numRuns: 50 },
    );
  });
});

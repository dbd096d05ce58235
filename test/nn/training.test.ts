/**
 * Full training runs: a small MLP learns XOR-arranged Gaussian blobs (not linearly separable), with
 * SGD + momentum on a hand-built MLP, and with Adam + a cosine schedule on nn layers, through the
 * DataLoader; the trained model survives a safetensors save/load.
 */

import { describe, expect, it } from "vitest";
import { Generator, Tensor, noGrad, randn, tensor, zeros } from "@tensorgrad/autograd";
import { CrossEntropyLoss, DataLoader, Linear, Sequential, Tanh, TensorDataset, loadSafetensors, optim, saveSafetensors } from "@tensorgrad/nn";

/** n points around (±1, ±1) with std 0.3; label 1 when exactly one coordinate's center is positive. */
function xorBlobs(n: number, generator: Generator): { x: Tensor; y: Tensor } {
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const quadrant = generator.integer(0, 4);
    const cx = quadrant & 1 ? 1 : -1;
    const cy = quadrant & 2 ? 1 : -1;
    points.push([cx + 0.3 * generator.normal(), cy + 0.3 * generator.normal()]);
    labels.push(cx > 0 !== cy > 0 ? 1 : 0);
  }
  return { x: tensor(points), y: tensor(labels, { dtype: "int32" }) };
}

/** Mean cross-entropy of logits [n, 2] against int32 labels, written out: −mean(log softmax(z)[y]). */
function crossEntropy(logits: Tensor, y: Tensor): Tensor {
  return logits.logSoftmax(1).gather(1, y.unsqueeze(1)).mean().neg();
}

const accuracy = (logits: Tensor, y: Tensor): number => logits.argmax(1).eq(y).to("float32").mean().item();

describe("training", () => {
  const g = new Generator(2024);
  const train = xorBlobs(256, g);
  const test = xorBlobs(256, g);

  it("SGD with momentum trains a hand-built 2-16-2 tanh MLP", () => {
    const init = new Generator(1);
    const params = {
      w1: randn([2, 16], { generator: init }).mul(0.5).requiresGrad_(),
      b1: zeros([16], { requiresGrad: true }),
      w2: randn([16, 2], { generator: init }).mul(0.5).requiresGrad_(),
      b2: zeros([2], { requiresGrad: true }),
    };
    const forward = (x: Tensor) => x.matmul(params.w1).add(params.b1).tanh().matmul(params.w2).add(params.b2);
    const opt = new optim.SGD(Object.values(params), { lr: 0.1, momentum: 0.9 });
    const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 32, shuffle: true, generator: new Generator(7) });

    const initialLoss = noGrad(() => crossEntropy(forward(train.x), train.y).item());
    for (let epoch = 0; epoch < 40; epoch++) {
      for (const [x, y] of loader) {
        opt.zeroGrad();
        crossEntropy(forward(x), y).backward();
        opt.step();
      }
    }
    const { loss, acc } = noGrad(() => ({ loss: crossEntropy(forward(train.x), train.y).item(), acc: accuracy(forward(test.x), test.y) }));
    expect(initialLoss).toBeGreaterThan(0.5);
    expect(loss).toBeLessThan(0.1);
    expect(acc).toBeGreaterThan(0.95);
  });

  it("Adam with a cosine schedule and gradient clipping trains nn layers; the model survives save/load", () => {
    const init = new Generator(3);
    const makeModel = () => new Sequential(new Linear(2, 16, { generator: init }), new Tanh(), new Linear(16, 2, { generator: init }));
    const model = makeModel();
    const lossFn = new CrossEntropyLoss();
    const epochs = 30;
    const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 32, shuffle: true, generator: new Generator(8) });
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    const schedule = new optim.CosineAnnealingLR(opt, epochs, 1e-3);
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (const [x, y] of loader) {
        opt.zeroGrad();
        lossFn.call(model.call(x), y).backward();
        optim.clipGradNorm_(model.parameters(), 5);
        opt.step();
      }
      schedule.step();
    }
    expect(schedule.getLastLr()[0]).toBeCloseTo(1e-3, 12);
    const { loss, acc } = noGrad(() => ({ loss: lossFn.call(model.call(train.x), train.y).item(), acc: accuracy(model.call(test.x), test.y) }));
    expect(loss).toBeLessThan(0.1);
    expect(acc).toBeGreaterThan(0.95);

    // A fresh model loaded from the saved bytes predicts exactly the same logits.
    const restored = makeModel();
    restored.loadStateDict(loadSafetensors(saveSafetensors(model.stateDict())));
    noGrad(() => expect(restored.call(test.x).toTypedArray()).toEqual(model.call(test.x).toTypedArray()));
  });
});

/**
 * Quick per-step timing of the five model workloads (issue 13) on tensorgrad, for profiling by
 * hand: `node --import tsx bench/probe/models.ts [cnn|makemore|gpt|lstm|vae ...] [--steps N]`
 * (add `--cpu-prof` to node for a profile). Random data at the reduced sizes; the peer
 * comparison with the same weights and data is `pnpm bench:peers`.
 */
import { Generator, manualSeed, randint, randn, rand, type Tensor } from "@tensorgrad/autograd";
import { optim, functional as F, type AnyModule } from "@tensorgrad/nn";
import { CnnNet, GPT, MakemoreMLP, RNNModel, VaeNet, vaeLoss, repackageHidden, type RecurrentState } from "@tensorgrad/examples";

manualSeed(1);
const g = new Generator().manualSeed(2);

interface Work { model: AnyModule; step(): void }

const works: Record<string, () => Work> = {
  cnn() {
    const model = new CnnNet();
    const opt = new optim.Adadelta(model.parameters(), { lr: 1 });
    const x = randn([64, 1, 28, 28], { generator: g });
    const y = randint(0, 10, [64], { generator: g });
    return { model, step() { opt.zeroGrad(); F.nllLoss(model.call(x) as Tensor, y).backward(); opt.step(); } };
  },
  makemore() {
    const model = new MakemoreMLP(27, 16, 64, 64, false);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const x = randint(0, 27, [32, 16], { generator: g });
    const y = randint(0, 27, [32], { generator: g });
    return { model, step() { opt.zeroGrad(); F.crossEntropy(model.call(x) as Tensor, y).backward(); opt.step(); } };
  },
  gpt() {
    const model = new GPT({ vocabSize: 65, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32, dropout: 0 });
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const x = randint(0, 65, [32, 32], { generator: g });
    const y = randint(0, 65, [32, 32], { generator: g });
    return {
      model,
      step() {
        opt.zeroGrad();
        F.crossEntropy((model.call(x) as Tensor).reshape([-1, 65]), y.reshape([-1])).backward();
        optim.clipGradNorm_(model.parameters(), 1);
        opt.step();
      },
    };
  },
  lstm() {
    const model = new RNNModel("LSTM", 3985, 32, 32, 2, 0.2);
    const opt = new optim.SGD(model.parameters(), { lr: 20 });
    const x = randint(0, 3985, [35, 20], { generator: g });
    const y = randint(0, 3985, [35 * 20], { generator: g });
    let hidden: RecurrentState = model.initHidden(20);
    return {
      model,
      step() {
        hidden = repackageHidden(hidden);
        opt.zeroGrad();
        const [out, next] = model.call(x, hidden) as [Tensor, RecurrentState];
        hidden = next;
        F.nllLoss(out, y).backward();
        optim.clipGradNorm_(model.parameters(), 0.25);
        opt.step();
      },
    };
  },
  vae() {
    const model = new VaeNet({ generator: g });
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = rand([128, 784], { generator: g });
    return {
      model,
      step() {
        opt.zeroGrad();
        const [recon, mu, logvar] = model.call(x) as [Tensor, Tensor, Tensor];
        vaeLoss(recon, x, mu, logvar).backward();
        opt.step();
      },
    };
  },
};

const args = process.argv.slice(2);
const si = args.indexOf("--steps");
const steps = si >= 0 ? Number(args[si + 1]) : 30;
const names = args.filter((a, i) => !a.startsWith("--") && (si < 0 || i !== si + 1));
for (const name of names.length ? names : Object.keys(works)) {
  const w = works[name]();
  w.model.train();
  for (let i = 0; i < 5; i++) w.step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    w.step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(9)} median ${times[times.length >> 1].toFixed(2)} ms/step  (min ${times[0].toFixed(2)}, ${steps} steps)`);
}

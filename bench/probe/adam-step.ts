/**
 * The fused Adam step of the current backend over the VAE's parameter shapes (bench W9),
 * wall and CPU ms per optimizer step: `node --import tsx bench/probe/adam-step.ts`.
 */
import { getBackend, type Backend } from "@tensorgrad/autograd";

const backend = getBackend() as Backend;
const sizes = [313600, 313600, 8000, 8000, 8000, 784, 400, 400]; // its weights and the biases the kernel takes (≥ 64 elements)
const buffers = sizes.map((n) => [0, 1, 2, 3].map(() => backend.fromValues("float32", Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1 + 0.2))));
const scalars = { decay: null, weightDecay: 0, beta1: 0.9, beta2: 0.999, biasCorrection2Sqrt: 0.1, eps: 1e-8, stepSize: 1e-3, maximize: false };
const step = (): void => {
  for (const [p, g, m, v] of buffers) if (!backend.adamStep?.(p, g, m, v, scalars)) throw new Error(`${backend.name} has no fused Adam step for these`);
};
for (let i = 0; i < 50; i++) step();
const reps = 300;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let i = 0; i < reps; i++) step();
const cpu = process.cpuUsage(cpu0);
console.log(`${backend.name} Adam step, ${sizes.reduce((a, b) => a + b)} float32 parameters: ${((performance.now() - wall0) / reps).toFixed(3)} ms wall, ${((cpu.user + cpu.system) / 1000 / reps).toFixed(3)} ms cpu`);

/**
 * Host cost of a webgpu dispatch: a chain of small elementwise ops (each one dispatch) encoded
 * and submitted, then one read; also the time inside the ops' calls alone. On SwiftShader the kernels themselves run on the CPU too, so
 * compare before/after on the same machine only. Run (Node, SwiftShader from Debian's chromium):
 * `LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node --import tsx bench/probe/webgpu-dispatch.ts`
 */
import { initWebGPU, noGrad, tensor } from "@tensorgrad/autograd";

await initWebGPU();
const x = tensor(Array.from({ length: 64 }, (_, i) => i / 64), { device: "webgpu" });
const ops = 2000;
let encodeMs = 0;
const chain = (): Promise<number[]> => noGrad(() => {
  const start = performance.now();
  let y = x;
  for (let i = 0; i < ops; i++) {
    const next = i % 2 ? y.mul(0.999) : y.add(x);
    if (y !== x) y.dispose(); // back to the pool: no buffer is created per op
    y = next;
  }
  encodeMs += performance.now() - start;
  return y.toArrayAsync() as Promise<number[]>;
});
for (let r = 0; r < 3; r++) await chain();
encodeMs = 0;
const rounds = 5;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let r = 0; r < rounds; r++) await chain();
const cpu = process.cpuUsage(cpu0);
console.log(`${ops} small ops: ${((performance.now() - wall0) * 1000 / rounds / ops).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / rounds / ops).toFixed(1)} µs cpu per dispatch; the ops' calls (encoding and submits) ${((encodeMs * 1000) / rounds / ops).toFixed(1)} µs`);

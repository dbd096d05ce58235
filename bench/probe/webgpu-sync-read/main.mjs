// A synchronous GPU read from the main thread: the device lives in a worker (worker.mjs), the
// main thread posts a request and blocks in Atomics.wait until the worker has mapped the result
// into shared memory. Prints one result and the round-trip times.
// Run: LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node bench/probe/webgpu-sync-read/main.mjs
import { Worker } from "node:worker_threads";

const control = new Int32Array(new SharedArrayBuffer(8)); // [done, ready]
const data = new Float32Array(new SharedArrayBuffer(4 * 1024 * 1024));
const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { control, data } });
if (Atomics.wait(control, 1, 0, 30_000) === "timed-out") throw new Error("the worker found no device");

/** Doubles `values` on the GPU and returns them, synchronously. */
function doubleOnGpuSync(values) {
  data.set(values);
  Atomics.store(control, 0, 0);
  worker.postMessage({ n: values.length });
  if (Atomics.wait(control, 0, 0, 10_000) === "timed-out") throw new Error("timed out");
  return Array.from(data.subarray(0, values.length));
}

console.log(`doubleOnGpuSync([1, 2, 3, 4.5]) = [${doubleOnGpuSync([1, 2, 3, 4.5])}]`);
const times = [];
for (let i = 0; i < 200; i++) {
  const t = performance.now();
  doubleOnGpuSync([i]);
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
console.log(`round trip (upload, dispatch, map, copy) over 200 calls: median ${times[100].toFixed(2)} ms, p90 ${times[180].toFixed(2)} ms`);
process.exit(0); // not worker.terminate(): tearing Dawn down in a worker is untested here

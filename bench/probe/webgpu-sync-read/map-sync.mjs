// Can Dawn's Node binding (the `webgpu` package) finish a buffer map without the event loop?
// Spins and blocks (Atomics.wait) on the main thread after mapAsync, then checks mapState.
// Run: LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node bench/probe/webgpu-sync-read/map-sync.mjs
import { create, globals } from "webgpu";

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
const own = (o) => Object.getOwnPropertyNames(Object.getPrototypeOf(o)).join(" ");
console.log(`adapter: ${adapter.info.vendor} / ${adapter.info.architecture}`);
console.log(`GPUDevice methods: ${own(device)}`);
console.log(`GPUBuffer methods: ${own(device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST }))}`);
const b = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });

let mapped = b.mapAsync(GPUMapMode.READ);
const t0 = Date.now();
while (Date.now() - t0 < 500); // spin, never yielding
console.log(`after 500 ms spinning: mapState = ${b.mapState}`);
try {
  b.getMappedRange();
  console.log("getMappedRange: worked");
} catch (e) {
  console.log(`getMappedRange: threw ${e.constructor.name}`);
}
await mapped;
console.log(`after await: mapState = ${b.mapState}`);

b.unmap();
mapped = b.mapAsync(GPUMapMode.READ);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // block the thread
console.log(`after Atomics.wait 500 ms: mapState = ${b.mapState}`);
await mapped;
console.log(`after await: mapState = ${b.mapState}`);
process.exit(0);

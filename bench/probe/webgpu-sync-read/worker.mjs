// The GPU side of main.mjs: owns the device; on each message uploads data[0..n), doubles it in a
// compute shader, reads it back (mapAsync, completed by this thread's own event loop) into the
// shared array, and wakes the main thread through control[0].
import { parentPort, workerData } from "node:worker_threads";
import { create, globals } from "webgpu";

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
const device = await adapter.requestDevice();
globalThis.keepAlive = [gpu, adapter, device]; // Dawn crashes if its instance is collected
const { control, data } = workerData;
const module = device.createShaderModule({
  code: `@group(0) @binding(0) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&v)) { v[id.x] = v[id.x] * 2.0; }
}`,
});
const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });

parentPort.on("message", async ({ n }) => {
  const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, data.slice(0, n)); // a copy: a SharedArrayBuffer-backed view segfaulted dawn.node here
  const staging = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  encoder.copyBufferToBuffer(buf, 0, staging, 0, n * 4);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  data.set(new Float32Array(staging.getMappedRange()), 0);
  staging.unmap();
  staging.destroy();
  buf.destroy();
  Atomics.store(control, 0, 1);
  Atomics.notify(control, 0);
});
Atomics.store(control, 1, 1);
Atomics.notify(control, 1);

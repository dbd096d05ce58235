/** The active backend. Tensors keep the backend they were made on; new tensors use the active one. */

import { ValueError, fmtValue } from "../errors.js";
import type { Backend } from "./backend.js";
import { createCpuBackend } from "./cpu/cpu-backend.js";
import { createWasmBackend, wasmMemoryAvailable, wasmSimdSupported } from "./wasm/index.js";

const backends = new Map<string, Backend>();
let active: Backend;

/** Makes a backend available under its name. */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/** The backend new tensors are created on. */
export function getBackend(): Backend {
  return active;
}

/** Selects the backend for new tensors by name ("cpu", or any registered backend). */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) throw new ValueError(`setBackend: unknown backend ${fmtValue(name)} (registered: ${[...backends.keys()].join(", ")})`);
  active = b;
}

/**
 * The backend registered as `device` (a tensor's device is its backend's name), for `{ device }`
 * in creation options and `to(device)`; `op` names the caller in the error for an unknown one.
 */
export function backendNamed(op: string, device: string): Backend {
  const b = backends.get(device);
  if (b !== undefined) return b;
  const hint = device === "webgpu" ? "; call `await initWebGPU()` first" : "";
  throw new ValueError(`${op}: unknown device ${fmtValue(device)} (registered: ${[...backends.keys()].join(", ")})${hint}`);
}

/** Names of all registered backends. */
export function listBackends(): string[] {
  return [...backends.keys()];
}

const cpu = createCpuBackend() as unknown as Backend;
registerBackend(cpu);
active = cpu;
// WebAssembly SIMD, where the engine has it, is the default; the TypeScript cpu backend stays
// registered as the fallback and the reference the tests compare against. Where wasm memory
// cannot be allocated (a low `ulimit -v`), wasmMemoryAvailable warns once and cpu stays.
if (wasmSimdSupported() && wasmMemoryAvailable()) {
  const wasm = createWasmBackend() as unknown as Backend;
  registerBackend(wasm);
  active = wasm;
}

/// <reference types="@webgpu/types" />
/**
 * `await initWebGPU()`: finds WebGPU (navigator.gpu in a browser, the `webgpu` npm package in
 * Node), requests an adapter and a device, and registers the "webgpu" backend. The backend's code
 * is imported here, on first call, so programs that never call this do not bundle it.
 */

import { ValueError } from "../../errors.js";
import { listBackends, registerBackend } from "../registry.js";
import type { Backend } from "../backend.js";
import type { GpuMemoryInfo } from "./gpu-context.js";
import type { WebGPUBackend } from "./webgpu-backend.js";

/** Options of initWebGPU. */
export interface WebGPUOptions {
  /** Which adapter to prefer where there are several (WebGPU's requestAdapter option). */
  readonly powerPreference?: "low-power" | "high-performance";
}

/** What initWebGPU found. */
export interface WebGPUInfo {
  /** The device name to pass to `to()` and `{ device }`: "webgpu". */
  readonly device: "webgpu";
  /** The adapter's vendor and architecture or description, as the platform reports them ("google / swiftshader"). */
  readonly adapter: string;
}

/** The hint for Node without an adapter: Dawn needs a Vulkan driver (a CPU one will do). */
const VULKAN_HINT =
  "Dawn found no Vulkan driver. Install one (a GPU driver, or the CPU one in Debian's chromium package: apt-get install chromium) and run with " +
  "LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json";

let ready: Promise<WebGPUInfo> | null = null;
let registered: WebGPUBackend | null = null;
/**
 * The GPU object (and adapter) stay referenced for the life of the program: in Node, Dawn frees
 * its instance when the `webgpu` package's GPU object is garbage-collected, and its event loop
 * then crashes on the freed mutex (a segfault or a failed pthread assertion, seen on SwiftShader).
 */
const keepAlive: object[] = [];

/** The webgpu backend's memory (bytes held by live tensors and pooled for reuse); null before initWebGPU. */
export function webgpuMemory(): GpuMemoryInfo | null {
  return registered?.memory() ?? null;
}

/**
 * Finds a WebGPU adapter and registers the "webgpu" backend; resolves with the adapter's name.
 * Idempotent: later calls return the first call's result. Throws, saying why, where no adapter
 * is found (the `webgpu` package missing in Node, or no driver).
 */
export function initWebGPU(options: WebGPUOptions = {}): Promise<WebGPUInfo> {
  ready ??= start(options).catch((e: unknown) => {
    ready = null; // a later call may succeed (after installing what was missing)
    throw e;
  });
  return ready;
}

/** navigator.gpu, or the `webgpu` package's GPU in Node. */
async function findGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
  if (!isNode) throw new ValueError("initWebGPU: this browser has no WebGPU (navigator.gpu is undefined; it needs a secure context and a browser that supports WebGPU)");
  // A computed specifier: bundlers leave it alone, and only Node programs that call this load it.
  const specifier = "webgpu";
  let mod: { create(flags: string[]): GPU; globals: object };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (e) {
    throw new ValueError(`initWebGPU: the \`webgpu\` package (Dawn for Node) is not installed: npm install webgpu (${e instanceof Error ? e.message : String(e)})`);
  }
  // WebGPU's classes and constants (GPUBufferUsage, GPUMapMode, …) as globals, as in a browser.
  for (const [key, value] of Object.entries(mod.globals)) if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  return mod.create([]);
}

async function start(options: WebGPUOptions): Promise<WebGPUInfo> {
  if (listBackends().includes("webgpu")) throw new ValueError('initWebGPU: a backend named "webgpu" is already registered');
  const gpu = await findGpu();
  const adapter = await gpu.requestAdapter(options.powerPreference === undefined ? undefined : { powerPreference: options.powerPreference });
  if (adapter === null) {
    const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
    throw new ValueError(`initWebGPU: no WebGPU adapter found. ${isNode ? VULKAN_HINT : "The browser offers WebGPU but no adapter (a blocklisted GPU or driver; in Chromium try --enable-unsafe-webgpu)"}`);
  }
  keepAlive.push(gpu, adapter);
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const { createWebGPUBackend } = await import("./webgpu-backend.js");
  registered = createWebGPUBackend(device);
  registerBackend(registered as unknown as Backend);
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture || info?.description].filter((s) => s).join(" / ") || "unknown adapter";
  return { device: "webgpu", adapter: name };
}

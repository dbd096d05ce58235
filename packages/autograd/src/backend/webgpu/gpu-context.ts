/// <reference types="@webgpu/types" />
/**
 * The WebGPU device's memory and command stream for the webgpu backend (webgpu-backend.ts):
 * storage buffers from a size-bucketed pool (returned when their tensor is garbage-collected, or
 * at once by dispose), dispatches encoded into one command encoder, in one compute pass while no
 * copy comes between them, and submitted lazily (on a read, or when MAX_BATCH dispatches are
 * waiting), and asynchronous reads. Kernels' info words and small uploads go into one arena
 * buffer written once per batch, so no buffer is created per dispatch. Kernels: wgsl.ts.
 */

import { IndexError, ValueError } from "../../errors.js";

/** Every element is stored as one 32-bit word: f32 for float32, i32 for int32 and bool (0/1). */
export const WORD = 4;

/** Dispatches encoded before the encoder is submitted without waiting for a read. */
const MAX_BATCH = 64;

/**
 * Bytes of the arena: the info words of every dispatch in a batch, each at an offset the device
 * allows for a storage binding (256 bytes on most), so 64 dispatches fit, and the batch's small
 * uploads (up to ARENA_UPLOAD_BYTES each).
 */
const ARENA_BYTES = 64 * 1024;
const ARENA_UPLOAD_BYTES = 4096;

/** What a range-checked kernel's flag code means, by op (the cpu and wasm kernels' wording). */
const RANGE_RULES: Readonly<Record<string, string>> = {
  binaryCrossEntropy: "all elements of input and target should be between 0 and 1",
};

/** Bytes the pool keeps for reuse before it destroys what comes back. */
const POOL_LIMIT = 256 * 1024 * 1024;

/** The bucket of a request: the next power of two ≥ 16 bytes (so a freed buffer fits many requests). */
function bucketOf(bytes: number): number {
  let b = 16;
  while (b < bytes) b *= 2;
  return b;
}

/** Memory statistics of the pool (the leak test keeps `liveBytes` flat over many steps). */
export interface GpuMemoryInfo {
  /** Bytes held by live tensors (buffers handed out and not yet returned). */
  readonly liveBytes: number;
  /** Bytes of idle buffers kept in the pool for reuse. */
  readonly pooledBytes: number;
  /** Live buffers. */
  readonly liveBuffers: number;
}

/** One pooled storage buffer; `bytes` is its bucket size. */
export interface PooledBuffer {
  readonly gpu: GPUBuffer;
  readonly bytes: number;
}

/** A compiled kernel with its bind-group layout. */
interface Kernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** The device, its pool and its pending command encoder. */
export class GpuContext {
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private liveBytes = 0;
  private liveBuffers = 0;
  private encoder: GPUCommandEncoder | null = null;
  /** The open compute pass of the encoder: consecutive dispatches share one (WebGPU orders their memory effects). */
  private pass: GPUComputePassEncoder | null = null;
  private pending = 0;
  /**
   * The batch's host-written words (kernel info words, small uploads), written into `arena` by one
   * queue.writeBuffer right before the batch is submitted: queue order puts that write after
   * every earlier batch (which read the arena's previous words) and before this one, so one
   * device buffer serves every batch, with no buffer created per dispatch or upload.
   */
  private readonly arenaBytes = new Uint8Array(ARENA_BYTES);
  private arenaUsed = 0;
  private readonly arena: GPUBuffer;
  private readonly storageAlign: number;
  /** Buffers to destroy once the encoder that uses them is submitted (uploads). */
  private afterSubmit: GPUBuffer[] = [];
  private readonly kernels = new Map<string, Kernel>();
  /** The first validation or out-of-memory error the device reported, thrown at the next read. */
  private deviceError: string | null = null;

  /**
   * The device's error flag: 0, or the largest code (1 + position in `flagNames`) raised by a
   * kernel that met a bad value — an index out of range (the first `indexCodes` names) or a value
   * outside its op's range; checked and cleared by every read.
   */
  readonly flag: GPUBuffer;

  constructor(
    readonly device: GPUDevice,
    /** The op names of the flag's codes. */
    private readonly flagNames: readonly string[] = [],
    /** How many of them (the first) are index kernels; the rest check a value range. */
    private readonly indexCodes: number = flagNames.length,
  ) {
    this.flag = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    this.storageAlign = device.limits.minStorageBufferOffsetAlignment;
    device.addEventListener?.("uncapturederror", (event) => {
      this.deviceError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  // ---------------------------------------------------------------- memory

  /** A storage buffer of at least `bytes` from the pool (contents undefined: callers clear or overwrite it). */
  acquire(bytes: number): PooledBuffer {
    const size = bucketOf(bytes);
    const free = this.pool.get(size);
    let gpu = free?.pop();
    if (gpu !== undefined) this.pooledBytes -= size;
    else {
      gpu = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    }
    this.liveBytes += size;
    this.liveBuffers++;
    return { gpu, bytes: size };
  }

  /**
   * Returns a buffer to the pool. Reuse is safe with work still queued: every later use is encoded
   * after the work that read it, and the queue runs in order (uploads too: see upload).
   */
  release(buffer: PooledBuffer): void {
    this.liveBytes -= buffer.bytes;
    this.liveBuffers--;
    if (this.pooledBytes + buffer.bytes > POOL_LIMIT) {
      this.afterSubmit.push(buffer.gpu);
      return;
    }
    let free = this.pool.get(buffer.bytes);
    if (free === undefined) this.pool.set(buffer.bytes, (free = []));
    free.push(buffer.gpu);
    this.pooledBytes += buffer.bytes;
  }

  memory(): GpuMemoryInfo {
    return { liveBytes: this.liveBytes, pooledBytes: this.pooledBytes, liveBuffers: this.liveBuffers };
  }

  // ---------------------------------------------------------------- commands

  /** The pending encoder (one for many dispatches), for a copy or clear: outside any compute pass. */
  private commands(): GPUCommandEncoder {
    this.endPass();
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /**
   * Copies host words into `dst` at byte offset `at`, in order with the encoded work: through a
   * staging buffer and a copy command rather than queue.writeBuffer, which would run before the
   * dispatches still waiting in the encoder (and so overwrite a pooled buffer they read).
   */
  upload(dst: GPUBuffer, at: number, words: Int32Array | Float32Array | Uint32Array): void {
    if (words.byteLength === 0) return;
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    if (words.byteLength <= ARENA_UPLOAD_BYTES) {
      const from = this.arenaPlace(bytes, words.byteLength, WORD);
      this.commands().copyBufferToBuffer(this.arena, from, dst, at, words.byteLength);
      return;
    }
    const size = Math.ceil(words.byteLength / WORD) * WORD;
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(bytes);
    staging.unmap();
    this.commands().copyBufferToBuffer(staging, 0, dst, at, size);
    this.afterSubmit.push(staging);
  }

  /** Zero-fills `bytes` of `dst` (a multiple of 4), in order with the encoded work. */
  clear(dst: GPUBuffer, bytes: number): void {
    if (bytes > 0) this.commands().clearBuffer(dst, 0, bytes);
  }

  /** The compute pipeline for a WGSL source, compiled once. */
  private kernel(source: string): Kernel {
    let k = this.kernels.get(source);
    if (k === undefined) {
      const module = this.device.createShaderModule({ code: source });
      const pipeline = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
      k = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.kernels.set(source, k);
    }
    return k;
  }

  /**
   * Encodes one dispatch of `source` (entry point `main`, @group(0) bindings 0..n in the order of
   * `buffers`, binding 0 the i32 metadata words `meta`) over `groups` workgroups.
   */
  dispatch(source: string, meta: Int32Array, buffers: readonly GPUBuffer[], groups: readonly [number, number, number]): void {
    const { pipeline, layout } = this.kernel(source);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: this.metaBinding(meta) }];
    for (let i = 0; i < buffers.length; i++) entries.push({ binding: i + 1, resource: { buffer: buffers[i] } });
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = (this.pass ??= (this.encoder ??= this.device.createCommandEncoder()).beginComputePass());
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (++this.pending >= MAX_BATCH) this.submit();
  }

  /** Where a dispatch's info words will be: a slice of the batch's arena. */
  private metaBinding(meta: Int32Array): GPUBufferBinding {
    const size = Math.max(16, meta.byteLength);
    if (size > ARENA_BYTES) {
      // (no kernel has this many words; a buffer of their own keeps it working if one ever does)
      const own = this.device.createBuffer({ size, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
      new Int32Array(own.getMappedRange()).set(meta);
      own.unmap();
      this.afterSubmit.push(own);
      return { buffer: own };
    }
    const offset = this.arenaPlace(new Uint8Array(meta.buffer, meta.byteOffset, meta.byteLength), size, this.storageAlign);
    return { buffer: this.arena, offset, size };
  }

  /**
   * Places `data` (zero-padded to `size` bytes) in the batch's arena at a multiple of `align`
   * and returns that offset; submits the batch first when it does not fit.
   */
  private arenaPlace(data: Uint8Array, size: number, align: number): number {
    let at = Math.ceil(this.arenaUsed / align) * align;
    if (at + size > ARENA_BYTES) {
      this.submit();
      at = 0;
    }
    this.arenaBytes.set(data, at);
    this.arenaBytes.fill(0, at + data.byteLength, at + size);
    this.arenaUsed = at + size;
    return at;
  }

  /** Submits the pending encoder (a no-op when nothing is waiting). */
  submit(): void {
    if (this.encoder === null) return;
    this.endPass();
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaBytes, 0, Math.ceil(this.arenaUsed / WORD) * WORD);
    this.arenaUsed = 0;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pending = 0;
    // Destroying a buffer that submitted work still uses is allowed: WebGPU frees it once that work is done.
    for (const b of this.afterSubmit) b.destroy();
    this.afterSubmit = [];
  }

  /** The first `bytes` of `src`, once every dispatch encoded so far has run. */
  async read(src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(WORD, Math.ceil(bytes / WORD) * WORD);
    // The data, then the index kernels' error flag (cleared for the next batch).
    const staging = this.device.createBuffer({ size: size + 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    this.commands().copyBufferToBuffer(src, 0, staging, 0, size);
    this.commands().copyBufferToBuffer(this.flag, 0, staging, size, 16);
    this.commands().clearBuffer(this.flag, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      staging.destroy();
      throw new ValueError(`webgpu: reading device memory failed (${this.deviceError ?? String(e)})`);
    }
    const mapped = staging.getMappedRange(); // once: a second, overlapping range is an error
    const copy = mapped.slice(0, bytes);
    const flag = new Int32Array(mapped, size, 1)[0];
    staging.unmap();
    staging.destroy();
    if (flag > this.indexCodes) {
      const op = this.flagNames[flag - 1] ?? "a range-checked kernel";
      throw new ValueError(
        `webgpu: ${op}: ${RANGE_RULES[op] ?? "a value was outside the op's range"} (found on the GPU). ` +
          "GPU values are checked without a host read, so the error shows at the next read from the GPU, this one",
      );
    }
    if (flag !== 0) {
      throw new IndexError(
        `webgpu: ${this.flagNames[flag - 1] ?? "an index kernel"}: an index was out of range (the kernel skipped it). ` +
          "GPU indices are checked without a host read, so the error shows at the next read from the GPU, this one",
      );
    }
    if (this.deviceError !== null) {
      const message = this.deviceError;
      this.deviceError = null;
      throw new ValueError(`webgpu: the device reported an error: ${message}`);
    }
    return copy;
  }
}

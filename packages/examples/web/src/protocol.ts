/** The messages between the page (main.ts) and the training worker (train.worker.ts). */

/** What the page asks the worker to do. */
export type ToWorker =
  /** Generate the digits and train the classifier (a new network each time). */
  | { readonly type: "train"; readonly epochs: number; readonly trainSize: number; readonly testSize: number; readonly seed: number }
  /** Stop training after the current batch. */
  | { readonly type: "stop" }
  /** Classify one 28×28 image (row-major, ink in [0, 1]). */
  | { readonly type: "predict"; readonly pixels: Float32Array }
  /** Send the network's weights as a safetensors file. */
  | { readonly type: "save" }
  /** Load weights from a safetensors file into the network. */
  | { readonly type: "load"; readonly bytes: Uint8Array }
  /** Fit the sine curve, reporting the fit every `every` steps. */
  | { readonly type: "sine"; readonly steps: number; readonly every: number };

/** The wasm backend's build and threads, as the worker sees them. */
export interface BackendInfo {
  /** The default backend's name ("wasm" or "cpu"). */
  readonly backend: string;
  /** WebAssembly SIMD, relaxed SIMD, and whether the matmul kernels use fused multiply-add. */
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly fma: boolean;
  /** The engine refused to compile WebAssembly (CSP without 'wasm-unsafe-eval'): the cpu kernels run. */
  readonly compileRefused: boolean;
  /** Threads large kernels may use (1 without cross-origin isolation). */
  readonly threads: number;
  /** Whether the worker is cross-origin isolated (shared memory, so threads). */
  readonly isolated: boolean;
}

/** What the worker reports. */
export type FromWorker =
  | { readonly type: "info"; readonly info: BackendInfo }
  | { readonly type: "status"; readonly text: string }
  /** Training progress: batches done of all, and the mean cost of the latest batches. */
  | { readonly type: "progress"; readonly epoch: number; readonly epochs: number; readonly done: number; readonly total: number; readonly loss: number }
  /** Test accuracy after `done` batches. */
  | { readonly type: "accuracy"; readonly done: number; readonly accuracy: number }
  | { readonly type: "trained"; readonly accuracy: number; readonly seconds: number; readonly stopped: boolean }
  /** Class probabilities (softmax of the network's outputs) for a drawn digit. */
  | { readonly type: "prediction"; readonly probabilities: readonly number[] }
  | { readonly type: "saved"; readonly bytes: Uint8Array<ArrayBuffer> }
  /** Weights loaded; their test accuracy where there is a test set. */
  | { readonly type: "loaded"; readonly accuracy: number | null; readonly parameters: number }
  /** The sine data and the grid the fit is drawn on. */
  | { readonly type: "sine-data"; readonly x: readonly number[]; readonly y: readonly number[]; readonly grid: readonly number[] }
  /** The sine fit on the grid after `step` steps, and its mean squared error on the data. */
  | { readonly type: "sine-step"; readonly step: number; readonly steps: number; readonly mse: number; readonly fit: readonly number[] }
  /** A request failed; `request` names which (the page stops waiting for its answer). */
  | { readonly type: "error"; readonly message: string; readonly request: ToWorker["type"] };

/**
 * The live training page: buttons and charts on this thread, all tensor work in train.worker.ts.
 * Element ids are what test/browser/live-page.test.ts drives.
 */

import { LineChart } from "./chart.js";
import { DrawPad, drawInput } from "./draw-pad.js";
import type { BackendInfo, FromWorker, ToWorker } from "./protocol.js";

/** The element with this id, which index.html must have. */
function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`live page: #${id} is missing or not a ${type.name}`);
  return el;
}

const ui = {
  info: byId("info", HTMLElement),
  epochs: byId("epochs", HTMLInputElement),
  trainSize: byId("train-size", HTMLInputElement),
  train: byId("train", HTMLButtonElement),
  stop: byId("stop", HTMLButtonElement),
  progress: byId("progress", HTMLProgressElement),
  status: byId("status", HTMLElement),
  save: byId("save", HTMLButtonElement),
  load: byId("load", HTMLInputElement),
  pad: byId("pad", HTMLCanvasElement),
  preview: byId("input-preview", HTMLCanvasElement),
  prediction: byId("prediction", HTMLElement),
  probabilities: byId("probabilities", HTMLOListElement),
  clear: byId("clear", HTMLButtonElement),
  sineRun: byId("sine-run", HTMLButtonElement),
  sineStatus: byId("sine-status", HTMLElement),
};

const lossChart = new LineChart(byId("loss-chart", HTMLCanvasElement), {
  series: [{ label: "training loss (cross-entropy)", color: "#e4572e" }],
  y: [0, 2.5],
  xLabel: "batches",
});
const accuracyChart = new LineChart(byId("accuracy-chart", HTMLCanvasElement), {
  series: [{ label: "test accuracy", color: "#2f6fdf" }],
  y: [0, 1],
  xLabel: "batches",
  format: (v) => (v <= 1 && v > 0 ? `${Math.round(v * 100)}%` : String(Number(v.toPrecision(3)))),
});
const sineChart = new LineChart(byId("sine-chart", HTMLCanvasElement), {
  series: [{ label: "data", color: "#888", dots: true }, { label: "network", color: "#e4572e" }],
  x: [0, 1],
  y: [-25, 25],
  xLabel: "x",
});

/** A worker running train.worker.ts, its messages handled by `onMessage`. */
function startWorker(onMessage: (m: FromWorker) => void): (m: ToWorker, transfer?: Transferable[]) => void {
  const worker = new Worker(new URL("./train.worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => showError(`worker: ${e.message}`);
  return (m, transfer = []) => worker.postMessage(m, transfer);
}

/** Shows an error under the training controls (and in the console). */
function showError(message: string): void {
  ui.status.textContent = `error: ${message}`;
  ui.status.classList.add("error");
  console.error(message);
}

/** The info line: backend, kernel build, threads and whether the page is cross-origin isolated. */
function describeBackend(info: BackendInfo): string {
  const wasmBuild = info.compileRefused
    ? "wasm on the cpu kernels (WebAssembly refused: the CSP lacks 'wasm-unsafe-eval')"
    : `wasm ${info.simd ? "SIMD" : "without SIMD"}${info.fma ? " + FMA (relaxed SIMD)" : ""}`;
  const build = info.backend === "wasm" ? wasmBuild : info.backend;
  const isolation = info.isolated ? "cross-origin isolated" : "not cross-origin isolated, so one thread";
  return `backend ${build} · ${info.threads} thread${info.threads === 1 ? "" : "s"} · ${isolation}`;
}

// --- the digits worker: training, predictions, weights

let trained = false;
const digits = startWorker((m) => {
  switch (m.type) {
    case "info":
      ui.info.textContent = describeBackend(m.info);
      ui.info.dataset.threads = String(m.info.threads);
      ui.info.dataset.backend = m.info.backend;
      return;
    case "status":
      ui.status.textContent = m.text;
      return;
    case "progress":
      ui.progress.value = m.done / m.total;
      ui.status.textContent = `epoch ${m.epoch} of ${m.epochs} · batch ${m.done} of ${m.total} · loss ${m.loss.toFixed(3)}`;
      lossChart.push(0, m.done, m.loss);
      return;
    case "accuracy":
      accuracyChart.push(0, m.done, m.accuracy);
      return;
    case "trained":
      trained = true;
      ui.progress.value = 1;
      ui.status.textContent = `${m.stopped ? "stopped" : "trained"}: test accuracy ${(100 * m.accuracy).toFixed(1)}% after ${m.seconds.toFixed(1)} s`;
      ui.status.dataset.accuracy = String(m.accuracy);
      setTraining(false);
      predictDrawing();
      return;
    case "prediction":
      pending--;
      ui.prediction.dataset.pending = String(pending);
      showPrediction(m.probabilities);
      return;
    case "saved":
      download(m.bytes, "tensorgrad-digits.safetensors");
      return;
    case "loaded":
      trained = true;
      ui.status.textContent = `loaded ${m.parameters} weights` + (m.accuracy === null ? "" : `: test accuracy ${(100 * m.accuracy).toFixed(1)}%`);
      ui.status.dataset.loaded = String(m.accuracy);
      predictDrawing();
      return;
    case "error":
      if (m.request === "predict") {
        pending--; // a failed prediction is answered too
        ui.prediction.dataset.pending = String(pending);
      }
      showError(m.message);
      setTraining(false);
      return;
    case "sine-data":
    case "sine-step":
      return; // the sine fit runs in its own worker
    default:
      m satisfies never;
  }
});

function setTraining(on: boolean): void {
  ui.train.disabled = on;
  ui.stop.disabled = !on;
  ui.load.disabled = on;
  document.body.dataset.training = on ? "running" : trained ? "done" : "idle";
}

ui.train.addEventListener("click", () => {
  const epochs = Math.max(1, Math.min(30, Math.round(Number(ui.epochs.value)) || 3));
  const trainSize = Math.max(100, Math.min(60000, Math.round(Number(ui.trainSize.value)) || 10000));
  lossChart.reset();
  accuracyChart.reset();
  ui.progress.value = 0;
  ui.status.classList.remove("error");
  setTraining(true);
  digits({ type: "train", epochs, trainSize, testSize: 2000, seed: 42 });
});
ui.stop.addEventListener("click", () => digits({ type: "stop" }));
ui.save.addEventListener("click", () => digits({ type: "save" }));
ui.load.addEventListener("change", () => {
  const file = ui.load.files?.[0];
  if (!file) return;
  void file.arrayBuffer().then((buffer) => digits({ type: "load", bytes: new Uint8Array(buffer) }, [buffer]));
  ui.load.value = "";
});

function download(bytes: Uint8Array<ArrayBuffer>, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// --- drawing and prediction

const pad = new DrawPad(ui.pad, predictDrawing);
let pending = 0; // predictions asked for and not answered yet

function predictDrawing(): void {
  const pixels = pad.toInput();
  drawInput(ui.preview, pixels);
  if (!pixels) return showPrediction(null);
  if (!trained) {
    ui.prediction.textContent = "train first";
    return;
  }
  pending++;
  ui.prediction.dataset.pending = String(pending);
  digits({ type: "predict", pixels }, [pixels.buffer]);
}

const bars = Array.from({ length: 10 }, (_, d) => {
  const li = document.createElement("li");
  const label = document.createElement("span");
  label.textContent = String(d);
  const bar = document.createElement("div");
  bar.className = "bar";
  const value = document.createElement("span");
  li.append(label, bar, value);
  ui.probabilities.append(li);
  return { li, bar, value };
});

function showPrediction(probabilities: readonly number[] | null): void {
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  ui.prediction.textContent = best < 0 ? "?" : String(best);
  ui.prediction.dataset.digit = String(best);
  bars.forEach((b, d) => {
    const p = probabilities?.[d] ?? 0;
    b.bar.style.width = `${(100 * p).toFixed(1)}%`;
    b.value.textContent = probabilities ? `${(100 * p).toFixed(1)}%` : "";
    b.li.classList.toggle("best", d === best);
  });
}

ui.clear.addEventListener("click", () => {
  pad.clear();
  predictDrawing();
});
showPrediction(null);

// --- the sine fit, in a second worker so it can run while the digits train

let sineGrid: readonly number[] = [];
const sine = startWorker((m) => {
  switch (m.type) {
    case "sine-data":
      sineGrid = m.grid;
      sineChart.set(0, m.x, m.y);
      return;
    case "sine-step":
      sineChart.set(1, sineGrid, m.fit);
      ui.sineStatus.textContent = `step ${m.step} of ${m.steps} · MSE ${m.mse.toFixed(3)}`;
      if (m.step === m.steps) {
        ui.sineRun.disabled = false;
        ui.sineStatus.dataset.mse = String(m.mse);
      }
      return;
    case "error":
      ui.sineStatus.textContent = `error: ${m.message}`;
      ui.sineRun.disabled = false;
      console.error(m.message);
      return;
    default:
      return; // info and the digits' messages: not for this panel
  }
});
ui.sineRun.addEventListener("click", () => {
  ui.sineRun.disabled = true;
  delete ui.sineStatus.dataset.mse;
  sine({ type: "sine", steps: 4000, every: 25 });
});
setTraining(false);

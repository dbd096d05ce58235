/**
 * Training on webgpu in a web page: headless Chromium (Debian's /usr/bin/chromium, or
 * CHROMIUM_PATH, driven by playwright-core through its executablePath; .ci/run installs it) with
 * WebGPU on (`--enable-unsafe-webgpu --enable-features=Vulkan`: SwiftShader where there is no GPU).
 * The page loads the built packages (packages/autograd/dist and packages/nn/dist, which `pnpm test`
 * builds first) through an import map, served from 127.0.0.1 (a secure context, as WebGPU needs).
 *
 * It trains the same seeded MLP with crossEntropy, Adam and clipGradNorm_ ({ returnTensor: true })
 * on a toy 3-class dataset on the cpu and on webgpu, reading the webgpu losses only after the
 * loop (a sync read inside a step would throw), and the test checks that the loss falls and that
 * both devices give the same losses within float32 tolerance. It never skips: a missing browser
 * or adapter is a failure.
 */

import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DIST: Record<string, string> = { autograd: join(root, "packages/autograd/dist"), nn: join(root, "packages/nn/dist") };

const PAGE = `<!doctype html><title>tensorgrad on webgpu</title><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "@tensorgrad/autograd": "/autograd/index.js", "@tensorgrad/nn": "/nn/index.js" } }</script>
<script type="module" src="/train.js"></script>`;

/** The page's program: the same training on "cpu" and "webgpu", losses posted to window.result. */
const TRAIN = `import { Generator, initWebGPU, noGrad, randn, tensor } from "@tensorgrad/autograd";
import { Linear, ReLU, Sequential, crossEntropy, optim } from "@tensorgrad/nn";

/** Three interleaved spiral arms, 40 points each (no randomness). */
function spirals() {
  const xs = [], ts = [];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 40; i++) {
    const r = 0.1 + (0.9 * i) / 40, a = (c * 2 * Math.PI) / 3 + 2.5 * r;
    xs.push([r * Math.cos(a), r * Math.sin(a)]);
    ts.push(c);
  }
  return { x: tensor(xs, { device: "cpu" }), t: tensor(ts, { dtype: "int32", device: "cpu" }) };
}

function mlp() {
  const model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 32), new ReLU(), new Linear(32, 3));
  const gen = new Generator(15);
  noGrad(() => { for (const p of model.parameters()) p.copy_(randn(p.shape, { device: "cpu", generator: gen }).mul(0.4)); });
  return model;
}

function train(device, steps) {
  const { x, t } = spirals();
  const model = mlp().to(device);
  const opt = new optim.Adam(model.parameters(), { lr: 0.03 });
  const [xd, td] = [x.to(device), t.to(device)];
  const losses = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = crossEntropy(model.call(xd), td);
    loss.backward();
    optim.clipGradNorm_(model.parameters(), 5, 2, { returnTensor: true });
    opt.step();
    losses.push(loss.detach()); // read after the loop
  }
  return losses;
}

try {
  const info = await initWebGPU();
  const steps = 60;
  const started = performance.now();
  const gpu = train("webgpu", steps);
  const gpuLosses = await Promise.all(gpu.map((l) => l.itemAsync()));
  const seconds = (performance.now() - started) / 1000;
  const cpuLosses = train("cpu", steps).map((l) => l.item());
  window.result = { adapter: info.adapter, device: gpu[0].device, gpuLosses, cpuLosses, seconds };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
`;

/** Serves the page, its program and the two dist folders on 127.0.0.1. */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const [, top, ...rest] = path.split("/");
    let body: string | Buffer | undefined;
    if (path === "/" || path === "/index.html") body = PAGE;
    else if (path === "/train.js") body = TRAIN;
    else if (DIST[top] !== undefined) {
      const file = normalize(join(DIST[top], rest.join("/")));
      if (file.startsWith(DIST[top]) && existsSync(file)) body = readFileSync(file);
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": path.endsWith(".js") ? "text/javascript" : "text/html" });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let browser: Browser;
let server: Server;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's chromium (apt-get install chromium; .ci/run installs it)`);
  for (const [name, dir] of Object.entries(DIST)) {
    if (!existsSync(join(dir, "index.js"))) throw new Error(`${dir} is missing: run \`pnpm build\` (pnpm test builds before vitest) — needed for @tensorgrad/${name}`);
  }
  server = await serve();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server) await new Promise((resolve) => server.close(resolve));
});

interface PageResult {
  readonly error?: string;
  readonly adapter: string;
  readonly device: string;
  readonly gpuLosses: number[];
  readonly cpuLosses: number[];
  readonly seconds: number;
}

describe("training on webgpu in Chromium", () => {
  it("an MLP with crossEntropy, Adam and clipGradNorm_ trains on webgpu in a page: the loss falls and matches the cpu's", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction("window.result !== undefined", undefined, { timeout: 50_000 });
    const result = (await page.evaluate("window.result")) as PageResult;
    expect(result.error).toBeUndefined();
    expect(result.device).toBe("webgpu");
    const { gpuLosses: gpu, cpuLosses: cpu } = result;
    expect(gpu).toHaveLength(60);
    expect(gpu[0]).toBeGreaterThan(0.9); // about ln 3 at the start
    expect(gpu.at(-1)!).toBeLessThan(gpu[0] * 0.5);
    // float32 on both devices, different summation orders: the trajectories agree closely
    for (let i = 0; i < gpu.length; i++) expect(Math.abs(gpu[i] - cpu[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(cpu[i])));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

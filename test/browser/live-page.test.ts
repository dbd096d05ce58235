/**
 * The live training page (packages/examples/web) in a real browser: Debian's Chromium
 * (/usr/bin/chromium, or CHROMIUM_PATH), driven by playwright-core through its executablePath
 * (playwright-core has no install script and never downloads a browser; .ci/run installs chromium).
 * The page is built with Vite into a temporary folder and served on 127.0.0.1 by a small static
 * server that sends different headers under each path prefix:
 *
 * - /isolated/: COOP/COEP, so the worker is cross-origin isolated and the wasm kernels get threads;
 * - /plain/: no headers, one thread;
 * - /csp/: a Content-Security-Policy without 'wasm-unsafe-eval': the cpu kernels, with a warning;
 * - /csp-blob/: COOP/COEP and a CSP without worker-src blob:: one thread, with a warning.
 *
 * On the isolated page it trains the digits until the test accuracy passes a bound, draws digits
 * on the canvas with mouse events and checks the predictions, saves the weights and loads them
 * back, runs the sine fit, checks the layout at a phone's width, and saves screenshots to
 * test/.generated/browser/. A phone (360 px, touch) then loads those weights into a fresh page
 * through the file picker and recognises digits drawn with a finger. No page may log a console error.
 *
 * One more page, sync-loop.html, runs the built @tensorgrad/autograd (packages/autograd/dist, which
 * `pnpm test` builds first) in an isolated worker that asks for threads and then runs past the
 * 10 s start-up window before it first yields: the threads must stay on.
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const examples = join(root, "packages/examples");
const screenshots = join(root, "test/.generated/browser");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
/** Headers by path prefix (see the file comment). */
const MODES: Record<string, Record<string, string>> = {
  isolated: ISOLATION,
  plain: {},
  csp: { "Content-Security-Policy": "script-src 'self'; worker-src 'self' blob:" },
  "csp-blob": { ...ISOLATION, "Content-Security-Policy": "script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'" },
};
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const autogradDist = join(root, "packages/autograd/dist");

/** A page whose worker runs a synchronous loop longer than the threads' start-up window before its first yield. */
const SYNC_LOOP: Record<string, string> = {
  "sync-loop.html": `<!doctype html><title>sync loop</title><link rel="icon" href="data:,">
<script type="module">
const worker = new Worker("./sync-loop.worker.js", { type: "module" });
worker.onmessage = (e) => { window.result = e.data; };
worker.onerror = (e) => { window.result = { error: e.message }; };
</script>`,
  "sync-loop.worker.js": `import * as tg from "./lib/index.js";
tg.setNumThreads(2);
const a = tg.randn([256, 256]), b = tg.randn([256, 256]);
a.matmul(b); // large enough to ask for a worker thread, which cannot start before this thread yields
const now = Date.now;
Date.now = () => now() + 11_000; // as if a synchronous loop had run for 11 s (without the wait)
a.matmul(b);
const beforeYield = tg.getNumThreads();
for (let i = 0; i < 20; i++) {
  await new Promise((r) => setTimeout(r, 25)); // yield: the worker starts
  a.matmul(b);
}
postMessage({ beforeYield, after: tg.getNumThreads(), isolated: self.crossOriginIsolated });
`,
};

/** Builds the page with the examples package's Vite into `out`. */
function buildPage(out: string): void {
  const vite = join(examples, "node_modules/vite/bin/vite.js"); // the examples package's devDependency
  const r = spawnSync(process.execPath, [vite, "build", "--config", "web/vite.config.ts", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"], {
    cwd: examples, encoding: "utf8", timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`vite build failed (status ${r.status}): ${r.error?.message ?? ""}\n${r.stdout}\n${r.stderr}`);
}

/** Serves `dir` on 127.0.0.1 under /<mode>/ with that mode's headers. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const [, mode, ...rest] = (req.url ?? "/").split("?")[0].split("/");
    const headers = MODES[mode];
    const path = rest.join("/") || "index.html";
    const from = rest[0] === "lib" ? autogradDist : dir;
    const file = normalize(join(from, rest[0] === "lib" ? rest.slice(1).join("/") : path));
    const body = SYNC_LOOP[path] ?? (file.startsWith(from) && existsSync(file) ? readFileSync(file) : undefined);
    if (!headers || body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream", ...headers });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** A phone's screen: 360 CSS pixels wide, touch, the page's viewport meta tag honoured. */
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };

/** A page whose console messages (its workers' too) and uncaught errors are collected. */
async function open(browser: Browser, url: string, options: Parameters<Browser["newPage"]>[0] = {}): Promise<{ page: Page; messages: ConsoleMessage[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, ...options });
  const messages: ConsoleMessage[] = [];
  const errors: string[] = [];
  page.on("console", (m) => messages.push(m));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("#info[data-backend]");
  return { page, messages, errors };
}

const consoleErrors = (messages: ConsoleMessage[]): string[] => messages.filter((m) => m.type() === "error").map((m) => m.text());
const warningsOf = (messages: ConsoleMessage[], code: string): string[] => messages.filter((m) => m.type() === "warning" && m.text().includes(code)).map((m) => m.text());

/** Trains from the page's controls and returns the final test accuracy. */
async function train(page: Page, epochs: number, images: number): Promise<number> {
  await page.fill("#epochs", String(epochs));
  await page.fill("#train-size", String(images));
  await page.click("#train");
  await page.waitForSelector("body[data-training=done]", { timeout: 90_000 });
  return Number(await page.getAttribute("#status", "data-accuracy"));
}

/** The digits' strokes as the training glyphs draw them (digit-glyphs.ts), in the unit box. */
const STROKES: Record<number, [number, number][][]> = {
  1: [[[0.5, 0.18], [0.5, 0.82]]],
  7: [[[0.28, 0.2], [0.72, 0.2], [0.43, 0.82]]],
  0: [Array.from({ length: 25 }, (_, i): [number, number] => [0.5 + 0.2 * Math.cos((i * Math.PI) / 12), 0.5 + 0.32 * Math.sin((i * Math.PI) / 12)])],
};

/** Clears the pad with a click or a tap, and waits until the page shows no prediction (so nothing drawn before remains). */
async function clearPad(page: Page, pointer: "mouse" | "finger"): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await (pointer === "mouse" ? page.click("#clear") : page.tap("#clear"));
    try {
      await page.waitForSelector('#prediction[data-digit="-1"]', { timeout: 2_000 });
      return;
    } catch (e) {
      // Chromium drops a tap that comes within ~100 ms of the end of a synthetic touch stroke, faster than a person taps
      if (attempt === 3) throw e;
    }
  }
}

/** Draws `digit` on the pad with mouse events, or with a finger (touch events), and returns the page's prediction. */
async function drawAndPredict(page: Page, digit: number, pointer: "mouse" | "finger" = "mouse"): Promise<number> {
  await clearPad(page, pointer);
  const pad = page.locator("#pad");
  await pad.scrollIntoViewIfNeeded(); // on a phone the Clear button lies below the pad: tapping it may scroll the pad away
  const box = await pad.boundingBox(); // in the viewport's coordinates, which mouse and touch events take
  if (!box) throw new Error("the pad is not visible");
  const at = ([x, y]: [number, number]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  if (pointer === "finger") {
    // playwright-core taps but does not drag a finger: Chromium's own touch input (DevTools protocol)
    const cdp = await page.context().newCDPSession(page);
    for (const stroke of STROKES[digit]) {
      await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [at(stroke[0])] });
      for (let i = 1; i < stroke.length; i++) {
        for (let k = 1; k <= 8; k++) {
          const t = k / 8, [x0, y0] = stroke[i - 1], [x1, y1] = stroke[i];
          await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [at([x0 + t * (x1 - x0), y0 + t * (y1 - y0)])] });
        }
      }
      await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
    }
    await cdp.detach();
  } else {
    for (const stroke of STROKES[digit]) {
      const start = at(stroke[0]);
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      for (const p of stroke.slice(1)) await page.mouse.move(at(p).x, at(p).y, { steps: 8 });
      await page.mouse.up();
    }
  }
  // every prediction asked for is answered, and one is shown (the test's tsconfig has no DOM types, hence a string)
  await page.waitForFunction(`(() => { const p = document.getElementById("prediction"); return p.dataset.pending === "0" && p.dataset.digit !== "-1"; })()`);
  return Number(await page.getAttribute("#prediction", "data-digit"));
}

let browser: Browser;
let server: Server;
let base: string;
/** The safetensors file the first test downloads from the page, which the phone test loads. */
let savedWeights: string | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the browser test needs Debian's chromium (apt-get install chromium; .ci/run installs it)`);
  const out = tempDir("live-page");
  buildPage(out);
  server = await serve(out);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless=new", "--no-sandbox"] });
  mkdirSync(screenshots, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) await new Promise((resolve) => server.close(resolve));
});

describe("the live training page in Chromium", () => {
  it("cross-origin isolated: trains the digits with threads, predicts drawn digits, saves and loads weights, fits the sine", async () => {
    const { page, messages, errors } = await open(browser, `${base}/isolated/`);
    expect(await page.textContent("#info")).toContain("cross-origin isolated");
    expect(await page.getAttribute("#info", "data-backend")).toBe("wasm");

    const accuracy = await train(page, 2, 6000);
    expect(accuracy).toBeGreaterThan(0.9);
    const cores = Number(await page.evaluate("navigator.hardwareConcurrency"));
    expect(Number(await page.getAttribute("#info", "data-threads"))).toBe(Math.min(cores, 8));

    for (const digit of [1, 7, 0]) expect(await drawAndPredict(page, digit)).toBe(digit);
    const shown = await page.$$eval("#probabilities li span:last-child", (spans) => spans.map((s) => parseFloat(s.textContent ?? "")));
    expect(shown.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0); // softmax probabilities, in percent

    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    const file = join(tempDir("live-page-weights"), download.suggestedFilename());
    savedWeights = file;
    await download.saveAs(file);
    const bytes = readFileSync(file);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8")) as Record<string, { shape?: number[] }>;
    expect(header["0.weight"].shape).toEqual([30, 784]);
    expect(header["2.weight"].shape).toEqual([10, 30]);
    await page.setInputFiles("#load", file);
    await page.waitForSelector("#status[data-loaded]");
    expect(Number(await page.getAttribute("#status", "data-loaded"))).toBe(accuracy); // same weights, same test set

    await page.click("#sine-run");
    // animated: the fit is shown step by step on the way, not only at the end
    await page.waitForFunction(`/^step [1-9][0-9]* of 4000 /.test(document.getElementById("sine-status").textContent) && !document.getElementById("sine-status").textContent.startsWith("step 4000")`);
    await page.waitForSelector("#sine-status[data-mse]", { timeout: 60_000 });
    expect(Number(await page.getAttribute("#sine-status", "data-mse"))).toBeLessThan(1); // from a variance of 200

    await page.screenshot({ path: join(screenshots, "live-page.png"), fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    expect(Number(await page.evaluate("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(screenshots, "live-page-360px.png"), fullPage: true });
    expect(errors).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    expect(warningsOf(messages, "TENSORGRAD")).toEqual([]); // the threads started
    await page.close();
  }, 110_000);

  it("on a phone: no sideways scrolling; weights saved above load into a fresh page, and digits drawn with a finger are recognised", async () => {
    if (!savedWeights) throw new Error("no weights file: the first test (which trains and saves them) did not get that far");
    const { page, messages, errors } = await open(browser, `${base}/isolated/`, PHONE);
    expect(Number(await page.evaluate("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(360);
    await page.setInputFiles("#load", savedWeights);
    await page.waitForSelector("#status[data-loaded]");
    expect(Number(await page.getAttribute("#status", "data-loaded"))).toBeGreaterThan(0.9); // on the loader's own test digits
    for (const digit of [1, 7]) expect(await drawAndPredict(page, digit, "finger")).toBe(digit);
    expect(Number(await page.evaluate("document.documentElement.scrollWidth"))).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(screenshots, "live-page-phone.png") });
    expect(errors).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    await page.close();
  }, 60_000);

  it("isolated: a synchronous loop past the 10 s start-up window before the first yield leaves the threads on", async () => {
    if (!existsSync(join(autogradDist, "index.js"))) throw new Error(`${autogradDist} is missing: run \`pnpm build\` (pnpm test builds before vitest)`);
    const page = await browser.newPage();
    const messages: ConsoleMessage[] = [];
    page.on("console", (m) => messages.push(m));
    await page.goto(`${base}/isolated/sync-loop.html`);
    await page.waitForFunction("window.result !== undefined");
    expect(await page.evaluate("window.result")).toEqual({ beforeYield: 2, after: 2, isolated: true });
    expect(warningsOf(messages, "TENSORGRAD")).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    await page.close();
  }, 30_000);

  it("not isolated: one thread, and it still trains", async () => {
    const { page, messages, errors } = await open(browser, `${base}/plain/`);
    expect(await page.textContent("#info")).toContain("not cross-origin isolated");
    expect(await page.getAttribute("#info", "data-threads")).toBe("1");
    expect(await train(page, 1, 2000)).toBeGreaterThan(0.6);
    expect(errors).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    await page.close();
  }, 60_000);

  it("a CSP without 'wasm-unsafe-eval': the cpu kernels, one warning naming the fix, and it still trains", async () => {
    const { page, messages, errors } = await open(browser, `${base}/csp/`);
    expect(await train(page, 1, 2000)).toBeGreaterThan(0.6);
    const warnings = warningsOf(messages, "TENSORGRAD_WASM_CSP");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("script-src 'wasm-unsafe-eval'");
    // the info line, re-sent after training, says which kernels ran
    await page.waitForFunction(`document.querySelector("#info")?.textContent?.includes("cpu kernels")`);
    expect(await page.textContent("#info")).toContain("WebAssembly refused");
    expect(errors).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    await page.close();
  }, 60_000);

  it("a CSP without worker-src blob:: one thread, one warning naming the fix", async () => {
    const { page, messages, errors } = await open(browser, `${base}/csp-blob/`);
    expect(await train(page, 1, 2000)).toBeGreaterThan(0.6);
    const warnings = warningsOf(messages, "TENSORGRAD_WASM_THREADS");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("worker-src blob:");
    expect(errors).toEqual([]);
    expect(consoleErrors(messages)).toEqual([]);
    await page.close();
  }, 60_000);
});

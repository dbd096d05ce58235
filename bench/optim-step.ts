/**
 * Optimizer step time: SGD, SGD with momentum, Adam and AdamW over the parameters of W2's
 * 784-128-10 MLP (float32), on every registered backend. Run with
 * `node --import tsx bench/optim-step.ts` after building (`pnpm build`); it times the built
 * packages (packages/{autograd,nn}/dist), best of several runs of 200 steps after a warm-up.
 *
 * `--compare DIR` also times a second checkout's built packages (DIR/packages/{autograd,nn}/dist,
 * e.g. a `git worktree` of an older commit), child processes alternating the two, 3 rounds each,
 * so a claimed speed-up is measured side by side in one run.
 */

import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

type Row = { backend: string; optimizer: string; us: number };

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const OPTIMIZERS = ["SGD", "SGD momentum", "Adam", "AdamW"] as const;

/** Times every optimizer on every backend with the built packages under `base`; returns µs per step. */
async function measure(base: string): Promise<Row[]> {
  const tg = (await import(pathToFileURL(join(base, "packages/autograd/dist/index.js")).href)) as typeof import("../packages/autograd/src/index.js");
  const nn = (await import(pathToFileURL(join(base, "packages/nn/dist/index.js")).href)) as typeof import("../packages/nn/src/index.js");
  const rows: Row[] = [];
  for (const backend of tg.listBackends()) {
    tg.setBackend(backend);
    tg.manualSeed(0);
    const shapes = [[128, 784], [128], [10, 128], [10]];
    const params = shapes.map((s) => tg.randn(s).mul(0.05).requiresGrad_());
    for (const name of OPTIMIZERS) {
      const opt =
        name === "SGD" ? new nn.optim.SGD(params, { lr: 0.01 })
        : name === "SGD momentum" ? new nn.optim.SGD(params, { lr: 0.01, momentum: 0.9 })
        : name === "Adam" ? new nn.optim.Adam(params, { lr: 1e-3 })
        : new nn.optim.AdamW(params, { lr: 1e-3 });
      params.forEach((p, i) => (p.grad = tg.randn(shapes[i]).mul(0.01)));
      for (let i = 0; i < 50; i++) opt.step();
      let best = Infinity;
      for (let run = 0; run < 5; run++) {
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) opt.step();
        best = Math.min(best, ((performance.now() - t0) * 1000) / 200);
      }
      rows.push({ backend, optimizer: name, us: best });
    }
  }
  return rows;
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  process.stdout.write(JSON.stringify(await measure(args[1])));
} else {
  const compareAt = args.indexOf("--compare");
  const bases: [string, string][] = [["this checkout", root]];
  if (compareAt >= 0) {
    const other = args[compareAt + 1];
    if (other === undefined) throw new Error("optim-step: --compare needs a directory (a checkout with built packages)");
    bases.unshift([`--compare ${other}`, resolve(other)]);
  }
  const rounds = bases.length > 1 ? 3 : 1;
  const results = new Map<string, Row[][]>(bases.map(([label]) => [label, []]));
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < rounds; r++) {
    for (const [label, base] of bases) {
      // The child resolves @tensorgrad/* as Node does (to the dist of `base`), not through this
      // repository's tsconfig paths (to its sources), which tsx would otherwise apply.
      const env = { ...process.env, TSX_TSCONFIG_PATH: join(root, "tsconfig.base.json") };
      const child = spawnSync(process.execPath, ["--import", "tsx", self, "--child", base], { encoding: "utf8", env });
      if (child.status !== 0) throw new Error(`optim-step: the child for ${label} failed:\n${child.stderr}`);
      results.get(label)!.push(JSON.parse(child.stdout) as Row[]);
    }
  }
  console.log(`optimizer step over W2's MLP parameters (101,770 float32), µs per step, best of 5×200 steps`);
  console.log(`${cpus()[0]?.model ?? "cpu"}, ${cpus().length} logical cores, Node ${process.version}, ${new Date().toISOString()}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log();
  console.log(`| backend | optimizer | ${bases.map(([label]) => label).join(" | ")} |`);
  console.log(`|---|---|${bases.map(() => "---:").join("|")}|`);
  const first = results.get(bases[0][0])![0];
  for (let i = 0; i < first.length; i++) {
    const cells = bases.map(([label]) => results.get(label)!.map((run) => run[i].us.toFixed(0)).join(" / "));
    console.log(`| ${first[i].backend} | ${first[i].optimizer} | ${cells.join(" | ")} |`);
  }
}

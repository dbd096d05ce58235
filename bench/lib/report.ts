/**
 * Turns the children's outcomes into one table: a column per library (or backend), rows for speed
 * and for the numbers that must agree (W1 probes, W2/W3/W5–W9 losses, W4 gradient). A failed child
 * or a disagreeing number gets a marked cell and a numbered note below the table — never a silent
 * cell; a library that does not run a workload on purpose gets `n/a` and a note saying why.
 */

import { w4ExpectedGrad, type Manifest } from "./data.js";
import { fmt, markdownTable, WORKLOAD_TITLES, type Outcome } from "./harness.js";
import type { WorkloadId, WorkloadResult } from "./protocol.js";

/** One table column: a library (or one tensorgrad backend) and its outcome per workload. */
export interface Column {
  readonly name: string;
  readonly outcomes: Partial<Record<WorkloadId, Outcome>>;
}

/** How to compare. */
export interface ReportOptions {
  /** Column whose times the ratios divide by (library time / baseline time); none: no ratios. */
  readonly baseline?: string;
  /** Largest relative difference of a W2/W3 loss from the median of all columns (float32: 1e-3); W5–W9 carry theirs in the manifest. */
  readonly lossTolerance: number;
  /** Column whose W5–W9 losses the others are checked against when it ran (else the median). */
  readonly modelReference?: string;
}

/** The table, the notes it refers to, and what went wrong. */
export interface Report {
  readonly table: string;
  readonly notes: readonly string[];
  /** Columns with at least one failed child (crash, timeout). */
  readonly failedColumns: ReadonlySet<string>;
  /** Columns with a wrong result or a loss that disagrees with the others. */
  readonly wrongColumns: ReadonlySet<string>;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const relDiff = (x: number, ref: number): number => Math.abs(x - ref) / Math.max(Math.abs(ref), 1e-30);

/** A problem with a result that passed (wrong product, wrong gradient), or null. */
function checkResult(m: Manifest, r: WorkloadResult): string | null {
  if (r.workload === "w1") {
    const probes = r.probes ?? [];
    for (let p = 0; p < m.w1.probes.length; p++) {
      const [i, j, ref] = m.w1.probes[p];
      const got = probes[p];
      if (!(Math.abs(got - ref) <= 1e-3 * (1 + Math.abs(ref)))) return `wrong product: C[${i}][${j}] = ${got}, expected ${ref.toFixed(6)}`;
    }
  }
  if (r.workload === "w4") {
    const { n, b, y0 } = m.w4;
    const a = Math.fround(m.w4.a);
    const expectedGrad = w4ExpectedGrad(m.w4);
    const expectedValue = a ** n * y0 + (Math.fround(b) * (a ** n - 1)) / (a - 1);
    if (r.grad === undefined || !(relDiff(r.grad, expectedGrad) < 1e-3)) return `wrong gradient: ${r.grad}, expected ${fmt(expectedGrad, 6)}`;
    if (r.value === undefined || !(relDiff(r.value, expectedValue) < 1e-3)) return `wrong value: ${r.value}, expected ${fmt(expectedValue, 6)}`;
  }
  return null;
}

/** Builds the comparison table for `workloads` over `columns`. */
export function buildReport(m: Manifest, columns: readonly Column[], workloads: readonly WorkloadId[], options: ReportOptions): Report {
  const notes: string[] = [];
  const failedColumns = new Set<string>();
  const wrongColumns = new Set<string>();
  const noteIndex = new Map<string, number>();
  const note = (column: string, kind: "failed" | "wrong" | "skipped", text: string): string => {
    if (kind !== "skipped") (kind === "failed" ? failedColumns : wrongColumns).add(column);
    const line = `${column}, ${text}`;
    let k = noteIndex.get(line);
    if (k === undefined) {
      notes.push(`[${notes.length + 1}] ${line}`);
      noteIndex.set(line, (k = notes.length));
    }
    return `[${k}]`;
  };
  const ok = (c: Column, w: WorkloadId): WorkloadResult | undefined => {
    const o = c.outcomes[w];
    return o?.ok ? o.result : undefined;
  };
  const base = columns.find((c) => c.name === options.baseline);

  /** A speed/memory row: value per column, the ratio to the baseline, failures as notes. */
  const speedRow = (w: WorkloadId, label: string, unit: string, value: (r: WorkloadResult) => number, ratioOf: (r: WorkloadResult) => number): string[] => {
    const baseResult = base ? ok(base, w) : undefined;
    const cells = columns.map((c) => {
      const o = c.outcomes[w];
      if (!o) return "—";
      if (!o.ok && o.skipped) return `n/a ${note(c.name, "skipped", `${w.toUpperCase()}: ${o.error}`)}`;
      if (!o.ok) return `failed ${note(c.name, "failed", `${w.toUpperCase()}: ${o.error}`)}`;
      const problem = checkResult(m, o.result);
      const flag = problem ? ` ✗${note(c.name, "wrong", `${w.toUpperCase()}: ${problem}`)}` : "";
      const ratio = baseResult && c !== base ? ` (${fmt(ratioOf(o.result) / ratioOf(baseResult), 2)}×)` : "";
      return `${fmt(value(o.result))}${ratio}${flag}`;
    });
    return [label, unit, ...cells];
  };

  /**
   * A loss row: every column against the median of all columns that ran — or, when the
   * `reference` column ran (PyTorch for the model programs, whose recipes are PyTorch's), against it.
   */
  const lossRow = (w: WorkloadId, label: string, pick: (r: WorkloadResult) => number | undefined, tolerance = options.lossTolerance, reference?: string): string[] => {
    const values = columns.map((c) => {
      const r = ok(c, w);
      return r ? pick(r) : undefined;
    });
    const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    const refIndex = reference === undefined ? -1 : columns.findIndex((c) => c.name === reference);
    const refValue = refIndex >= 0 ? values[refIndex] : undefined;
    const ref = refValue !== undefined && Number.isFinite(refValue) ? refValue : finite.length ? median(finite) : NaN;
    const refName = refValue !== undefined && Number.isFinite(refValue) ? `${reference}'s` : "the median";
    const digits = reference === undefined ? 6 : 8; // W5–W9: enough digits to see a 1e-5 difference
    const cells = values.map((v, k) => {
      if (v === undefined) return "—";
      const d = relDiff(v, ref);
      if (!(d < tolerance)) {
        const text = `${label.trim()}: ${v} differs from ${refName} ${ref} by ${fmt(d, 2)} (relative; tolerance ${tolerance})`;
        return `${fmt(v, digits)} ✗${note(columns[k].name, "wrong", text)}`;
      }
      return fmt(v, digits);
    });
    return [label, "", ...cells];
  };

  const rows: string[][] = [];
  const time = (r: WorkloadResult) => r.seconds;
  for (const w of workloads) {
    const title = WORKLOAD_TITLES[w];
    switch (w) {
      case "w1":
        rows.push(speedRow(w, title, "GFLOP/s ↑", (r) => r.gflops ?? NaN, time));
        break;
      case "w2":
        rows.push(speedRow(w, title, "ms/step ↓", (r) => r.seconds * 1e3, time));
        rows.push(lossRow(w, "  W2 loss, step 1", (r) => r.firstLoss));
        rows.push(lossRow(w, `  W2 loss, step ${m.w2.warmup + m.w2.timed}`, (r) => r.loss));
        break;
      case "w3":
        rows.push(speedRow(w, title, "s ↓", time, time));
        rows.push(lossRow(w, `  W3 loss, step ${m.w3.steps}`, (r) => r.loss));
        break;
      case "w4":
        rows.push(speedRow(w, title, "s ↓", time, time));
        rows.push(speedRow(w, "  W4 peak RSS", "MB ↓", (r) => r.peakRssMB, (r) => r.peakRssMB));
        break;
      case "w5":
      case "w6":
      case "w7":
      case "w8":
      case "w9": {
        const spec = m[w];
        const W = w.toUpperCase();
        rows.push(speedRow(w, title, "ms/step ↓", (r) => r.seconds * 1e3, time));
        rows.push(lossRow(w, `  ${W} loss, step 1`, (r) => r.firstLoss, spec.tolerance.first, options.modelReference));
        rows.push(lossRow(w, `  ${W} loss, step ${spec.warmup + spec.timed}`, (r) => r.loss, spec.tolerance.last, options.modelReference));
        break;
      }
      default:
        w satisfies never;
    }
  }
  const header = ["workload", "unit", ...columns.map((c) => c.name)];
  return { table: markdownTable(header, rows), notes, failedColumns, wrongColumns };
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Generator } from "@tensorgrad/autograd";
import { marksTable, runMarks, tableToCsv } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

function csvFile(text: string): string {
  const path = join(tempDir("marks"), "marks.csv");
  writeFileSync(path, text);
  return path;
}

describe("marks example", () => {
  it("the 3-4-1 network learns pass/fail from generated marks", async () => {
    const r = await runMarks({ quiet: true, noPlots: true, iterations: 1500 });
    expect(r.trainRows).toBe(300);
    expect(r.testRows).toBe(100);
    expect(r.history[0].cost).toBeGreaterThan(0.5); // ≈ log 2 at the start
    expect(r.finalCost).toBeLessThan(0.3);
    expect(r.testAccuracy).toBeGreaterThan(0.85);
  });

  it("reads a CSV with columns y,x1,x2,x3 (in any order, extra columns ignored)", async () => {
    const table = marksTable(360, new Generator(5));
    const text = ["id,x3,x1,y,x2", ...table.rows.map((r, i) => [i, r[3], r[1], r[0], r[2]].join(","))].join("\n");
    const r = await runMarks({ quiet: true, noPlots: true, csv: csvFile(text), iterations: 1500 });
    expect(r.testRows).toBe(60);
    expect(r.testAccuracy).toBeGreaterThan(0.8);
  });

  it("explains a broken CSV", async () => {
    const rows = marksTable(320, new Generator(1));
    const run = (text: string) => runMarks({ quiet: true, noPlots: true, iterations: 1, csv: csvFile(text) });
    await expect(run("y,x1,x2\n1,2,3\n")).rejects.toThrow('readCsv: feature column "x3" not found (columns: y, x1, x2)');
    await expect(run("y,x1,x2,x3\n1,50,60,abc\n")).rejects.toThrow(/readCsv: .*abc/);
    await expect(run(tableToCsv({ ...rows, rows: rows.rows.slice(0, 300) }))).rejects.toThrow("marks: need more than 300 rows (the first 300 train, the rest test), got 300");
    const badY = tableToCsv({ ...rows, rows: rows.rows.map((r, i) => (i === 7 ? [2, r[1], r[2], r[3]] : r)) });
    await expect(run(badY)).rejects.toThrow("marks: y must be 0 or 1, got 2 in data row 8");
    await expect(runMarks({ quiet: true, csv: "/nonexistent/marks.csv" })).rejects.toThrow('readCsv: cannot read "/nonexistent/marks.csv"');
  });
});

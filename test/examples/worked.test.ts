import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Generator } from "@tensorgrad/autograd";
import { admissionsTable, runWorked, tableToCsv, workedByAutograd } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

// The article's hand formulas, written out here independently with plain JS numbers.
function byHand() {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const x = [0.5, 0.1, -0.2];
  const target = 0.6;
  const lr = 0.5;
  const wIH = [[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]];
  const wHO = [0.1, -0.3];
  const hIn0 = x[0] * wIH[0][0] + x[1] * wIH[1][0] + x[2] * wIH[2][0];
  const hIn1 = x[0] * wIH[0][1] + x[1] * wIH[1][1] + x[2] * wIH[2][1];
  const h = [sig(hIn0), sig(hIn1)];
  const out = sig(h[0] * wHO[0] + h[1] * wHO[1]);
  const error = target - out;
  const dOut = error * out * (1 - out); // output error term
  const dHidden = [dOut * wHO[0] * h[0] * (1 - h[0]), dOut * wHO[1] * h[1] * (1 - h[1])];
  const dWho = [lr * dOut * h[0], lr * dOut * h[1]];
  const dWih = [0, 1, 2].map((i) => [lr * dHidden[0] * x[i], lr * dHidden[1] * x[i]]);
  return { h, out, error, dOut, dHidden, dWho, dWih };
}

describe("worked example, part 1", () => {
  it("autograd's output, error terms and weight changes equal the hand formulas to 1e-12 (float64)", () => {
    const hand = byHand();
    const auto = workedByAutograd();
    const pairs: [number, number][] = [
      ...auto.hidden.map((v, i) => [v, hand.h[i]] as [number, number]),
      [auto.output, hand.out],
      [auto.error, hand.error],
      [auto.outputErrorTerm, hand.dOut],
      ...auto.hiddenErrorTerms.map((v, i) => [v, hand.dHidden[i]] as [number, number]),
      ...auto.deltaWeightsHiddenOutput.map((v, i) => [v, hand.dWho[i]] as [number, number]),
      ...auto.deltaWeightsInputHidden.flatMap((row, i) => row.map((v, j) => [v, hand.dWih[i][j]] as [number, number])),
    ];
    expect(pairs).toHaveLength(15);
    for (const [a, h] of pairs) expect(Math.abs(a - h)).toBeLessThanOrEqual(1e-12);
  });

  it("reproduces the numbers the article prints", () => {
    const auto = workedByAutograd();
    expect(auto.output).toBeCloseTo(0.48497343084992534, 12);
    expect(auto.deltaWeightsHiddenOutput[0]).toBeCloseTo(0.00804047, 8);
    expect(auto.deltaWeightsHiddenOutput[1]).toBeCloseTo(0.00555918, 8);
    const article = [[1.77005547e-4, -5.11178506e-4], [3.54011093e-5, -1.02235701e-4], [-7.08022187e-5, 2.04471402e-4]];
    auto.deltaWeightsInputHidden.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - article[i][j])).toBeLessThan(1e-12)));
  });

  it("runWorked reports agreement", async () => {
    const r = await runWorked({ quiet: true, noPlots: true, part1Only: true });
    expect(r.maxAbsDifference).toBeLessThanOrEqual(1e-12);
    expect(r.part2).toBeUndefined();
  });
});

describe("worked example, part 2 (admissions)", () => {
  it("the article's recipe (900 epochs, lr 0.005) lowers the training loss", async () => {
    const r = await runWorked({ quiet: true, noPlots: true });
    const p = r.part2!;
    expect(p.epochs).toBe(900);
    expect(p.testRows).toBe(40); // 10% of 400 rows held out
    expect(p.finalLoss).toBeLessThan(p.initialLoss);
    expect(p.testAccuracy).toBeGreaterThanOrEqual(0);
  });

  it("learns to beat the majority class with a larger learning rate on more rows", async () => {
    const r = await runWorked({ quiet: true, noPlots: true, rows: 2000, part2Lr: 1, epochs: 300 });
    const p = r.part2!;
    expect(p.finalLoss).toBeLessThan(0.8 * p.initialLoss);
    expect(p.testAccuracy).toBeGreaterThan(p.majorityBaseline + 0.03);
  });
});

describe("worked example, part 2 from a CSV file", () => {
  const write = (text: string) => {
    const path = join(tempDir("admissions"), "binary.csv");
    writeFileSync(path, text);
    return path;
  };

  it("reads admit,gre,gpa,rank, one-hot encodes rank and holds out 10%", async () => {
    const table = admissionsTable(200, new Generator(9));
    const r = await runWorked({ quiet: true, noPlots: true, csv: write(tableToCsv(table)), epochs: 5 });
    expect(r.part2!.trainRows).toBe(180);
    expect(r.part2!.testRows).toBe(20);
  });

  it("explains a broken table", async () => {
    const run = (text: string) => runWorked({ quiet: true, noPlots: true, csv: write(text), epochs: 1 });
    await expect(run("admit,gre,gpa\n1,500,3.1\n0,600,3.5\n")).rejects.toThrow('readCsv: feature column "rank" not found (columns: admit, gre, gpa)');
    await expect(run("admit,gre,gpa,rank\n" + Array.from({ length: 20 }, (_, i) => `${i === 3 ? 2 : i % 2},500,3.1,${1 + (i % 4)}`).join("\n"))).rejects.toThrow(
      "worked: admit must be 0 or 1, got 2 in data row 4",
    );
  });
});

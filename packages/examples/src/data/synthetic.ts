/** The small generated data sets of the examples (used when no file is given). */

import { Generator } from "@tensorgrad/autograd";

/** A table of numbers with named columns, one array per row. */
export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly number[])[];
}

/** The sine data: x = 0, 1/n, …, (n−1)/n (n points in [0, 1)) and y = amplitude·sin(2πx). */
export function sineData(n = 100, amplitude = 20): { x: number[]; y: number[] } {
  const x = Array.from({ length: n }, (_, i) => i / n);
  return { x, y: x.map((v) => amplitude * Math.sin(2 * Math.PI * v)) };
}

/**
 * Three exam marks (0..100) and pass/fail: y = 1 when 0.3·x1 + 0.3·x2 + 0.4·x3 plus N(0, 2.5²) noise
 * is at least 55. The noise makes a few rows contradict the rule, as real grades do.
 */
export function marksTable(n: number, gen: Generator): Table {
  const mark = () => Math.round(Math.min(100, Math.max(0, 58 + 16 * gen.normal())));
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x1 = mark(), x2 = mark(), x3 = mark();
    const score = 0.3 * x1 + 0.3 * x2 + 0.4 * x3 + 2.5 * gen.normal();
    rows.push([score >= 55 ? 1 : 0, x1, x2, x3]);
  }
  return { columns: ["y", "x1", "x2", "x3"], rows };
}

/** A point drawn uniformly from the ball of `radius` around `centre`. */
function pointInBall(centre: readonly number[], radius: number, gen: Generator): number[] {
  for (;;) {
    const p = centre.map(() => 2 * gen.uniform() - 1);
    if (p.reduce((s, v) => s + v * v, 0) <= 1) return p.map((v, i) => centre[i] + radius * v);
  }
}

/** Two balls of 3-d points, label 0 around the first centre and 1 around the second. */
export function spheres(
  perClass: number,
  gen: Generator,
  centres: readonly [readonly number[], readonly number[]] = [[1, 1, 1], [-1, 2, -7]],
  radius = 1,
): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  centres.forEach((centre, label) => {
    for (let i = 0; i < perClass; i++) {
      x.push(pointInBall(centre, radius, gen));
      y.push(label);
    }
  });
  return { x, y };
}

/**
 * An admissions-style table (admit, gre, gpa, rank) shaped like the UCLA graduate admissions data
 * the original article uses: gre ~ N(580, 115) in 200..800 by tens, gpa ~ N(3.39, 0.38) in 2.2..4,
 * rank 1..4 (1 = most prestigious), and admit drawn from a logistic model in which a higher gre and
 * gpa and a better rank raise the odds (about a third of applicants admitted).
 */
export function admissionsTable(n: number, gen: Generator): Table {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const rankWeights = [0.15, 0.38, 0.3, 0.17];
  const rankEffect = [0, -0.9, -1.6, -1.9];
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const gre = Math.round(clamp(580 + 115 * gen.normal(), 200, 800) / 10) * 10;
    const gpa = Math.round(clamp(3.39 + 0.38 * gen.normal(), 2.2, 4) * 100) / 100;
    let u = gen.uniform();
    let rank = 1;
    while (rank < 4 && u >= rankWeights[rank - 1]) u -= rankWeights[rank++ - 1];
    const logit = 0.3 + 0.008 * (gre - 580) + 2.5 * (gpa - 3.39) + rankEffect[rank - 1];
    const admit = gen.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    rows.push([admit, gre, gpa, rank]);
  }
  return { columns: ["admit", "gre", "gpa", "rank"], rows };
}

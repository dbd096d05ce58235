/**
 * einsum: Einstein summation over any number of operands, as torch.einsum. A composite: repeated
 * subscripts take a diagonal (gather), subscripts needed nowhere else are summed, and operands are
 * contracted left to right with one batched matmul each, so gradients come from those primitives.
 */

import { ShapeError, ValueError, fmtShape } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { rangeLike } from "./constants.js";
import { gather } from "./gather.js";

type Fail = (problem: string, kind?: typeof ValueError | typeof ShapeError) => never;

/** A subscript: a letter's char code, or ELLIPSIS + i for the i-th dim that '...' stands for. */
type Label = number;
const ELLIPSIS = 1000;

/** One operand with a label per dim. */
interface Term {
  t: Tensor;
  labels: Label[];
}

interface Parsed {
  readonly inputs: { readonly labels: Label[]; readonly ellipsisAt: number }[];
  /** Output labels, or null for the implicit output. */
  readonly output: { readonly labels: Label[]; readonly ellipsisAt: number } | null;
}

/** torch.einsum(equation, *operands); the operands may also be passed as one array. */
export function einsum(equation: string, ...operands: readonly Tensor[] | [readonly Tensor[]]): Tensor {
  const ops: readonly Tensor[] = operands.length === 1 && Array.isArray(operands[0]) ? (operands[0] as readonly Tensor[]) : (operands as readonly Tensor[]);
  const context = `(equation '${equation}', operand shapes ${ops.map((t) => fmtShape(t.shape)).join(" ") || "none"})`;
  const fail = (problem: string, kind: typeof ValueError | typeof ShapeError = ValueError): never => {
    throw new kind(`einsum: ${problem} ${context}`);
  };
  if (typeof equation !== "string") fail("the equation must be a string");
  const parsed = parseEquation(equation, fail);
  if (parsed.inputs.length !== ops.length) fail(`the equation names ${parsed.inputs.length} operand(s), but ${ops.length} were given`);

  // Each operand's labels, with '...' expanded to the dims it covers (aligned on the right).
  const covered = ops.map((t, i) => {
    const { labels, ellipsisAt } = parsed.inputs[i];
    const n = t.ndim - labels.length;
    if (ellipsisAt < 0 ? n !== 0 : n < 0) {
      fail(`operand ${i} has ${t.ndim} dims but its subscripts name ${labels.length}${ellipsisAt < 0 ? " and there is no '...'" : ""}`, ShapeError);
    }
    return n;
  });
  const ellipsisRank = Math.max(0, ...covered);
  const terms: Term[] = ops.map((t, i) => {
    const { labels, ellipsisAt } = parsed.inputs[i];
    if (ellipsisAt < 0) return { t, labels: labels.slice() };
    const dots: Label[] = [];
    for (let j = 0; j < covered[i]; j++) dots.push(ELLIPSIS + ellipsisRank - covered[i] + j);
    return { t, labels: [...labels.slice(0, ellipsisAt), ...dots, ...labels.slice(ellipsisAt)] };
  });

  // The size of every label: equal within an operand ('ii'); across operands equal, or 1 (which broadcasts).
  const sizes = new Map<Label, number>();
  terms.forEach(({ t, labels }, i) => {
    labels.forEach((label, d) => {
      const first = labels.indexOf(label);
      if (t.shape[first] !== t.shape[d]) {
        fail(`subscript ${labelName(label)} is repeated in operand ${i} but its sizes differ, ${t.shape[first]} != ${t.shape[d]}`, ShapeError);
      }
      const seen = sizes.get(label);
      const size = t.shape[d];
      if (seen === undefined || seen === 1) sizes.set(label, size);
      else if (size !== seen && size !== 1) fail(`subscript ${labelName(label)} has size ${size} in operand ${i}, which does not broadcast with size ${seen}`, ShapeError);
    });
  });

  const outputLabels = resolveOutput(parsed, ellipsisRank, fail);
  let current = takeDiagonals(terms[0]);
  for (let i = 1; i <= terms.length; i++) {
    // Labels still needed after this step: the output's and those of the operands not yet joined.
    const needed = new Set(outputLabels);
    for (let j = i; j < terms.length; j++) for (const l of terms[j].labels) needed.add(l);
    if (i === terms.length) {
      current = sumOut(current, needed);
      break;
    }
    const next = takeDiagonals(terms[i]);
    current = contract(sumOut(current, new Set([...needed, ...next.labels])), sumOut(next, new Set([...needed, ...current.labels])), needed, sizes);
  }
  // The remaining labels are exactly the output's: put them in its order.
  const order = outputLabels.map((l) => current.labels.indexOf(l));
  return current.t.permute(order).expand(outputLabels.map((l) => sizes.get(l) as number));
}

function labelName(label: Label): string {
  return label >= ELLIPSIS ? `'...' dim ${label - ELLIPSIS}` : String.fromCharCode(label);
}

/** Splits 'ij,jk->ik' into label lists; whitespace is ignored. */
function parseEquation(equation: string, fail: Fail): Parsed {
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const rhs = arrow < 0 ? null : eq.slice(arrow + 2);
  if (rhs !== null && rhs.includes("->")) fail("the equation has more than one '->'");
  const parseTerm = (term: string, where: string) => {
    const labels: Label[] = [];
    let ellipsisAt = -1;
    for (let i = 0; i < term.length; i++) {
      const c = term[i];
      if (/[a-zA-Z]/.test(c)) labels.push(c.charCodeAt(0));
      else if (c === "." && term.startsWith("...", i) && ellipsisAt < 0) {
        ellipsisAt = labels.length;
        i += 2;
      } else if (c === ".") fail(`${where} has a '.' that is not part of one '...'`);
      else fail(`invalid subscript '${c}' in ${where} (subscripts are a-z and A-Z)`);
    }
    return { labels, ellipsisAt };
  };
  const inputs = lhs.split(",").map((term, i) => parseTerm(term, `operand ${i}'s subscripts`));
  return { inputs, output: rhs === null ? null : parseTerm(rhs, "the output") };
}

/** The output's labels: explicit after '->', else '...' then the letters used once, sorted. */
function resolveOutput(parsed: Parsed, ellipsisRank: number, fail: Fail): Label[] {
  const ellipsis: Label[] = [];
  for (let j = 0; j < ellipsisRank; j++) ellipsis.push(ELLIPSIS + j);
  const counts = new Map<Label, number>();
  for (const { labels } of parsed.inputs) for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  if (parsed.output === null) {
    const once = [...counts].filter(([, n]) => n === 1).map(([l]) => l).sort((a, b) => a - b);
    return [...ellipsis, ...once];
  }
  const { labels, ellipsisAt } = parsed.output;
  const seen = new Set<Label>();
  for (const l of labels) {
    if (!counts.has(l)) fail(`output subscript ${labelName(l)} appears in no operand`);
    if (seen.has(l)) fail(`output subscript ${labelName(l)} appears more than once in the output`);
    seen.add(l);
  }
  return ellipsisAt < 0 ? labels.slice() : [...labels.slice(0, ellipsisAt), ...ellipsis, ...labels.slice(ellipsisAt)];
}

/** A label repeated within one operand ('ii') takes the diagonal of those dims. */
function takeDiagonals(term: Term): Term {
  let { t } = term;
  const labels = term.labels.slice();
  for (let p = 0; p < labels.length; p++) {
    for (let q = labels.length - 1; q > p; q--) {
      if (labels[q] !== labels[p]) continue;
      const n = t.shape[p]; // equal to t.shape[q]: checked with the sizes
      // out[…, i at p, …] = t[…, i at p, …, i at q, …]: gather along q with index i, then drop q
      const idxShape: number[] = [];
      const gathered: number[] = [];
      for (let d = 0; d < t.ndim; d++) {
        idxShape.push(d === p ? n : 1);
        gathered.push(d === q ? 1 : t.shape[d]);
      }
      t = gather(t, q, rangeLike(t, n).reshape(idxShape).expand(gathered)).squeeze(q);
      labels.splice(q, 1);
    }
  }
  return { t, labels };
}

/** Sums the dims whose labels are not in `keep`. */
function sumOut(term: Term, keep: ReadonlySet<Label>): Term {
  const dims: number[] = [];
  term.labels.forEach((l, d) => {
    if (!keep.has(l)) dims.push(d);
  });
  if (dims.length === 0) return term;
  return { t: term.t.sum(dims), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Joins two operands: shared labels still needed are batch dims, other shared ones are summed by a matmul. */
function contract(a: Term, b: Term, needed: ReadonlySet<Label>, sizes: ReadonlyMap<Label, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && needed.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !needed.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const size = (l: Label) => sizes.get(l) as number;
  const arrange = (term: Term, order: readonly Label[]) => {
    const permuted = term.t.permute(order.map((l) => term.labels.indexOf(l)));
    return permuted.expand(order.map(size)); // size-1 dims broadcast against the other operand
  };
  const count = (ls: readonly Label[]) => ls.reduce((n, l) => n * size(l), 1);
  if (summed.length === 0) {
    // Nothing to sum: a broadcast product over [batch, aOnly, bOnly].
    const ta = arrange(a, [...batch, ...aOnly]).reshape([...batch, ...aOnly].map(size).concat(bOnly.map(() => 1)));
    const tb = arrange(b, [...batch, ...bOnly]).reshape([...batch.map(size), ...aOnly.map(() => 1), ...bOnly.map(size)]);
    return { t: ta.mul(tb), labels: [...batch, ...aOnly, ...bOnly] };
  }
  const ta = arrange(a, [...batch, ...aOnly, ...summed]).reshape([count(batch), count(aOnly), count(summed)]);
  const tb = arrange(b, [...batch, ...summed, ...bOnly]).reshape([count(batch), count(summed), count(bOnly)]);
  const labels = [...batch, ...aOnly, ...bOnly];
  return { t: ta.matmul(tb).reshape(labels.map(size)), labels };
}

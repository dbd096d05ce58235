/**
 * Primitive `toDevice`: a copy of a tensor on another device (backend), PyTorch's `x.to("cuda")`.
 * Its gradient moves back: d(to x) = dx on x's device. The Tensor methods `to(device)` and
 * `toAsync(device)` call it; `Module.to(device)` moves parameters in place instead (Tensor.moveTo_).
 */

import type { Backend, HostArray } from "../backend/backend.js";
import { backendNamed } from "../backend/registry.js";
import { ValueError } from "../errors.js";
import { contiguousStrides } from "../shape.js";
import { Tensor } from "../tensor.js";
import { defineOp, type Op } from "./define.js";

interface ToDeviceAttrs {
  readonly target: Backend;
  readonly source: Backend;
  /** The source's elements when they were read beforehand (asynchronously, from a GPU). */
  readonly host: HostArray | null;
}

/** The elements of `x` on the host: a synchronous read, which a GPU tensor cannot give (see toAsync). */
export function hostValues(op: string, x: Tensor, target: string): HostArray {
  if (x.backend.asyncReads) {
    throw new ValueError(
      `${op}: a ${x.device} tensor is read asynchronously, so it cannot move to ${target} synchronously; use await x.toAsync("${target}")` +
        ` (a gradient flowing back from ${x.device} to ${target} hits this too: create the leaf on ${x.device} instead)`,
    );
  }
  return x.backend.read(x);
}

const move: Op<ToDeviceAttrs> = defineOp<ToDeviceAttrs>({
  name: "toDevice",
  saves: { inputs: false, output: false },
  forward: ([x], { target, host }) => {
    const values = host ?? hostValues("to", x, target.name);
    return new Tensor(target, target.fromValues(x.dtype, values), x.shape, contiguousStrides(x.shape), 0, x.dtype);
  },
  vjp: (g, ctx) => [g.backend === ctx.attrs.source ? g : move([g], { target: ctx.attrs.source, source: g.backend, host: null })], // d(to x) = dx, moved back
});

/** `x` copied to `device`, or `x` itself when it is already there. */
export function toDevice(x: Tensor, device: string): Tensor {
  const target = backendNamed("to", device);
  return x.backend === target ? x : move([x], { target, source: x.backend, host: null });
}

/** `x` copied to `device`, reading a GPU source asynchronously first; `x` itself when it is already there. */
export async function toDeviceAsync(x: Tensor, device: string): Promise<Tensor> {
  const target = backendNamed("toAsync", device);
  if (x.backend === target) return x;
  const host = x.backend.readAsync !== undefined && x.backend.asyncReads ? await x.backend.readAsync(x) : null;
  return move([x], { target, source: x.backend, host });
}

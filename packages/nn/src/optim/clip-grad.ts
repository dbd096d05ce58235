/**
 * Gradient clipping by total norm and by value (PyTorch's torch.nn.utils.clip_grad_norm_ /
 * clip_grad_value_). On a GPU backend both stay on the device: clipGradValue_ is a clamp, and
 * clipGradNorm_ with { returnTensor: true } computes the total norm as a 0-d tensor and scales by
 * clamp(maxNorm/(total + 1e-6), max = 1) as tensor ops (no host read, as PyTorch does).
 */

import { Tensor, ValueError, noGrad, zeros } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";

/** Options of clipGradNorm_. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (default false: scale by it anyway, as PyTorch). */
  readonly errorIfNonfinite?: boolean;
  /**
   * Return the total norm as a 0-d tensor on the gradients' device, as PyTorch, computed and
   * applied without a host read (default false: a number, read on the host — which a GPU backend
   * refuses, since a read inside a training step stalls it).
   */
  readonly returnTensor?: boolean;
}

/** What ClipGradNormOptions may hold. */
const CLIP_GRAD_NORM_SPEC = { errorIfNonfinite: "boolean", returnTensor: "boolean" } as const satisfies SpecFor<ClipGradNormOptions>;

function gradsOf(op: string, params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : Array.from(params);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ValueError(`${op}: parameter ${i} is not a Tensor`);
  });
  return list.flatMap((p) => (p.grad === null ? [] : [p.grad]));
}

/** The p-norm of one tensor as a number: (Σ|x|ᵖ)^(1/p); max |x| for p = ∞. */
function vectorNorm(x: Tensor, p: number): number {
  if (x.numel() === 0) return 0;
  if (p === Infinity) return x.abs().amax().item();
  if (p === 2) return x.square().sum().sqrt().item();
  if (p === 1) return x.abs().sum().item();
  return x.abs().pow(p).sum().pow(1 / p).item();
}

/** The p-norm of one tensor as a 0-d tensor on its device: (Σ|x|ᵖ)^(1/p); max |x| for p = ∞. */
function vectorNormTensor(x: Tensor, p: number): Tensor {
  if (x.numel() === 0) return x.newZeros([]);
  if (p === Infinity) return x.abs().amax();
  if (p === 2) return x.square().sum().sqrt();
  if (p === 1) return x.abs().sum();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * Scales all gradients together so their total norm ‖(‖g₁‖, …, ‖gₙ‖)‖_p is at most `maxNorm`
 * (coefficient maxNorm/(total + 1e-6), applied only when below 1) and returns the total norm
 * before clipping: a number, or with { returnTensor: true } a 0-d tensor computed and applied on
 * the gradients' device without a host read (PyTorch's return; the form to use on webgpu).
 * normType is any p > 0 or Infinity.
 */
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, normType: number, options: ClipGradNormOptions & { readonly returnTensor: true }): Tensor;
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, normType?: number, options?: ClipGradNormOptions & { readonly returnTensor?: false }): number;
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, normType?: number, options?: ClipGradNormOptions): number | Tensor;
export function clipGradNorm_(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number | Tensor {
  checkOptions("clipGradNorm_", options, CLIP_GRAD_NORM_SPEC);
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm) || maxNorm < 0) throw new ValueError(`clipGradNorm_: invalid maxNorm ${maxNorm}`);
  if (typeof normType !== "number" || Number.isNaN(normType) || normType <= 0) throw new ValueError(`clipGradNorm_: invalid normType ${normType} (expected p > 0 or Infinity)`);
  const grads = gradsOf("clipGradNorm_", params);
  if (options.returnTensor) return clipOnDevice(grads, maxNorm, normType, options.errorIfNonfinite ?? false);
  const gpu = grads.find((g) => g.backend.asyncReads);
  if (gpu !== undefined) {
    throw new ValueError(
      `clipGradNorm_: the gradients are on ${gpu.device}, where returning the norm as a number would read the device inside the training step; ` +
        "pass { returnTensor: true } to clip on the device and get the norm as a 0-d tensor (as PyTorch)",
    );
  }
  if (grads.length === 0) return 0;
  return noGrad(() => {
    const norms = grads.map((g) => vectorNorm(g, normType));
    const total = normType === Infinity ? Math.max(...norms) : norms.reduce((acc, n) => acc + n ** normType, 0) ** (1 / normType);
    if (options.errorIfNonfinite && !Number.isFinite(total)) {
      throw new ValueError(`clipGradNorm_: the total norm of order ${normType} of the gradients is non-finite (${total}), so it cannot be clipped`);
    }
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const g of grads) g.mul_(coef);
    return total;
  });
}

/**
 * clipGradNorm_'s tensor form: total = ‖(‖g₁‖, …)‖_p as a 0-d tensor, every g scaled in place by
 * clamp(maxNorm/(total + 1e-6), max = 1) (PyTorch's clip_coef_clamped; a NaN total makes NaN
 * gradients, as there). No gradients: a 0-d zero on the default device.
 */
function clipOnDevice(grads: readonly Tensor[], maxNorm: number, normType: number, errorIfNonfinite: boolean): Tensor {
  if (grads.length === 0) return zeros([]);
  if (errorIfNonfinite && grads.some((g) => g.backend.asyncReads)) {
    throw new ValueError("clipGradNorm_: errorIfNonfinite needs the norm on the host, which a GPU backend does not read inside a training step; check the returned norm with await norm.itemAsync() instead");
  }
  return noGrad(() => {
    const norms = grads.map((g) => vectorNormTensor(g, normType));
    const total =
      normType === Infinity ? norms.reduce((acc, n) => acc.maximum(n)) : norms.map((n) => n.pow(normType)).reduce((acc, n) => acc.add(n)).pow(1 / normType);
    if (errorIfNonfinite && !Number.isFinite(total.item())) {
      throw new ValueError(`clipGradNorm_: the total norm of order ${normType} of the gradients is non-finite (${total.item()}), so it cannot be clipped`);
    }
    const coef = total.newOnes([]).mul(maxNorm).div(total.add(1e-6)).clamp(undefined, 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient element to [−clipValue, clipValue] in place. */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== "number" || Number.isNaN(clipValue) || clipValue < 0) throw new ValueError(`clipGradValue_: invalid clipValue ${clipValue}`);
  const grads = gradsOf("clipGradValue_", params);
  noGrad(() => grads.forEach((g) => g.clamp_(-clipValue, clipValue)));
}

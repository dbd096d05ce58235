/** Gradient clipping by total norm and by value (PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_). */

import { Tensor, ValueError, noGrad } from "@tensorgrad/autograd";
import { checkOptions, type SpecFor } from "../options.js";

/** Options of clipGradNorm_. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite (default false: scale by it anyway, as PyTorch). */
  readonly errorIfNonfinite?: boolean;
}

/** What ClipGradNormOptions may hold. */
const CLIP_GRAD_NORM_SPEC = { errorIfNonfinite: "boolean" } as const satisfies SpecFor<ClipGradNormOptions>;

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

/**
 * Scales all gradients together so their total norm ‖(‖g₁‖, …, ‖gₙ‖)‖_p is at most `maxNorm`
 * (coefficient maxNorm/(total + 1e-6), applied only when below 1) and returns the total norm
 * before clipping (a number; PyTorch returns a 0-d tensor). normType is any p > 0 or Infinity.
 */
export function clipGradNorm_(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  checkOptions("clipGradNorm_", options, CLIP_GRAD_NORM_SPEC);
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm) || maxNorm < 0) throw new ValueError(`clipGradNorm_: invalid maxNorm ${maxNorm}`);
  if (typeof normType !== "number" || Number.isNaN(normType) || normType <= 0) throw new ValueError(`clipGradNorm_: invalid normType ${normType} (expected p > 0 or Infinity)`);
  const grads = gradsOf("clipGradNorm_", params);
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

/** Clamps every gradient element to [−clipValue, clipValue] in place. */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== "number" || Number.isNaN(clipValue) || clipValue < 0) throw new ValueError(`clipGradValue_: invalid clipValue ${clipValue}`);
  const grads = gradsOf("clipGradValue_", params);
  noGrad(() => grads.forEach((g) => g.clamp_(-clipValue, clipValue)));
}

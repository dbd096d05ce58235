/** `Parameter`: a leaf Tensor that a Module registers as learnable (PyTorch's nn.Parameter). */

import { keep, Tensor } from "@tensorgrad/autograd";

/**
 * A tensor that is a module's learnable state. It shares `data`'s memory (detached from any graph)
 * and requires grad unless told otherwise; assigning one to a Module property registers it.
 */
export class Parameter extends Tensor {
  /** Wraps `data` (sharing its memory) as a leaf parameter; `requiresGrad` defaults to true. */
  constructor(data: Tensor, requiresGrad = true) {
    super(data.backend, data.buffer, data.shape, data.strides, data.offset, data.dtype);
    this.requiresGrad = requiresGrad;
    keep(this); // a model built inside a memory scope keeps its parameters
  }

  /** PyTorch-style text: `Parameter containing:\ntensor([...], requires_grad=True)`. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/**
 * Names of the differentiable primitives. A module with no imports on purpose: Tensor and the
 * ops import each other, and bundlers don't keep evaluation order inside such cycles, so state
 * that ops touch while loading must live outside the cycle.
 */

const names = new Set<string>();

/** Records a primitive's name. */
export function registerOpName(name: string): void {
  names.add(name);
}

/** Names of every differentiable primitive defined so far (gradcheck tests must cover them all). */
export function registeredOps(): readonly string[] {
  return [...names].sort();
}

/**
 * @tensorgrad/autograd/testing — check your own gradients: gradcheck/gradgradcheck against finite
 * differences, and fast-check arbitraries for property tests (fast-check is a peer dependency).
 */

export { gradcheck, gradgradcheck } from "./gradcheck.js";
export type { GradcheckOptions, GradcheckReport, GradcheckFailure, GradgradcheckOptions } from "./gradcheck.js";
export { shapeArb, broadcastShapesArb, valuesArb, tensorArb, anyTensorArb } from "./arbitraries.js";
export type { ShapeConstraints, TensorConstraints } from "./arbitraries.js";
export { registeredOps } from "../ops/registry.js";

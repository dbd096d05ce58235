/**
 * @tensorgrad/autograd/testing — check your own gradients: gradcheck/gradgradcheck against finite
 * differences. It needs nothing but the library; the fast-check arbitraries for property tests are
 * in @tensorgrad/autograd/testing/arbitraries (fast-check is an optional peer dependency).
 */

export { gradcheck, gradgradcheck } from "./gradcheck.js";
export type { GradcheckOptions, GradcheckReport, GradcheckFailure, GradgradcheckOptions } from "./gradcheck.js";
export { registeredOps } from "../index.js";

/** The `optim` namespace: optimizers, learning-rate schedulers and gradient clipping. */

export { Optimizer } from "./optimizer.js";
export type { OptimizerOptions, OptimizerStateDict, OptionValue, ParamGroup, ParamGroupInput, ParamsInput, ParamState } from "./optimizer.js";
export { SGD } from "./sgd.js";
export type { SGDOptions, SGDState } from "./sgd.js";
export { Adam, AdamW } from "./adam.js";
export type { AdamOptions, AdamState } from "./adam.js";
export { RMSprop } from "./rmsprop.js";
export type { RMSpropOptions, RMSpropState } from "./rmsprop.js";
export { Adagrad } from "./adagrad.js";
export type { AdagradOptions, AdagradState } from "./adagrad.js";
export { Adadelta } from "./adadelta.js";
export type { AdadeltaOptions, AdadeltaState } from "./adadelta.js";
export { Adamax } from "./adamax.js";
export type { AdamaxOptions, AdamaxState } from "./adamax.js";
export { NAdam } from "./nadam.js";
export type { NAdamOptions, NAdamState } from "./nadam.js";
export { RAdam } from "./radam.js";
export type { RAdamOptions, RAdamState } from "./radam.js";
export { clipGradNorm_, clipGradValue_ } from "./clip-grad.js";
export { LRScheduler, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, LambdaLR } from "./lr-scheduler.js";
export type { AnyOptimizer, SchedulerStateDict, SchedulerStateValue } from "./lr-scheduler.js";
export { OneCycleLR } from "./one-cycle.js";
export type { OneCycleOptions } from "./one-cycle.js";
export { ReduceLROnPlateau } from "./reduce-on-plateau.js";
export type { ReduceLROnPlateauOptions } from "./reduce-on-plateau.js";

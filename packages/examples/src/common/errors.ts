/** Errors the examples throw on purpose: messages read `op: problem (values)`. */

import { TensorgradError } from "@tensorgrad/autograd";

/** A data file that cannot be read as what it claims to be (IDX, CSV): bad magic, truncated, wrong columns. */
export class DataError extends TensorgradError {}

/** An option value an example cannot work with (a negative learning rate, an empty size list). */
export class OptionError extends TensorgradError {}

/** A self-check of an example failed (autograd and the hand formulas disagree). */
export class CheckError extends TensorgradError {}

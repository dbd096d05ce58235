/** The digits an example trains on: MNIST IDX files from `--data DIR`, or generated glyphs. */

import { Generator } from "@tensorgrad/autograd";
import { positiveInt } from "../common/options.js";
import { generateDigits } from "./digit-glyphs.js";
import { loadMnist, type DigitSet, type MnistLimits } from "./idx.js";

/** The data options the digit examples (digits, cnn, vae) share. */
export interface DigitDataOptions extends MnistLimits {
  /** Folder with MNIST's IDX files; generated digits when omitted. */
  readonly data?: string;
  /** Generated training / test images (ignored with `data`). */
  readonly trainSize?: number;
  readonly testSize?: number;
  /** Side of a generated image in pixels (default 28). */
  readonly imageSize?: number;
}

/** Training and test digits and where they came from. */
export interface DigitData {
  readonly train: DigitSet;
  readonly test: DigitSet;
  readonly dataset: "mnist" | "generated";
}

/**
 * MNIST from `options.data` (limited by trainLimit/testLimit), else generated digits drawn from
 * Generator(seed + 1), `defaults` giving the set sizes an example uses when the options don't.
 */
export async function loadDigitData(
  op: string,
  options: DigitDataOptions,
  defaults: { readonly trainSize: number; readonly testSize: number },
  seed: number,
): Promise<DigitData> {
  if (options.data !== undefined) {
    const { train, test } = await loadMnist(options.data, { trainLimit: options.trainLimit, testLimit: options.testLimit });
    return { train, test, dataset: "mnist" };
  }
  const size = positiveInt(op, "imageSize", options.imageSize ?? 28);
  const generator = new Generator(seed + 1);
  const train = generateDigits({ count: positiveInt(op, "trainSize", options.trainSize ?? defaults.trainSize), size, generator });
  const test = generateDigits({ count: positiveInt(op, "testSize", options.testSize ?? defaults.testSize), size, generator });
  return { train, test, dataset: "generated" };
}

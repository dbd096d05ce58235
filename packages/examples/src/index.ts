/**
 * @tensorgrad/examples — classic hand-written numpy backprop programs rewritten the tensorgrad way
 * (a PyTorch-style model, an optimizer and backward()), each as a function and as a CLI command.
 */

export { runSine } from "./examples/sine.js";
export type { SineOptions, SineResult } from "./examples/sine.js";
export { runDigits, digitsNetwork, quadraticCost, digitSamplesSpec } from "./examples/digits.js";
export type { DigitsOptions, DigitsResult, DigitsCost } from "./examples/digits.js";
export { runMarks } from "./examples/marks.js";
export type { MarksOptions, MarksResult } from "./examples/marks.js";
export { runVanishing } from "./examples/vanishing.js";
export type { VanishingOptions, VanishingResult, VanishingRun, HiddenActivation } from "./examples/vanishing.js";
export { runWorked, workedByAutograd, workedByHand, admissionsData, WORKED_INPUTS } from "./examples/worked.js";
export type { WorkedOptions, WorkedResult, WorkedNumbers } from "./examples/worked.js";
export { runCnn, CnnNet, MNIST_MEAN, MNIST_STD } from "./examples/cnn.js";
export type { CnnOptions, CnnResult, CnnNetOptions } from "./examples/cnn.js";
export { runVae, VaeNet, vaeLoss } from "./examples/vae.js";
export type { VaeOptions, VaeResult, VaeNetOptions } from "./examples/vae.js";
export { runDemo } from "./examples/demo.js";
export type { DemoOptions, DemoResult } from "./examples/demo.js";
export { runMakemore, MakemoreMLP, sampleWords } from "./examples/makemore.js";
export type { MakemoreOptions, MakemoreResult } from "./examples/makemore.js";
export { runGpt, GPT, GptBlock, GptMLP, GptTransformer, CausalSelfAttention, gptParamGroups, gptLearningRate } from "./examples/gpt.js";
export type { GptOptions, GptResult, GPTConfig } from "./examples/gpt.js";
export { runLstm, RNNModel, batchify, repackageHidden } from "./examples/lstm.js";
export type { LstmOptions, LstmResult, RecurrentKind, RecurrentState, TokenLevel } from "./examples/lstm.js";

// Data: generators and loaders.
export { generateDigits, renderDigit } from "./data/digit-glyphs.js";
export type { DigitStyle, GenerateDigitsOptions } from "./data/digit-glyphs.js";
export { parseIdx, readIdx, loadMnist, toDigitSet, encodeIdx, MNIST_FILES, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from "./data/idx.js";
export type { IdxArray, DigitSet, MnistLimits } from "./data/idx.js";
export { sineData, marksTable, spheres, admissionsTable } from "./data/synthetic.js";
export type { Table } from "./data/synthetic.js";
export { Vocab, SHIPPED_TEXTS, shippedTextPath, readText, readWords, wordTokens } from "./data/text.js";
export type { ShippedText } from "./data/text.js";
export { loadTable, tableToCsv, standardize, checkBinaryTarget } from "./data/table.js";

// Infrastructure.
export { DataError, OptionError, CheckError } from "./common/errors.js";
export type { CommonOptions } from "./common/options.js";
export { DEFAULT_SEED, DEFAULT_OUT_DIR } from "./common/options.js";
export { Reporter } from "./common/reporter.js";
export type { Progress } from "./common/reporter.js";
export { renderSvg, writeSvg, lineChart } from "./common/plot.js";
export { imageGridSpec } from "./common/image-grid.js";
export type { ImageGridOptions } from "./common/image-grid.js";
export type { PlotSpec, Row } from "./common/plot.js";
export { createProgram, main } from "./cli-program.js";

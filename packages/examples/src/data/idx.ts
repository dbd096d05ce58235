/**
 * The MNIST IDX file format (http://yann.lecun.com/exdb/mnist/): a big-endian header — two zero
 * bytes, a type code (0x08 = unsigned byte) and the number of dimensions — then one 32-bit
 * big-endian size per dimension, then the values row-major. Files may be gzipped (.gz).
 */

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError } from "../common/errors.js";

/** The values of one IDX file and their shape. */
export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28] for the training images. */
  readonly shape: readonly number[];
  /** The unsigned bytes, row-major. */
  readonly data: Uint8Array;
}

/** Images (pixels scaled to [0, 1], one row of rows·cols per image) with their labels 0..9. */
export interface DigitSet {
  /** Pixels, image after image, each image rows·cols values in [0, 1]. */
  readonly images: Float32Array;
  /** One label (0..9) per image. */
  readonly labels: Int32Array;
  /** Number of images. */
  readonly count: number;
  /** Image height in pixels. */
  readonly rows: number;
  /** Image width in pixels. */
  readonly cols: number;
}

/** Magic number of an MNIST images file: unsigned bytes (0x08), 3 dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an MNIST labels file: unsigned bytes (0x08), 1 dimension. */
export const IDX_LABELS_MAGIC = 0x00000801;

const GZIP_MAGIC = [0x1f, 0x8b];

/** Gunzips `bytes` when they start with the gzip magic; `name` is for error messages. */
function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new DataError(`readIdx: ${name} is not a valid gzip file (${(e as Error).message})`);
    }
  }
  return bytes;
}

/** Parses one IDX file's bytes (gzipped or not), checking the magic number it must have, its header and its length. */
export function parseIdx(raw: Uint8Array, name: string, expectedMagic: number): IdxArray {
  const bytes = maybeGunzip(raw, name);
  if (bytes.length < 4) throw new DataError(`readIdx: ${name} is truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw new DataError(`readIdx: bad magic number in ${name}: ${hex(magic)} (expected ${hex(expectedMagic)})`);
  }
  const ndim = magic & 0xff;
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(`readIdx: ${name} is truncated: ${bytes.length} bytes, shorter than its ${headerBytes}-byte header`);
  }
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual < expected) {
    throw new DataError(`readIdx: ${name} is truncated: header says [${shape.join(",")}] (${expected} values) but ${actual} bytes follow`);
  }
  if (actual > expected) {
    throw new DataError(`readIdx: ${name} has ${actual - expected} trailing bytes after the [${shape.join(",")}] values`);
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file from disk (gzipped or not). */
export async function readIdx(path: string, expectedMagic: number): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), path, expectedMagic);
}

/** Pairs an images file with its labels file, checking that the counts agree and the labels are digits. */
export function toDigitSet(images: IdxArray, labels: IdxArray, name: string, limit = Infinity): DigitSet {
  const [n, rows, cols] = images.shape;
  const [m] = labels.shape;
  if (n !== m) throw new DataError(`loadMnist: count mismatch in the ${name} set: ${n} images but ${m} labels`);
  const count = Math.min(n, limit);
  const size = rows * cols;
  const pixels = new Float32Array(count * size);
  for (let i = 0; i < count * size; i++) pixels[i] = images.data[i] / 255;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    if (label > 9) throw new DataError(`loadMnist: label ${label} at index ${i} of the ${name} set is not a digit 0..9`);
    out[i] = label;
  }
  return { images: pixels, labels: out, count, rows, cols };
}

/** The four standard MNIST file names (each may also be present with a .gz suffix). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Finds `dir/name`, else `dir/name.gz`. */
function findFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new DataError(`loadMnist: neither ${name} nor ${name}.gz found in ${dir}`);
}

/** Limits on how many images to read from each set. */
export interface MnistLimits {
  /** Read at most this many training images (default all). */
  readonly trainLimit?: number;
  /** Read at most this many test images (default all). */
  readonly testLimit?: number;
}

/** Loads MNIST (or any data set in its layout) from `dir`: the four standard files, gzipped or not. */
export async function loadMnist(dir: string, limits: MnistLimits = {}): Promise<{ train: DigitSet; test: DigitSet }> {
  const read = (name: string, magic: number) => readIdx(findFile(dir, name), magic);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read(MNIST_FILES.trainImages, IDX_IMAGES_MAGIC),
    read(MNIST_FILES.trainLabels, IDX_LABELS_MAGIC),
    read(MNIST_FILES.testImages, IDX_IMAGES_MAGIC),
    read(MNIST_FILES.testLabels, IDX_LABELS_MAGIC),
  ]);
  const train = toDigitSet(trainImages, trainLabels, "training", limits.trainLimit);
  const test = toDigitSet(testImages, testLabels, "test", limits.testLimit);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataError(`loadMnist: training images are ${train.rows}x${train.cols} but test images are ${test.rows}x${test.cols}`);
  }
  return { train, test };
}

/** Encodes values as an IDX file (ubyte); the inverse of parseIdx, used to write small test files. */
export function encodeIdx(shape: readonly number[], data: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | shape.length, false);
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s, false));
  out.set(Array.from(data, (v) => v & 0xff), header);
  return out;
}

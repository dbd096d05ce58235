import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DataError, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, loadMnist, parseIdx, runDigits } from "@tensorgrad/examples";
import { tempDir } from "../helpers/temp-dir.js";

/** An IDX file written byte by byte here (not with the library's encoder): big-endian header, then the bytes. */
function idxBytes(magic: number, shape: number[], values: number[]): Uint8Array {
  const header = [(magic >>> 24) & 255, (magic >>> 16) & 255, (magic >>> 8) & 255, magic & 255];
  for (const s of shape) header.push((s >>> 24) & 255, (s >>> 16) & 255, (s >>> 8) & 255, s & 255);
  return Uint8Array.from([...header, ...values]);
}

/** n images of rows×cols where image i has pixel value 10·i + k, and labels i mod 10. */
function imagesAndLabels(n: number, rows: number, cols: number) {
  const pixels: number[] = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < rows * cols; k++) pixels.push((10 * i + k) % 256);
  const labels = Array.from({ length: n }, (_, i) => i % 10);
  return {
    images: idxBytes(0x00000803, [n, rows, cols], pixels),
    labels: idxBytes(0x00000801, [n], labels),
    pixels,
    labelValues: labels,
  };
}

function mnistDir(files: Record<string, Uint8Array>): string {
  const dir = tempDir("idx");
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe("IDX parsing", () => {
  it("reads the header and values of an image file", () => {
    const { images, pixels } = imagesAndLabels(3, 2, 4);
    const idx = parseIdx(images, "imgs", IDX_IMAGES_MAGIC);
    expect(idx.shape).toEqual([3, 2, 4]);
    expect(Array.from(idx.data)).toEqual(pixels);
  });

  it("reads gzipped files", () => {
    const { labels, labelValues } = imagesAndLabels(12, 2, 2);
    const idx = parseIdx(gzipSync(labels), "labels.gz", IDX_LABELS_MAGIC);
    expect(Array.from(idx.data)).toEqual(labelValues);
  });

  it("rejects a bad magic number, naming both", () => {
    const { labels } = imagesAndLabels(2, 2, 2);
    expect(() => parseIdx(labels, "x", IDX_IMAGES_MAGIC)).toThrow(DataError);
    expect(() => parseIdx(labels, "x", IDX_IMAGES_MAGIC)).toThrow("readIdx: bad magic number in x: 0x00000801 (expected 0x00000803)");
    expect(() => parseIdx(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), "junk", IDX_LABELS_MAGIC)).toThrow("bad magic number");
  });

  it("rejects truncated files: short header, short data", () => {
    const { images } = imagesAndLabels(3, 2, 2);
    expect(() => parseIdx(images.subarray(0, 2), "f", IDX_IMAGES_MAGIC)).toThrow("readIdx: f is truncated: 2 bytes, shorter than the 4-byte magic number");
    expect(() => parseIdx(images.subarray(0, 10), "f", IDX_IMAGES_MAGIC)).toThrow("readIdx: f is truncated: 10 bytes, shorter than its 16-byte header");
    expect(() => parseIdx(images.subarray(0, images.length - 1), "f", IDX_IMAGES_MAGIC)).toThrow(
      "readIdx: f is truncated: header says [3,2,2] (12 values) but 11 bytes follow",
    );
    expect(() => parseIdx(Uint8Array.from([...images, 0]), "f", IDX_IMAGES_MAGIC)).toThrow("1 trailing bytes");
  });

  it("rejects a corrupt gzip stream", () => {
    const gz = gzipSync(imagesAndLabels(2, 2, 2).labels);
    expect(() => parseIdx(gz.subarray(0, gz.length - 6), "l.gz", IDX_LABELS_MAGIC)).toThrow("readIdx: l.gz is not a valid gzip file");
  });
});

describe("loadMnist", () => {
  const good = () => {
    const train = imagesAndLabels(20, 4, 4);
    const test = imagesAndLabels(10, 4, 4);
    return {
      "train-images-idx3-ubyte": train.images,
      "train-labels-idx1-ubyte.gz": gzipSync(train.labels), // a mix of gzipped and plain files
      "t10k-images-idx3-ubyte.gz": gzipSync(test.images),
      "t10k-labels-idx1-ubyte": test.labels,
    };
  };

  it("loads the four standard files, scaling pixels to [0, 1]", async () => {
    const { train, test } = await loadMnist(mnistDir(good()));
    expect([train.count, train.rows, train.cols, test.count]).toEqual([20, 4, 4, 10]);
    expect(train.images[17]).toBeCloseTo(((10 * 1 + 1) % 256) / 255, 6); // image 1, pixel 1
    expect(Array.from(test.labels.slice(0, 3))).toEqual([0, 1, 2]);
    const limited = await loadMnist(mnistDir(good()), { trainLimit: 5 });
    expect(limited.train.count).toBe(5);
  });

  it("names a missing file", async () => {
    const files: Record<string, Uint8Array> = good();
    delete files["t10k-labels-idx1-ubyte"];
    await expect(loadMnist(mnistDir(files))).rejects.toThrow("loadMnist: neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz found in");
  });

  it("rejects a count mismatch between images and labels", async () => {
    const files = { ...good(), "t10k-labels-idx1-ubyte": imagesAndLabels(9, 4, 4).labels };
    await expect(loadMnist(mnistDir(files))).rejects.toThrow("loadMnist: count mismatch in the test set: 10 images but 9 labels");
  });

  it("rejects a label that is not a digit", async () => {
    const bad = idxBytes(0x00000801, [10], [0, 1, 2, 3, 42, 5, 6, 7, 8, 9]);
    await expect(loadMnist(mnistDir({ ...good(), "t10k-labels-idx1-ubyte": bad }))).rejects.toThrow("loadMnist: label 42 at index 4 of the test set is not a digit 0..9");
  });

  it("runDigits trains on an MNIST-layout folder", async () => {
    const r = await runDigits({ quiet: true, noPlots: true, data: mnistDir(good()), sizes: [16, 8, 10], epochs: 1 });
    expect(r.dataset).toBe("mnist");
    expect(r.trainSize).toBe(20);
    expect(r.testAccuracy).toHaveLength(1);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { FASHION_MNIST_NORMALIZATION } from './batch.js';
import { FASHION_MNIST_CLASSES, takeFirst, type Dataset, type ImageSet } from './dataset.js';
import { decodeIdx, type IdxArray } from './idx.js';

/** The Fashion-MNIST copy shipped with the package (data/fashion-mnist at the package root). */
export const EMBEDDED_FASHION_MNIST_DIR = fileURLToPath(new URL('../../data/fashion-mnist', import.meta.url));

const SPLIT_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** Which examples of a directory of IDX files to load. */
export interface LoadDatasetOptions {
  /** Keep only the first N training examples. */
  trainSize?: number;
  /** Keep only the first N test examples. */
  testSize?: number;
  numClasses?: number;
}

/** Reads an IDX file, gzip-compressed or not. */
export function readIdxFile(file: string): IdxArray {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`);
  }
  return decodeIdx(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), file);
}

/** The path of a standard IDX file in dir, with or without the .gz suffix. */
function findIdxFile(dir: string, base: string): string {
  for (const candidate of [`${base}.gz`, base]) {
    const file = path.join(dir, candidate);
    if (existsSync(file)) return file;
  }
  throw new UserError(`${path.join(dir, base)}[.gz]: no such file (a data directory holds the four standard IDX files)`);
}

/** Checks an images array (N x H x W or N x H x W x C) and returns its shape. */
export function imageShape(images: IdxArray, name: string): { count: number; height: number; width: number; channels: number } {
  const [count, height, width, channels = 1] = images.dims;
  if ((images.dims.length !== 3 && images.dims.length !== 4) || count === undefined || height === undefined || width === undefined) {
    throw new UserError(`${name}: expected images of shape N x H x W (x C), got ${images.dims.join('x')}`);
  }
  return { count, height, width, channels };
}

export function loadSplit(imagesFile: string, labelsFile: string, numClasses: number): ImageSet {
  const images = readIdxFile(imagesFile);
  const labels = readIdxFile(labelsFile);
  const shape = imageShape(images, imagesFile);
  if (labels.dims.length !== 1) throw new UserError(`${labelsFile}: expected labels of shape N, got ${labels.dims.join('x')}`);
  if (labels.dims[0] !== shape.count) {
    throw new UserError(`${imagesFile} holds ${shape.count} images but ${labelsFile} holds ${labels.dims[0]} labels`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i]! >= numClasses) {
      throw new UserError(`${labelsFile}: label ${labels.data[i]} at index ${i} is outside 0..${numClasses - 1}`);
    }
  }
  return { images: images.data, labels: labels.data, ...shape };
}

function checkSize(flag: string, n: number | undefined, available: number, file: string): void {
  if (n === undefined) return;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got ${n}`);
  if (n > available) throw new UserError(`${flag} ${n} exceeds the ${available} examples in ${file}`);
}

function classNamesFor(numClasses: number): string[] {
  return numClasses === 10 ? [...FASHION_MNIST_CLASSES] : Array.from({ length: numClasses }, (_, i) => String(i));
}

function datasetName(dir: string): string {
  return path.resolve(dir) === path.resolve(EMBEDDED_FASHION_MNIST_DIR) ? 'fashion-mnist' : path.basename(path.resolve(dir));
}

/** Loads only the test split of a data directory (for evaluation), optionally its first testSize examples. */
export function loadTestSplit(dir: string = EMBEDDED_FASHION_MNIST_DIR, testSize?: number, numClasses = 10): ImageSet {
  if (!existsSync(dir)) throw new UserError(`${dir}: no such data directory`);
  const images = findIdxFile(dir, SPLIT_FILES.test.images);
  const test = loadSplit(images, findIdxFile(dir, SPLIT_FILES.test.labels), numClasses);
  checkSize('--test-size', testSize, test.count, images);
  return testSize === undefined ? test : takeFirst(test, testSize);
}

/** Loads a directory holding the four standard (Fashion-)MNIST IDX files. */
export function loadIdxDataset(dir: string = EMBEDDED_FASHION_MNIST_DIR, options: LoadDatasetOptions = {}): Dataset {
  const numClasses = options.numClasses ?? 10;
  if (!existsSync(dir)) throw new UserError(`${dir}: no such data directory`);
  const trainImages = findIdxFile(dir, SPLIT_FILES.train.images);
  const testImages = findIdxFile(dir, SPLIT_FILES.test.images);
  const train = loadSplit(trainImages, findIdxFile(dir, SPLIT_FILES.train.labels), numClasses);
  const test = loadSplit(testImages, findIdxFile(dir, SPLIT_FILES.test.labels), numClasses);
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new UserError(
      `${dir}: training images are ${train.height}x${train.width}x${train.channels} but test images are ${test.height}x${test.width}x${test.channels}`,
    );
  }
  checkSize('--train-size', options.trainSize, train.count, trainImages);
  checkSize('--test-size', options.testSize, test.count, testImages);
  return {
    name: datasetName(dir),
    task: 'classification',
    numClasses,
    classNames: classNamesFor(numClasses),
    train: options.trainSize === undefined ? train : takeFirst(train, options.trainSize),
    test: options.testSize === undefined ? test : takeFirst(test, options.testSize),
    // every IDX set is normalised with Fashion-MNIST's statistics, as the paper's pipeline fixes them
    normalization: FASHION_MNIST_NORMALIZATION,
    source: { kind: 'idx', dir: path.resolve(dir) === path.resolve(EMBEDDED_FASHION_MNIST_DIR) ? null : path.resolve(dir) },
  };
}

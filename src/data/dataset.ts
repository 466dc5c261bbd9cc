

import type { Normalization, Task, DataSourceSpec } from '../schema/data.js';

/**
 * Examples of one split, N x H x W x C row-major, channels last. Images keep their raw bytes (from IDX files or
 * decoded image files); a table keeps its feature values as numbers, one example being 1 x 1 x F with `shape` [F].
 */
export interface ImageSet {
  readonly images: Uint8Array | Float32Array;
  /** Class indices, or the regression targets (a Float32Array). */
  readonly labels: Uint8Array | Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** The shape of one example given to the model when it is not [height, width, channels] (a table: [features]). */
  readonly shape?: readonly number[];
}

/** A data source's examples, split into training and test examples, with their classes (or a regression's target) and statistics. */
export interface Dataset {
  readonly name: string;
  /** Classes; 1 (one output unit) for regression. */
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** Absent means classification. */
  readonly task?: Task;
  /** Per-channel (per-feature for tables) statistics of the training examples, used to normalise every split. */
  readonly normalization?: Normalization;
  /** Regression: mean and standard deviation of the training targets; the model learns (y - mean) / std. */
  readonly targetNormalization?: { readonly mean: number; readonly std: number };
  /** Where the examples came from, enough to load them again (recorded in run.json). */
  readonly source?: DataSourceSpec;
}

/** The shape of one example as the model takes it. */
export function exampleShape(set: ImageSet): number[] {
  return set.shape === undefined ? [set.height, set.width, set.channels] : [...set.shape];
}

/** Values per example. */
export function exampleSize(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels;
}

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** The first n examples of a split. */
export function takeFirst(set: ImageSet, n: number): ImageSet {
  if (n >= set.count) return set;
  const pixels = exampleSize(set);
  return { ...set, images: set.images.subarray(0, n * pixels), labels: set.labels.subarray(0, n), count: n };
}

/** Examples at the given indices, copied (for a validation split or a held-out subset). */
export function selectExamples(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const pixels = exampleSize(set);
  const images = set.images instanceof Float32Array ? new Float32Array(indices.length * pixels) : new Uint8Array(indices.length * pixels);
  const labels = set.labels instanceof Float32Array ? new Float32Array(indices.length) : new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(set.images.subarray(j * pixels, (j + 1) * pixels), i * pixels);
    labels[i] = set.labels[j]!;
  }
  return { ...set, images, labels, count: indices.length };
}

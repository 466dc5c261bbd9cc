/** Images of one split, kept as the raw bytes of the IDX file: N x H x W x C, row-major. */
export interface ImageSet {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface Dataset {
  readonly name: string;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: ImageSet;
  readonly test: ImageSet;
}

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
  const pixels = set.height * set.width * set.channels;
  return { ...set, images: set.images.subarray(0, n * pixels), labels: set.labels.subarray(0, n), count: n };
}

/** Examples at the given indices, copied (for a validation split or a held-out subset). */
export function selectExamples(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const pixels = set.height * set.width * set.channels;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(set.images.subarray(j * pixels, (j + 1) * pixels), i * pixels);
    labels[i] = set.labels[j]!;
  }
  return { ...set, images, labels, count: indices.length };
}

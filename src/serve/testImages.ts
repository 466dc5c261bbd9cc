import type { ImageSet } from '../data/dataset.js';

/** The JSON the page fetches from /api/test-images: the first images of the run's test split. */
export interface TestImagesResponse {
  count: number;
  height: number;
  width: number;
  channels: number;
  /** Index of each image in the test split. */
  indices: number[];
  labels: number[];
  /** count x height x width x channels bytes, base64. */
  images: string;
}

export function testImagesResponse(set: ImageSet, count: number): TestImagesResponse {
  const n = Math.max(0, Math.min(count, set.count));
  const size = set.height * set.width * set.channels;
  return {
    count: n,
    height: set.height,
    width: set.width,
    channels: set.channels,
    indices: Array.from({ length: n }, (_, i) => i),
    labels: Array.from(set.labels.subarray(0, n)),
    images: Buffer.from(set.images.buffer, set.images.byteOffset, n * size).toString('base64'),
  };
}

import { exampleSize, type ImageSet } from './dataset.js';

/**
 * Mean and (population) standard deviation of every channel over all examples of a split: pixel values scaled to
 * [0, 1] for image bytes, the raw numbers for a table's features (its channels). A constant channel gets std 1, so
 * normalising it gives 0 rather than NaN.
 */
export function channelStatistics(set: ImageSet): { mean: number[]; std: number[] } {
  const c = set.channels;
  const scale = set.images instanceof Uint8Array ? 1 / 255 : 1;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const total = set.count * exampleSize(set);
  for (let i = 0; i < total; i++) {
    const v = set.images[i]! * scale;
    sum[i % c]! += v;
    sumSq[i % c]! += v * v;
  }
  const n = total / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sumSq, (s, ch) => {
    const variance = Math.max(0, s / n - mean[ch]! ** 2);
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean, std };
}

/** Mean and std of a regression target (std 1 when constant). */
export function targetStatistics(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    sumSq += values[i]! ** 2;
  }
  const mean = sum / values.length;
  const variance = Math.max(0, sumSq / values.length - mean * mean);
  return { mean, std: variance > 1e-12 ? Math.sqrt(variance) : 1 };
}

import type { Rng } from '../util/rng.js';
import { exampleSize, type ImageSet } from './dataset.js';
import type { Augmentation, Normalization } from '../schema/data.js';

/** Fashion-MNIST's training-set mean and standard deviation of pixel values in [0, 1]. */
export const FASHION_MNIST_NORMALIZATION: Normalization & { readonly mean: number; readonly std: number } = { mean: 0.286, std: 0.353 };

/** The mean and std of channel c. */
export function channelStats(norm: Normalization, c: number): { mean: number; std: number } {
  const mean = typeof norm.mean === 'number' ? norm.mean : norm.mean[c]!;
  const std = typeof norm.std === 'number' ? norm.std : norm.std[c]!;
  return { mean, std };
}

/** The normalised value of each byte 0..255 in each channel: table[v * channels + c]. */
function lookupTable(norm: Normalization, channels: number): Float32Array {
  const table = new Float32Array(256 * channels);
  for (let c = 0; c < channels; c++) {
    const { mean, std } = channelStats(norm, c);
    for (let v = 0; v < 256; v++) table[v * channels + c] = (v / 255 - mean) / std;
  }
  return table;
}

/** A function from (raw value, channel) to the normalised value, for bytes or numbers alike. */
function normalizer(set: ImageSet, norm: Normalization): (value: number, channel: number) => number {
  const c = set.channels;
  if (set.images instanceof Uint8Array) {
    const table = lookupTable(norm, c);
    return (v, ch) => table[v * c + ch]!;
  }
  const stats = Array.from({ length: c }, (_, ch) => channelStats(norm, ch));
  return (v, ch) => (v - stats[ch]!.mean) / stats[ch]!.std;
}

/** The paper's augmentation for images: a random crop after zero-padding by 2 pixels, and random horizontal flips. */
export const DEFAULT_AUGMENTATION: Augmentation = { pad: 2, flip: true };

/** Normalised images at the given indices, N x H x W x C, ready for a tensor. */
export function normalizedBatch(set: ImageSet, indices: ArrayLike<number>, norm: Normalization): Float32Array {
  const value = normalizer(set, norm);
  const c = set.channels;
  const pixels = exampleSize(set);
  const out = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * pixels;
    for (let p = 0; p < pixels; p++) out[i * pixels + p] = value(set.images[src + p]!, p % c);
  }
  return out;
}

/**
 * Normalised, augmented images: each is zero-padded by `pad` pixels (zero in raw pixel values), cropped back to
 * H x W at a uniformly random offset, and flipped left-right with probability 0.5.
 */
export function augmentedBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  norm: Normalization,
  augmentation: Augmentation,
  rng: Rng,
): Float32Array {
  const value = normalizer(set, norm);
  const { height: h, width: w, channels: c } = set;
  const pixels = h * w * c;
  const out = new Float32Array(indices.length * pixels);
  const span = 2 * augmentation.pad + 1;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * pixels;
    const dy = rng.int(span) - augmentation.pad;
    const dx = rng.int(span) - augmentation.pad;
    const flip = augmentation.flip && rng.next() < 0.5;
    for (let y = 0; y < h; y++) {
      const sy = y + dy;
      for (let x = 0; x < w; x++) {
        const sx0 = x + dx;
        const sx = flip ? w - 1 - sx0 : sx0;
        const inside = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w;
        for (let ch = 0; ch < c; ch++) {
          out[i * pixels + (y * w + x) * c + ch] = value(inside ? set.images[src + (sy * w + sx) * c + ch]! : 0, ch);
        }
      }
    }
  }
  return out;
}

/** One-hot labels at the given indices, N x K. */
export function oneHotBatch(set: ImageSet, indices: ArrayLike<number>, numClasses: number): Float32Array {
  const out = new Float32Array(indices.length * numClasses);
  for (let i = 0; i < indices.length; i++) out[i * numClasses + set.labels[indices[i]!]!] = 1;
  return out;
}

/** Regression targets at the given indices, standardised with the training targets' mean and std, N x 1. */
export function targetBatch(set: ImageSet, indices: ArrayLike<number>, target: { mean: number; std: number }): Float32Array {
  const out = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = (set.labels[indices[i]!]! - target.mean) / target.std;
  return out;
}

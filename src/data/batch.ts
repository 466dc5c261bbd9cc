import type { Rng } from '../util/rng.js';
import type { ImageSet } from './dataset.js';

/** Per-pixel normalisation applied after scaling bytes to [0, 1]: x' = (x / 255 - mean) / std. */
export interface Normalization {
  readonly mean: number;
  readonly std: number;
}

/** Fashion-MNIST's training-set mean and standard deviation of pixel values in [0, 1]. */
export const FASHION_MNIST_NORMALIZATION: Normalization = { mean: 0.286, std: 0.353 };

export interface Augmentation {
  /** Zero padding (in raw pixels) before a random crop back to the original size; 0 disables cropping. */
  readonly pad: number;
  /** Flip horizontally with probability 0.5. */
  readonly flip: boolean;
}

export const DEFAULT_AUGMENTATION: Augmentation = { pad: 2, flip: true };

function lookupTable(norm: Normalization): Float32Array {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - norm.mean) / norm.std;
  return table;
}

/** Normalised images at the given indices, N x H x W x C, ready for a tensor. */
export function normalizedBatch(set: ImageSet, indices: ArrayLike<number>, norm: Normalization): Float32Array {
  const table = lookupTable(norm);
  const pixels = set.height * set.width * set.channels;
  const out = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * pixels;
    for (let p = 0; p < pixels; p++) out[i * pixels + p] = table[set.images[src + p]!]!;
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
  const table = lookupTable(norm);
  const { height: h, width: w, channels: c } = set;
  const pixels = h * w * c;
  const out = new Float32Array(indices.length * pixels);
  const zero = table[0]!;
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
          out[i * pixels + (y * w + x) * c + ch] = inside ? table[set.images[src + (sy * w + sx) * c + ch]!]! : zero;
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

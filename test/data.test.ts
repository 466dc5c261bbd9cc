import { describe, expect, it } from 'vitest';
import { augmentedBatch, FASHION_MNIST_NORMALIZATION, normalizedBatch, oneHotBatch } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { permutation, Rng } from '../src/util/rng.js';

describe('embedded Fashion-MNIST', () => {
  it('loads 60000 + 10000 labelled 28x28 images, and the first N on request', () => {
    const full = loadIdxDataset();
    expect(full.name).toBe('fashion-mnist');
    expect(full.train.count).toBe(60000);
    expect(full.test.count).toBe(10000);
    expect([full.train.height, full.train.width, full.train.channels]).toEqual([28, 28, 1]);
    // Fashion-MNIST is balanced: 6000 of each class in training
    const counts = new Array(10).fill(0);
    full.train.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual(new Array(10).fill(6000));
    // the published pixel mean and std of the training set
    let sum = 0;
    let sq = 0;
    for (const v of full.train.images) {
      sum += v / 255;
      sq += (v / 255) ** 2;
    }
    const n = full.train.images.length;
    expect(sum / n).toBeCloseTo(FASHION_MNIST_NORMALIZATION.mean, 3);
    expect(Math.sqrt(sq / n - (sum / n) ** 2)).toBeCloseTo(FASHION_MNIST_NORMALIZATION.std, 3);
    const small = loadIdxDataset(undefined, { trainSize: 100, testSize: 50 });
    expect(small.train.count).toBe(100);
    expect(Array.from(small.train.labels)).toEqual(Array.from(full.train.labels.subarray(0, 100)));
    expect(() => loadIdxDataset(undefined, { trainSize: 70000 })).toThrow(/--train-size 70000 exceeds the 60000/);
  });
});

describe('batches and augmentation', () => {
  // one 3x3 image with pixels 1..9 (raw bytes), label 2
  const set: ImageSet = { images: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), labels: Uint8Array.from([2]), count: 1, height: 3, width: 3, channels: 1 };
  const norm = { mean: 0, std: 1 / 255 }; // makes normalised values equal the raw bytes

  it('normalises (x / 255 - mean) / std and one-hot encodes labels', () => {
    expect(Array.from(normalizedBatch(set, [0], norm))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => expect.closeTo(v, 4)));
    expect(Array.from(oneHotBatch(set, [0], 4))).toEqual([0, 0, 1, 0]);
  });

  it('random crops of the zero-padded image are shifted copies; flips mirror rows', () => {
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const out = Array.from(augmentedBatch(set, [0], norm, { pad: 1, flip: true }, rng)).map((v) => Math.round(v));
      seen.add(out.join(','));
      // every output pixel is 0 (padding) or one of the original pixels
      out.forEach((v) => expect(v >= 0 && v <= 9).toBe(true));
    }
    expect(seen.has('1,2,3,4,5,6,7,8,9')).toBe(true); // no shift, no flip
    expect(seen.has('3,2,1,6,5,4,9,8,7')).toBe(true); // flipped
    expect(seen.has('0,0,0,0,1,2,0,4,5')).toBe(true); // shifted down-right by one
    expect(seen.size).toBe(18); // 9 offsets x 2 flips
  });

  it('the seeded generator is reproducible and permutations are permutations', () => {
    const a = permutation(50, new Rng(7));
    const b = permutation(50, new Rng(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(permutation(50, new Rng(8)))).not.toEqual(Array.from(a));
  });
});

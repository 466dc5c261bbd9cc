import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { normalizedBatch } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { swaSchedule } from '../src/schedules/swa.js';
import { updateBatchNorm, WeightAverage } from '../src/training/swa.js';
import { Rng } from '../src/util/rng.js';

describe('SWA learning rate (Izmailov et al. 2018)', () => {
  it('lr0 for the first half of the start, linear down to swaLr at 90%, then constant', () => {
    const lr = swaSchedule({ lr0: 0.1, swaLr: 0.05, swaStart: 10 });
    // u = (t - 1) / 10; authors' factor 1 - (1 - 0.5) (u - 0.5) / 0.4 between u = 0.5 and 0.9
    const expected = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.05, 0.05];
    expected.forEach((v, i) => expect(lr(i + 1)).toBeCloseTo(v, 12));
    expect(lr(1000)).toBe(0.05);
  });
});

describe('weight averaging and batch-norm re-estimation', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  function smallModel(): tfl.LayersModel {
    const input = tfl.input({ shape: [4, 4, 2] });
    let x = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(input) as tfl.SymbolicTensor;
    x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, kernelInitializer: 'glorotUniform' }).apply(x) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: out });
  }

  it('the running average equals the mean of the weight sets it was given', () => {
    const before = tf.memory().numTensors;
    const model = smallModel();
    const rng = new Rng(1);
    const sets = [0, 1, 2].map(() => model.weights.map((w) => Float32Array.from({ length: (w.shape as number[]).reduce((a, b) => a * b, 1) }, () => rng.next() * 4 - 2)));
    const average = new WeightAverage(model);
    for (const set of sets) {
      const tensors = set.map((values, i) => tf.tensor(values, model.weights[i]!.shape as number[]));
      model.setWeights(tensors);
      tf.dispose(tensors);
      average.update();
    }
    expect(average.count).toBe(3);
    average.applyTo();
    model.weights.forEach((w, i) => {
      const got = w.read().dataSync();
      got.forEach((v, j) => expect(v).toBeCloseTo((sets[0]![i]![j]! + sets[1]![i]![j]! + sets[2]![i]![j]!) / 3, 5));
    });
    average.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('batch-norm statistics become the equal-weight average of the per-batch statistics, and momentum is restored', () => {
    const rng = new Rng(2);
    const count = 10;
    const set: ImageSet = { images: new Uint8Array(count * 32).map(() => rng.int(256)), labels: new Uint8Array(count), count, height: 4, width: 4, channels: 2 };
    const norm = { mean: 0.5, std: 0.3 };
    const model = smallModel();
    const batches = updateBatchNorm(model, set, norm, 4);
    expect(batches).toBe(3);
    // batches of 4, 4 and 2 images: per-channel mean and (biased) variance of each, then averaged with equal weight
    const pixels = normalizedBatch(set, Int32Array.from({ length: count }, (_, i) => i), norm);
    const stats = [[0, 4], [4, 8], [8, 10]].map(([a, b]) =>
      [0, 1].map((c) => {
        const v: number[] = [];
        for (let i = a!; i < b!; i++) for (let p = 0; p < 16; p++) v.push(pixels[i * 32 + p * 2 + c]!);
        const mean = v.reduce((s, x) => s + x, 0) / v.length;
        return { mean, variance: v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length };
      }),
    );
    const bn = model.layers[1]!;
    const [movingMean, movingVariance] = bn.getWeights().slice(2).map((t) => t.dataSync());
    for (const c of [0, 1]) {
      expect(movingMean![c]).toBeCloseTo((stats[0]![c]!.mean + stats[1]![c]!.mean + stats[2]![c]!.mean) / 3, 5);
      expect(movingVariance![c]).toBeCloseTo((stats[0]![c]!.variance + stats[1]![c]!.variance + stats[2]![c]!.variance) / 3, 5);
    }
    expect(bn.getConfig()['momentum']).toBe(0.9);
    model.dispose();
  });
});

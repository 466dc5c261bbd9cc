import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { FastBatchNormalization } from '../src/models/batchNorm.js';
import { maxRelativeError } from './helpers/kernels.js';

interface Outcome {
  y: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

const SHAPES: [number, number, number, number][] = [
  [4, 5, 6, 3],
  [8, 7, 7, 16],
  [2, 3, 3, 1],
];

/** One training-mode call of a batch-norm layer on fixed data; the gradients of sum(y * r). */
function trainingStep(layer: tfl.layers.Layer, shape: [number, number, number, number], seed: number): Outcome {
  return tf.tidy(() => {
    const c = shape[3];
    // An offset and scale far from (0, 1), so that the mean and variance terms of the gradient matter.
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), 2.5), 3);
    const r = tf.randomNormal(shape, 0, 1, 'float32', seed + 1);
    layer.build(shape);
    layer.setWeights([
      tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 2),
      tf.randomNormal([c], 0, 1, 'float32', seed + 3),
      tf.zeros([c]),
      tf.ones([c]),
    ]);
    const [gamma, beta] = layer.trainableWeights.map((w) => w.read());
    let y: tf.Tensor | undefined;
    const f = (input: tf.Tensor, _g: tf.Tensor, _b: tf.Tensor) => {
      const out = layer.apply(input, { training: true }) as tf.Tensor;
      y = tf.keep(out);
      return tf.sum(tf.mul(out, r));
    };
    const [dx, dgamma, dbeta] = tf.grads(f)([x, gamma!, beta!]);
    const [movingMean, movingVariance] = layer.getWeights().slice(2);
    const outcome = {
      y: y!.dataSync() as Float32Array,
      dx: dx!.dataSync() as Float32Array,
      dgamma: dgamma!.dataSync() as Float32Array,
      dbeta: dbeta!.dataSync() as Float32Array,
      movingMean: movingMean!.dataSync() as Float32Array,
      movingVariance: movingVariance!.dataSync() as Float32Array,
    };
    y!.dispose();
    return outcome;
  });
}

const ARGS = { momentum: 0.9, epsilon: 1e-5 };

describe('batch norm with the closed-form gradient', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('wasm', { threads: 1 });
  });

  it.each(SHAPES)('matches the stock layer on the cpu backend: output, gradients, moving statistics, shape [%i, %i, %i, %i]', async (...shape) => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend('cpu');
      const reference = trainingStep(tfl.layers.batchNormalization(ARGS), shape, 7);
      await tf.setBackend(backend);
      const ours = trainingStep(new FastBatchNormalization(ARGS), shape, 7);
      for (const key of Object.keys(reference) as (keyof Outcome)[]) {
        // Sums run in another order (a matrix product against the stock Mean): float32 rounding, nothing more.
        expect(maxRelativeError(ours[key], reference[key]), `${backend} ${key}`).toBeLessThan(2e-5);
      }
    }
  });

  it('saves as the stock BatchNormalization layer and runs the stock code in inference', async () => {
    await tf.setBackend('wasm');
    const layer = new FastBatchNormalization(ARGS);
    expect(layer.getClassName()).toBe('BatchNormalization');
    const stock = tfl.layers.batchNormalization(ARGS);
    expect(layer.getConfig()).toEqual({ ...stock.getConfig(), name: layer.name });
    const x = tf.randomNormal([3, 4, 4, 2], 1, 2, 'float32', 3);
    layer.build(x.shape);
    stock.build(x.shape);
    stock.setWeights(layer.getWeights());
    const a = (layer.apply(x, { training: false }) as tf.Tensor).dataSync();
    const b = (stock.apply(x, { training: false }) as tf.Tensor).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

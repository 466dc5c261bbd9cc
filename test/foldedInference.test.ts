import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { foldedInference } from '../src/models/foldedInference.js';
import { buildModel } from '../src/models/registry.js';
import { maxRelativeError } from './helpers/kernels.js';

/** A model whose batch norms hold statistics far from their initial (0, 1), as after training. */
function trainedLookingModel(name: string) {
  const model = buildModel(name, { inputShape: [28, 28, 1], numClasses: 10 }, 3);
  let seed = 10;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape);
    layer.setWeights([
      tf.randomUniform(gamma!, 0.5, 1.5, 'float32', seed++),
      tf.randomNormal(beta!, 0, 0.3, 'float32', seed++),
      tf.randomNormal(mean!, 0, 0.5, 'float32', seed++),
      tf.randomUniform(variance!, 0.3, 3, 'float32', seed++),
    ]);
  }
  return model;
}

describe('inference with batch norms folded into the convolutions', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('wasm', { threads: 1 });
  });

  it.each([
    ['cnn', 4],
    ['resnet20', 21],
  ] as const)('%s: %i folds, the same logits as model.predict on both backends, no tensor left', async (name, folds) => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await tf.setBackend(backend);
      const model = trainedLookingModel(name);
      const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 5);
      const before = tf.memory().numTensors;
      const forward = foldedInference(model);
      expect(forward.folded).toBe(folds);
      const folded = forward(x);
      const reference = model.predict(x) as tf.Tensor;
      // W s and beta - mean s round differently from the convolution followed by batch norm: float32, no more.
      expect(maxRelativeError(folded.dataSync(), reference.dataSync()), backend).toBeLessThan(1e-5);
      tf.dispose([folded, reference]);
      forward.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    }
  });
});

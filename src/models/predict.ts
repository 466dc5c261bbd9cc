import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { normalizedBatch } from '../data/batch.js';
import { exampleShape, type ImageSet } from '../data/dataset.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../metrics/probabilities.js';
import { foldedInference } from './foldedInference.js';
import type { Normalization } from '../schema/data.js';

export const PREDICT_BATCH_SIZE = 500;

/** The model's outputs (units per example), mapped by `head`, for every example of a set, in inference mode. */
function forwardAll(
  model: tfl.LayersModel,
  set: ImageSet,
  normalization: Normalization,
  units: number,
  head: (outputs: tf.Tensor) => tf.Tensor,
  batchSize: number,
): Float32Array {
  const out = new Float32Array(set.count * units);
  const indices = new Int32Array(set.count).map((_, i) => i);
  const shape = exampleShape(set);
  const forward = foldedInference(model);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const batch = indices.subarray(start, Math.min(start + batchSize, set.count));
      // One forward pass per batch (predict would split it into batches of 32), convolutions and batch norms
      // folded; read back outside tidy, which would otherwise walk the returned array looking for tensors.
      const result = tf.tidy(() => head(forward(tf.tensor(normalizedBatch(set, batch, normalization), [batch.length, ...shape]))));
      out.set(result.dataSync(), start * units);
      result.dispose();
    }
  } finally {
    forward.dispose();
  }
  return out;
}

/** Softmax outputs of a logits model on every image of a set, in inference mode (batch norm uses its running statistics). */
export function predictProbabilities(
  model: tfl.LayersModel,
  set: ImageSet,
  normalization: Normalization,
  numClasses: number,
  batchSize = PREDICT_BATCH_SIZE,
): ProbabilityMatrix {
  return probabilityMatrix(forwardAll(model, set, normalization, numClasses, (logits) => tf.softmax(logits), batchSize), numClasses);
}

/**
 * A regression model's prediction for every example, in the target's units: its one output times the training
 * targets' std plus their mean (the model learns the standardised target).
 */
export function predictValues(
  model: tfl.LayersModel,
  set: ImageSet,
  normalization: Normalization,
  target: { mean: number; std: number },
  batchSize = PREDICT_BATCH_SIZE,
): Float32Array {
  return forwardAll(model, set, normalization, 1, (y) => tf.add(tf.mul(y, target.std), target.mean), batchSize);
}

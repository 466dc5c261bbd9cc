import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { normalizedBatch, type Normalization } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../metrics/probabilities.js';
import { foldedInference } from '../models/foldedInference.js';

export const PREDICT_BATCH_SIZE = 500;

/** Softmax outputs of a logits model on every image of a set, in inference mode (batch norm uses its running statistics). */
export function predictProbabilities(
  model: tfl.LayersModel,
  set: ImageSet,
  normalization: Normalization,
  numClasses: number,
  batchSize = PREDICT_BATCH_SIZE,
): ProbabilityMatrix {
  const out = new Float32Array(set.count * numClasses);
  const indices = new Int32Array(set.count).map((_, i) => i);
  const forward = foldedInference(model);
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      const batch = indices.subarray(start, Math.min(start + batchSize, set.count));
      // One forward pass per batch (predict would split it into batches of 32), convolutions and batch norms
      // folded; read back outside tidy, which would otherwise walk the returned array looking for tensors.
      const probs = tf.tidy(() => {
        const xs = tf.tensor4d(normalizedBatch(set, batch, normalization), [batch.length, set.height, set.width, set.channels]);
        return tf.softmax(forward(xs));
      });
      out.set(probs.dataSync(), start * numClasses);
      probs.dispose();
    }
  } finally {
    forward.dispose();
  }
  return probabilityMatrix(out, numClasses);
}

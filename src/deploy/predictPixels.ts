import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import { PREDICT_BATCH_SIZE } from '../ensemble/predict.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../metrics/probabilities.js';

export interface TimedProbabilities {
  probabilities: ProbabilityMatrix;
  /** Wall seconds of the forward passes (the first batch included) and reading the outputs back. */
  seconds: number;
}

/**
 * The outputs of an exported model (raw pixels in, class probabilities out) on every image of a set, one
 * forward pass per batch of PREDICT_BATCH_SIZE, as `evaluate` batches its snapshots.
 */
export function predictPixels(model: tfl.LayersModel, set: ImageSet, numClasses: number, batchSize = PREDICT_BATCH_SIZE): TimedProbabilities {
  const pixels = set.height * set.width * set.channels;
  const out = new Float32Array(set.count * numClasses);
  const start = performance.now();
  for (let first = 0; first < set.count; first += batchSize) {
    const n = Math.min(batchSize, set.count - first);
    const probs = tf.tidy(() => {
      const xs = tf.tensor4d(Float32Array.from(set.images.subarray(first * pixels, (first + n) * pixels)), [n, set.height, set.width, set.channels]);
      return model.predict(xs, { batchSize: n }) as tf.Tensor;
    });
    out.set(probs.dataSync(), first * numClasses);
    probs.dispose();
  }
  return { probabilities: probabilityMatrix(out, numClasses), seconds: (performance.now() - start) / 1000 };
}

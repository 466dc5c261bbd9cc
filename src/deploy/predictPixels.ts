import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { exampleShape, exampleSize, type ImageSet } from '../data/dataset.js';
import { PREDICT_BATCH_SIZE } from '../models/predict.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../metrics/probabilities.js';

export interface TimedOutputs {
  /** The model's outputs, `width` numbers per example, example after example. */
  values: Float32Array;
  /** Wall seconds of the forward passes (the first batch included) and reading the outputs back. */
  seconds: number;
}

export interface TimedProbabilities {
  probabilities: ProbabilityMatrix;
  seconds: number;
}

/**
 * The outputs of an exported model (raw pixels or a table's raw values in, `width` numbers out) on every example of
 * a set, one forward pass per batch of PREDICT_BATCH_SIZE, as `evaluate` batches its snapshots.
 */
export function predictRaw(model: tfl.LayersModel, set: ImageSet, width: number, batchSize = PREDICT_BATCH_SIZE): TimedOutputs {
  const size = exampleSize(set);
  const shape = exampleShape(set);
  const values = new Float32Array(set.count * width);
  const start = performance.now();
  for (let first = 0; first < set.count; first += batchSize) {
    const n = Math.min(batchSize, set.count - first);
    const out = tf.tidy(() => {
      const xs = tf.tensor(Float32Array.from(set.images.subarray(first * size, (first + n) * size)), [n, ...shape]);
      return model.predict(xs, { batchSize: n }) as tf.Tensor;
    });
    values.set(out.dataSync(), first * width);
    out.dispose();
  }
  return { values, seconds: (performance.now() - start) / 1000 };
}

/** An exported classifier's class probabilities on every example of a set (predictRaw). */
export function predictPixels(model: tfl.LayersModel, set: ImageSet, numClasses: number, batchSize = PREDICT_BATCH_SIZE): TimedProbabilities {
  const { values, seconds } = predictRaw(model, set, numClasses, batchSize);
  return { probabilities: probabilityMatrix(values, numClasses), seconds };
}

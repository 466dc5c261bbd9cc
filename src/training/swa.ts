import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { normalizedBatch } from '../data/batch.js';
import { exampleShape, type ImageSet } from '../data/dataset.js';
import type { BatchNormalizationFields } from '../models/batchNorm.js';
import type { Normalization } from '../schema/data.js';

/** SWA's running average as a checkpoint holds it. */
export interface WeightAverageState {
  count: number;
  weights: Float32Array[];
  shapes: number[][];
}

/**
 * Stochastic Weight Averaging (Izmailov, Podoprikhin, Garipov, Vetrov, Wilson 2018), kept apart from the training
 * loop as PyTorch's swa_utils.AveragedModel is: the loop's onEpochEnd hook calls update(), and after training
 * applyTo() writes the average into the model, whose batch-norm statistics updateBatchNorm() then re-estimates.
 *
 * Running mean of every weight of the model (trainable or not): w_swa <- w_swa + (w - w_swa) / (n + 1).
 * Batch-norm moving statistics are averaged too but are meant to be replaced by updateBatchNorm.
 */
export class WeightAverage {
  private average: tf.Variable[] | null = null;
  private n = 0;

  constructor(private readonly model: tfl.LayersModel) {}

  /** Number of weight sets averaged so far. */
  get count(): number {
    return this.n;
  }

  /** Folds the model's current weights into the average. */
  update(): void {
    const weights = this.model.weights.map((w) => w.read());
    if (this.average === null) {
      this.average = weights.map((w) => tf.tidy(() => tf.variable(w.clone(), false)));
    } else {
      const n = this.n;
      this.average.forEach((avg, i) => {
        tf.tidy(() => avg.assign(tf.add(avg, tf.div(tf.sub(weights[i]!, avg), n + 1))));
      });
    }
    this.n++;
  }

  /** The average and its count, to checkpoint (null before the first update). */
  state(): WeightAverageState | null {
    if (this.average === null) return null;
    return { count: this.n, weights: this.average.map((v) => Float32Array.from(v.dataSync() as Float32Array)), shapes: this.average.map((v) => [...v.shape]) };
  }

  /** Continues from a checkpointed average. */
  restore(state: WeightAverageState): void {
    this.dispose();
    this.average = state.weights.map((w, i) => tf.tidy(() => tf.variable(tf.tensor(w, state.shapes[i]!), false)));
    this.n = state.count;
  }

  /** Writes the averaged weights into a model of the same architecture (by default the averaged one). */
  applyTo(model: tfl.LayersModel = this.model): void {
    if (this.average === null) throw new Error('WeightAverage: no weights have been averaged yet');
    model.setWeights(this.average);
  }

  dispose(): void {
    if (this.average !== null) tf.dispose(this.average);
    this.average = null;
    this.n = 0;
  }
}

interface MomentumSettable {
  momentum: number;
}

function batchNormLayers(model: tfl.LayersModel): (tfl.layers.Layer & MomentumSettable)[] {
  return model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as unknown as (tfl.layers.Layer & MomentumSettable)[];
}

/**
 * Re-estimates every batch-norm layer's moving mean and variance with one pass over a set of images, as PyTorch's
 * swa_utils.update_bn does: the model runs in training mode and each layer's statistics become the equal-weight
 * average of the per-batch statistics (the cumulative average of update_bn's momentum = None), obtained here by
 * setting the layer's momentum to (i - 1) / i before batch i, from a fresh layer's statistics. Images are normalised
 * but not augmented, so the statistics match the inputs seen at test time. Returns the number of batches; a model
 * without batch norm is left untouched.
 */
export function updateBatchNorm(model: tfl.LayersModel, set: ImageSet, normalization: Normalization, batchSize = 256): number {
  const layers = batchNormLayers(model);
  if (layers.length === 0 || set.count === 0) return 0;
  const saved = layers.map((l) => l.momentum);
  // Start from a fresh layer's statistics (mean 0, variance 1), as update_bn resets them: the first batch's update
  // v - (v - b) rounds differently for different v, so the estimate would otherwise depend on the statistics the
  // model held before (a SWAG sample drawn after training would differ in its last bits from the same sample drawn
  // by evaluate on a freshly built model).
  tf.tidy(() => {
    for (const l of layers as unknown as BatchNormalizationFields[]) {
      l.movingMean.write(tf.zerosLike(l.movingMean.read()));
      l.movingVariance.write(tf.onesLike(l.movingVariance.read()));
    }
  });
  const indices = Int32Array.from({ length: set.count }, (_, i) => i);
  let batches = 0;
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      batches++;
      for (const l of layers) l.momentum = (batches - 1) / batches;
      const batch = indices.subarray(start, Math.min(start + batchSize, set.count));
      tf.tidy(() => {
        const xs = tf.tensor(normalizedBatch(set, batch, normalization), [batch.length, ...exampleShape(set)]);
        model.apply(xs, { training: true });
      });
    }
  } finally {
    layers.forEach((l, i) => (l.momentum = saved[i]!));
  }
  return batches;
}

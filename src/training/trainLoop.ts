import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { augmentedBatch, normalizedBatch, oneHotBatch, type Augmentation, type Normalization } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import type { Schedule } from '../schedules/types.js';
import { permutation, type Rng } from '../util/rng.js';
import type { EpochSummary, Reporter } from './progress.js';

/** An optimizer whose learning rate the loop sets before every iteration. */
export interface ScheduledOptimizer {
  setLearningRate(learningRate: number): void;
  applyGradients(gradients: tf.NamedTensorMap): void;
}

/** Raised when the loss becomes NaN or infinite; weights hold the last finite step. */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError';
  constructor(
    readonly iteration: number,
    readonly learningRate: number,
    readonly loss: number,
  ) {
    super(`training diverged: loss is ${loss} at iteration ${iteration} (learning rate ${learningRate.toPrecision(4)})`);
  }
}

export interface LoopHooks {
  /** Called after iteration t when t is in the loop's snapshot points; index is 1-based. */
  onSnapshot?(info: { index: number; iteration: number; epoch: number; learningRate: number }): Promise<void> | void;
  onEpochEnd?(summary: EpochSummary): Promise<void> | void;
}

export interface LoopConfig {
  model: tfl.LayersModel;
  optimizer: ScheduledOptimizer;
  train: ImageSet;
  numClasses: number;
  normalization: Normalization;
  /** Training augmentation, or null for none. */
  augmentation: Augmentation | null;
  batchSize: number;
  epochs: number;
  schedule: Schedule;
  /** Iterations (1-based) after which a snapshot is taken. */
  snapshotAt: readonly number[];
  rng: Rng;
  reporter?: Reporter;
  hooks?: LoopHooks;
}

export interface LoopResult {
  epochs: EpochSummary[];
  /** Learning rate used at iteration t, at index t - 1. */
  learningRates: number[];
  /** Mean loss of the mini-batch of iteration t, at index t - 1. */
  losses: number[];
  seconds: number;
}

export function iterationsPerEpoch(examples: number, batchSize: number): number {
  return Math.ceil(examples / batchSize);
}

/**
 * The one training loop: epochs of shuffled mini-batches, the learning rate set from the schedule before every
 * iteration, softmax cross-entropy on the model's logits, and a snapshot hook at the given iterations.
 */
export async function trainLoop(config: LoopConfig): Promise<LoopResult> {
  const { model, optimizer, train, numClasses, batchSize, epochs, schedule, rng, reporter, hooks } = config;
  const perEpoch = iterationsPerEpoch(train.count, batchSize);
  const totalSteps = epochs * perEpoch;
  const snapshotAt = new Set(config.snapshotAt);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const imageShape = [train.height, train.width, train.channels] as const;
  const learningRates: number[] = [];
  const losses: number[] = [];
  const summaries: EpochSummary[] = [];
  const start = performance.now();
  let snapshotIndex = 0;
  let t = 0;

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const epochStart = performance.now();
    const order = permutation(train.count, rng);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < perEpoch; b++) {
      t++;
      const indices = order.subarray(b * batchSize, Math.min((b + 1) * batchSize, train.count));
      const lr = schedule(t);
      learningRates.push(lr);
      optimizer.setLearningRate(lr);
      const pixels =
        config.augmentation === null
          ? normalizedBatch(train, indices, config.normalization)
          : augmentedBatch(train, indices, config.normalization, config.augmentation, rng);
      const labels = oneHotBatch(train, indices, numClasses);
      const { loss, hits } = trainStep(model, optimizer, variables, pixels, labels, [indices.length, ...imageShape], numClasses, t, lr);
      losses.push(loss);
      lossSum += loss * indices.length;
      correct += hits;
      seen += indices.length;
      const elapsed = (performance.now() - start) / 1000;
      reporter?.step?.({
        iteration: t,
        totalSteps,
        epoch,
        epochs,
        cycle: Math.min(snapshotIndex + 1, config.snapshotAt.length),
        cycles: config.snapshotAt.length,
        learningRate: lr,
        loss: lossSum / seen,
        accuracy: correct / seen,
        imagesPerSecond: (seen + (epoch - 1) * train.count) / elapsed,
        secondsLeft: (elapsed / t) * (totalSteps - t),
      });
      if (snapshotAt.has(t)) {
        snapshotIndex++;
        await hooks?.onSnapshot?.({ index: snapshotIndex, iteration: t, epoch, learningRate: lr });
      }
    }
    const summary: EpochSummary = {
      epoch,
      loss: lossSum / seen,
      accuracy: correct / seen,
      seconds: (performance.now() - epochStart) / 1000,
      iteration: t,
    };
    summaries.push(summary);
    reporter?.epoch?.(summary);
    await hooks?.onEpochEnd?.(summary);
  }
  return { epochs: summaries, learningRates, losses, seconds: (performance.now() - start) / 1000 };
}

/** One SGD step; returns the batch's mean loss and the number of correct predictions. Disposes every tensor it makes. */
function trainStep(
  model: tfl.LayersModel,
  optimizer: ScheduledOptimizer,
  variables: tf.Variable[],
  pixels: Float32Array,
  labels: Float32Array,
  shape: readonly [number, number, number, number],
  numClasses: number,
  iteration: number,
  lr: number,
): { loss: number; hits: number } {
  return tf.tidy(() => {
    const xs = tf.tensor4d(pixels, shape as [number, number, number, number]);
    const ys = tf.tensor2d(labels, [shape[0], numClasses]);
    let logits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      logits = tf.keep(model.apply(xs, { training: true }) as tf.Tensor);
      return tf.losses.softmaxCrossEntropy(ys, logits) as tf.Scalar;
    }, variables);
    const kept = logits!;
    try {
      const loss = value.dataSync()[0]!;
      if (!Number.isFinite(loss)) throw new DivergenceError(iteration, lr, loss);
      optimizer.applyGradients(grads);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(kept, 1), tf.argMax(ys, 1)), 'int32')).dataSync()[0]!;
      return { loss, hits };
    } finally {
      kept.dispose();
    }
  });
}

import * as tf from '@tensorflow/tfjs-core';
import { oneHotBatch, targetBatch } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import type { Task } from '../schema/data.js';

/**
 * What a run learns, chosen once from its task: the targets of a batch, the loss the network's outputs are trained
 * with, and what counts as a hit. Classification: one-hot labels and softmax cross-entropy on the logits, a hit
 * when the largest logit is the label's. Regression: the target standardised with the training targets' mean and
 * std, (y - mean) / std, and the mean squared error of the network's one output; hits are not counted (NaN).
 */
export interface TaskHead {
  readonly task: Task;
  /** Units of the network's output: the classes, or 1. */
  readonly outputs: number;
  /** The standardisation of a regression's targets (mean 0, std 1 for classification). */
  readonly target: { readonly mean: number; readonly std: number };
  /** The batch's targets, batch x outputs, for the examples at `indices`. */
  targets(set: ImageSet, indices: ArrayLike<number>): Float32Array;
  /** The batch's mean loss. */
  loss(targets: tf.Tensor2D, outputs: tf.Tensor): tf.Scalar;
  /** Correct predictions in the batch (NaN for regression). Makes tensors: call inside a tidy. */
  hits(targets: tf.Tensor2D, outputs: tf.Tensor): number;
}

export function classificationHead(numClasses: number): TaskHead {
  return {
    task: 'classification',
    outputs: numClasses,
    target: { mean: 0, std: 1 },
    targets: (set, indices) => oneHotBatch(set, indices, numClasses),
    loss: (targets, outputs) => tf.losses.softmaxCrossEntropy(targets, outputs) as tf.Scalar,
    hits: (targets, outputs) => tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), tf.argMax(targets, 1)), 'int32')).dataSync()[0]!,
  };
}

export function regressionHead(target: { mean: number; std: number }): TaskHead {
  return {
    task: 'regression',
    outputs: 1,
    target,
    targets: (set, indices) => targetBatch(set, indices, target),
    loss: (targets, outputs) => tf.losses.meanSquaredError(targets, outputs) as tf.Scalar,
    hits: () => NaN,
  };
}

/** The head of a task: classes for classification, the target's statistics for regression. */
export function taskHead(task: Task, numClasses: number, target: { mean: number; std: number } | undefined): TaskHead {
  return task === 'regression' ? regressionHead(target ?? { mean: 0, std: 1 }) : classificationHead(numClasses);
}

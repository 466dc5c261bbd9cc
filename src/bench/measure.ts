import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { foldedInference } from '../models/foldedInference.js';
import { SgdOptimizer } from '../training/sgd.js';
import { trainingForward } from '../models/trainingForward.js';

export interface Throughput {
  /** Images per second over the timed steps (median step time). */
  imagesPerSecond: number;
  /** Each timed step, in milliseconds. */
  stepMs: number[];
  /** tf.memory().numTensors after every timed step: flat when nothing leaks. */
  tensors: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Random images and one-hot labels, made once per measurement. */
function syntheticBatch(batch: number, inputShape: readonly number[], numClasses: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => ({
    x: tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', seed),
    y: tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32', seed + 1), numClasses),
  }));
}

/**
 * Training steps as our loop runs them (softmax cross-entropy on the logits, the gradients of every trainable
 * weight, SGD with Nesterov momentum 0.9 and weight decay 1e-4, the loss read back), after `warmup` untimed ones.
 */
export async function measureTraining(model: tfl.LayersModel, batch: number, steps: number, warmup = 2): Promise<Throughput> {
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const numClasses = model.outputs[0]!.shape[1] as number;
  const { x, y } = syntheticBatch(batch, inputShape, numClasses, 1);
  const optimizer = new SgdOptimizer({ learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = trainingForward(model);
  const step = async () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, variables);
      optimizer.applyGradients(grads);
      return value;
    });
    await loss.data();
    loss.dispose();
  };
  try {
    return await timeSteps(step, batch, steps, warmup);
  } finally {
    optimizer.dispose();
    tf.dispose([x, y]);
  }
}

/** Runs `step` warmup times untimed, then `steps` times timed; the throughput from the median step. */
async function timeSteps(step: () => Promise<void>, batch: number, steps: number, warmup: number): Promise<Throughput> {
  for (let i = 0; i < warmup; i++) await step();
  const stepMs: number[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    stepMs.push(performance.now() - start);
    tensors.push(tf.memory().numTensors);
  }
  return { imagesPerSecond: (1000 * batch) / median(stepMs), stepMs, tensors };
}

/**
 * Inference as predictProbabilities runs it (one pass over the batch, convolutions and batch norms folded, the
 * softmax read back), after `warmup` untimed ones.
 */
export async function measureInference(model: tfl.LayersModel, batch: number, steps: number, warmup = 1): Promise<Throughput> {
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const numClasses = model.outputs[0]!.shape[1] as number;
  const { x, y } = syntheticBatch(batch, inputShape, numClasses, 2);
  const forward = foldedInference(model);
  const step = async () => {
    const p = tf.tidy(() => tf.softmax(forward(x)));
    await p.data();
    p.dispose();
  };
  try {
    return await timeSteps(step, batch, steps, warmup);
  } finally {
    forward.dispose();
    tf.dispose([x, y]);
  }
}

/**
 * Inference of an ensemble as `evaluate` runs it: one folded forward pass per member, each member's softmax, their
 * mean read back. `steps` timed after `warmup` untimed.
 */
export async function measureEnsembleInference(models: readonly tfl.LayersModel[], batch: number, steps: number, warmup = 1): Promise<Throughput> {
  const inputShape = models[0]!.inputs[0]!.shape.slice(1) as number[];
  const numClasses = models[0]!.outputs[0]!.shape[1] as number;
  const { x, y } = syntheticBatch(batch, inputShape, numClasses, 3);
  const forwards = models.map((m) => foldedInference(m));
  const step = async () => {
    const p = tf.tidy(() => tf.div(tf.addN(forwards.map((f) => tf.softmax(f(x)))), forwards.length));
    await p.data();
    p.dispose();
  };
  try {
    return await timeSteps(step, batch, steps, warmup);
  } finally {
    forwards.forEach((f) => f.dispose());
    tf.dispose([x, y]);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { augmentedBatch, normalizedBatch } from '../data/batch.js';
import type { TaskHead } from './taskHead.js';
import { exampleShape, type ImageSet } from '../data/dataset.js';
import { trainingForward } from '../models/trainingForward.js';
import type { TrainingForward } from '../backend/trainingForward.js';
import { setDropoutStep } from '../models/dropout.js';
import type { Schedule } from '../schedules/types.js';
import { permutation, Rng } from '../util/rng.js';
import type { Reporter } from '../util/reporter.js';
import type { Augmentation, Normalization } from '../schema/data.js';
import type { EpochSummary, LoopState } from '../schema/training.js';

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

/** Raised when shouldStop() asked the loop to stop; a checkpoint of `state` was handed to onCheckpoint first. */
export class TrainingInterrupted extends Error {
  override readonly name = 'TrainingInterrupted';
  constructor(readonly state: LoopState) {
    super(`training stopped after iteration ${state.iteration}`);
  }
}

export interface LoopHooks {
  /** Called after iteration t when t is in the loop's snapshot points; index is 1-based. */
  onSnapshot?(info: { index: number; iteration: number; epoch: number; learningRate: number }): Promise<void> | void;
  onEpochEnd?(summary: EpochSummary): Promise<void> | void;
  /** Called with the loop's state every `checkpointEvery` epochs (not after the last) and when stopped. */
  onCheckpoint?(state: LoopState): Promise<void> | void;
}

/**
 * What the loop minimises, when it is not softmax cross-entropy on the labels (e.g. knowledge distillation).
 * Every tensor it makes is disposed by the loop's step.
 */
export interface TrainingObjective {
  /**
   * Targets computed from the batch's images (normalised and augmented exactly as the model sees them) before the
   * gradient is taken, so no gradient flows into them: e.g. a teacher's soft labels.
   */
  targets?(images: tf.Tensor4D): tf.Tensor;
  /** The batch's mean loss from the model's logits, the one-hot labels and the targets. */
  loss(logits: tf.Tensor2D, labels: tf.Tensor2D, targets: tf.Tensor | undefined): tf.Scalar;
}

export interface LoopConfig {
  model: tfl.LayersModel;
  /** The loss (default: softmax cross-entropy of the logits against the labels). */
  objective?: TrainingObjective;
  optimizer: ScheduledOptimizer;
  train: ImageSet;
  /** What the network learns: targets, loss and hits (classificationHead, regressionHead). */
  head: TaskHead;
  normalization: Normalization;
  /** Training augmentation, or null for none. */
  augmentation: Augmentation | null;
  batchSize: number;
  epochs: number;
  schedule: Schedule;
  /** Iterations (1-based) after which a snapshot is taken. */
  snapshotAt: readonly number[];
  /** The generator for data order and augmentation (on resume, the state's generator is restored instead). */
  rng: Rng;
  reporter?: Reporter;
  hooks?: LoopHooks;
  /** Checkpoint every this many epochs (0 = never, except when stopped). Default 1. */
  checkpointEvery?: number;
  /** Asked after every iteration; true stops the loop with a checkpoint and a TrainingInterrupted error. */
  shouldStop?: () => boolean;
  /** Continue from a checkpointed state instead of starting at iteration 1. */
  resume?: LoopState;
}

export interface LoopResult {
  epochs: EpochSummary[];
  /** Learning rate used at iteration t, at index t - 1. */
  learningRates: number[];
  /** Mean training loss of the batch of iteration t, at index t - 1. */
  losses: number[];
  seconds: number;
}

export function iterationsPerEpoch(examples: number, batchSize: number): number {
  return Math.ceil(examples / batchSize);
}

/** The 1-based epoch that iteration t (1-based) belongs to, with perEpoch iterations an epoch. */
export function epochOfIteration(t: number, perEpoch: number): number {
  return Math.ceil(t / perEpoch);
}

function freshState(rng: Rng): LoopState {
  return {
    iteration: 0,
    epoch: 1,
    batch: 0,
    order: null,
    rngState: rng.getState(),
    snapshotsTaken: 0,
    epochLossSum: 0,
    epochCorrect: 0,
    epochSeen: 0,
    epochSeconds: 0,
    learningRates: [],
    losses: [],
    epochs: [],
    seconds: 0,
  };
}

/**
 * The one training loop: epochs of shuffled mini-batches, the learning rate set from the schedule before every
 * iteration, softmax cross-entropy on the model's logits (or another objective, or, for regression, the mean squared
 * error of its one output against the standardised target; accuracy is then NaN), a snapshot hook at the given iterations, and checkpoints
 * of its own state from which it resumes bit for bit.
 */
export async function trainLoop(config: LoopConfig): Promise<LoopResult> {
  const { model, optimizer, train, head, batchSize, epochs, schedule, reporter, hooks } = config;
  const rng = config.resume === undefined ? config.rng : Rng.fromState(config.resume.rngState);
  const perEpoch = iterationsPerEpoch(train.count, batchSize);
  const totalSteps = epochs * perEpoch;
  const checkpointEvery = config.checkpointEvery ?? 1;
  const snapshotAt = new Set(config.snapshotAt);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  // The backend's compiled step where it has one (chosen once per loop: the model's layers do not change within it).
  const forward = trainingForward(model);
  const shape = exampleShape(train);
  const s: LoopState = config.resume === undefined ? freshState(rng) : structuredClone(config.resume);
  // A state saved at the end of an epoch continues with the next one.
  if (s.batch === perEpoch) {
    s.epoch++;
    s.batch = 0;
  }
  const start = performance.now() - s.seconds * 1000;
  const startIteration = s.iteration;
  const state = (): LoopState => ({ ...s, rngState: rng.getState(), seconds: (performance.now() - start) / 1000 });

  for (; s.epoch <= epochs; s.epoch++, s.batch = 0) {
    const epochStart = performance.now() - s.epochSeconds * 1000;
    const order = s.batch === 0 ? permutation(train.count, rng) : Int32Array.from(s.order!);
    s.order = Array.from(order);
    for (; s.batch < perEpoch; ) {
      const t = s.iteration + 1;
      const indices = order.subarray(s.batch * batchSize, Math.min((s.batch + 1) * batchSize, train.count));
      const lr = schedule(t);
      optimizer.setLearningRate(lr);
      setDropoutStep(model, t);
      const pixels =
        config.augmentation === null
          ? normalizedBatch(train, indices, config.normalization)
          : augmentedBatch(train, indices, config.normalization, config.augmentation, rng);
      const targets = head.targets(train, indices);
      const { loss, hits } = trainStep({ forward, optimizer, variables, head, objective: config.objective }, pixels, targets, [indices.length, ...shape], t, lr);
      s.iteration = t;
      s.batch++;
      s.learningRates.push(lr);
      s.losses.push(loss);
      s.epochLossSum += loss * indices.length;
      s.epochCorrect += hits;
      s.epochSeen += indices.length;
      s.epochSeconds = (performance.now() - epochStart) / 1000;
      const elapsed = (performance.now() - start) / 1000;
      const runElapsed = elapsed - (config.resume?.seconds ?? 0);
      reporter?.step?.({
        iteration: t,
        totalSteps,
        epoch: s.epoch,
        epochs,
        cycle: Math.min(s.snapshotsTaken + 1, config.snapshotAt.length),
        cycles: config.snapshotAt.length,
        learningRate: lr,
        loss: s.epochLossSum / s.epochSeen,
        accuracy: s.epochCorrect / s.epochSeen,
        imagesPerSecond: ((t - startIteration) * batchSize) / Math.max(runElapsed, 1e-9),
        secondsLeft: (runElapsed / (t - startIteration)) * (totalSteps - t),
      });
      if (snapshotAt.has(t)) {
        s.snapshotsTaken++;
        await hooks?.onSnapshot?.({ index: s.snapshotsTaken, iteration: t, epoch: s.epoch, learningRate: lr });
      }
      // Let timers and signal handlers run (a progress bar, a Ctrl-C) between iterations.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (s.batch < perEpoch && config.shouldStop?.() === true) {
        const stopped = state();
        await hooks?.onCheckpoint?.(stopped);
        throw new TrainingInterrupted(stopped);
      }
    }
    const summary: EpochSummary = {
      epoch: s.epoch,
      loss: s.epochLossSum / s.epochSeen,
      accuracy: s.epochCorrect / s.epochSeen,
      seconds: (performance.now() - epochStart) / 1000,
      iteration: s.iteration,
    };
    s.epochs.push(summary);
    s.order = null;
    s.epochLossSum = 0;
    s.epochCorrect = 0;
    s.epochSeen = 0;
    s.epochSeconds = 0;
    await hooks?.onEpochEnd?.(summary);
    reporter?.epoch?.(summary);
    const last = s.epoch === epochs;
    const stop = !last && config.shouldStop?.() === true;
    if (!last && (stop || (checkpointEvery > 0 && s.epoch % checkpointEvery === 0))) {
      const checkpoint = state();
      await hooks?.onCheckpoint?.(checkpoint);
      if (stop) throw new TrainingInterrupted(checkpoint);
    }
  }
  return { epochs: s.epochs, learningRates: s.learningRates, losses: s.losses, seconds: (performance.now() - start) / 1000 };
}

/** What every step of a run uses. */
interface StepContext {
  /** The model's training forward pass (trainingForward). */
  forward: TrainingForward;
  optimizer: ScheduledOptimizer;
  variables: tf.Variable[];
  head: TaskHead;
  objective: TrainingObjective | undefined;
}

/**
 * One SGD step at iteration t with learning rate lr; returns the batch's mean loss and the number of correct
 * predictions (NaN for regression). Disposes every tensor it makes.
 */
function trainStep(step: StepContext, pixels: Float32Array, targetValues: Float32Array, shape: readonly number[], t: number, lr: number): { loss: number; hits: number } {
  const { forward, optimizer, variables, head, objective } = step;
  return tf.tidy(() => {
    const xs = tf.tensor(pixels, [...shape]);
    const ys = tf.tensor2d(targetValues, [shape[0]!, head.outputs]);
    const targets = objective?.targets?.(xs as tf.Tensor4D);
    let outputs: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      outputs = tf.keep(forward(xs));
      if (objective !== undefined) return objective.loss(outputs as tf.Tensor2D, ys, targets);
      return head.loss(ys, outputs);
    }, variables);
    const kept = outputs!;
    try {
      const loss = value.dataSync()[0]!;
      if (!Number.isFinite(loss)) throw new DivergenceError(t, lr, loss);
      optimizer.applyGradients(grads);
      return { loss, hits: head.hits(ys, kept) };
    } finally {
      kept.dispose();
    }
  });
}

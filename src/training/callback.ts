import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import type { Schedule } from '../schedules/types.js';
import { planSnapshotCosine } from './snapshotPlan.js';
import { secondTfjsCopy, UserError } from '../util/errors.js';

/** The schedule and snapshots of snapshotEnsembleCallback. */
export interface SnapshotEnsembleCallbackOptions {
  /** Initial learning rate alpha_0 of every cycle (the paper uses 0.1 or 0.2). */
  lr0: number;
  /** Number of cycles M, one snapshot each. */
  cycles: number;
  /** Total iterations T; by default derived from fit()'s epochs, samples and batch size. */
  totalSteps?: number;
  /** Keep every snapshot's weights in memory (default true); see `snapshots` and `predictSnapshotEnsemble`. */
  keepInMemory?: boolean;
  /** Called with each snapshot, e.g. to save it with model.save('indexeddb://snapshot-' + index). */
  onSnapshot?: (index: number, model: tfl.LayersModel, info: { iteration: number; learningRate: number }) => Promise<void> | void;
}

interface LearningRateSettable {
  setLearningRate?: (lr: number) => void;
  learningRate?: number;
}

/**
 * Adds Snapshot Ensembles to a user's own `model.fit()`: sets the optimizer's learning rate before every batch from
 * the cyclic cosine schedule (Huang et al. 2017, Eq. 2) and takes a snapshot at the end of every cycle.
 *
 *   const cb = snapshotEnsembleCallback({ lr0: 0.1, cycles: 4 });
 *   await model.fit(x, y, { epochs: 40, batchSize: 64, callbacks: [cb] });
 *   const probs = predictSnapshotEnsemble(model, cb.snapshots, xTest, { last: 3 });
 */
export class SnapshotEnsembleCallback extends tfl.Callback {
  /** Weights of every snapshot taken so far, oldest first (when keepInMemory). */
  readonly snapshots: tf.Tensor[][] = [];
  /** Learning rate set at each iteration t of the latest fit(), at index t - 1 (each fit() starts the schedule again). */
  readonly learningRates: number[] = [];
  private schedule: Schedule | undefined;
  private snapshotAt = new Set<number>();
  private iteration = 0;
  private taken = 0;

  constructor(private readonly options: SnapshotEnsembleCallbackOptions) {
    super();
  }

  /** Plans the schedule and the snapshots from fit()'s epochs, examples and batch size (or totalSteps). */
  override async onTrainBegin(): Promise<void> {
    // another copy of tfjs-layers does not know this class and wraps its methods in a callback of its own
    if (!(this instanceof SnapshotEnsembleCallback)) throw new UserError(secondTfjsCopy('the model.fit that was given snapshotEnsembleCallback'));
    const totalSteps = this.options.totalSteps ?? this.stepsFromParams();
    // the plan `train` uses: it refuses more cycles than Eq. 2 can make of T iterations, with the CLI's message
    const plan = planSnapshotCosine(totalSteps, this.options.cycles, this.options.lr0);
    this.schedule = scheduleFromConfig(plan.schedule);
    this.snapshotAt = new Set(plan.snapshotAt);
    this.iteration = 0;
    this.taken = 0;
    this.learningRates.length = 0;
  }

  /** Sets the optimizer's learning rate from the schedule for the next iteration. */
  override async onBatchBegin(): Promise<void> {
    const lr = this.schedule!(this.iteration + 1);
    const optimizer = this.model.optimizer as unknown as LearningRateSettable;
    if (typeof optimizer.setLearningRate === 'function') optimizer.setLearningRate(lr);
    else if (typeof optimizer.learningRate === 'number') optimizer.learningRate = lr;
    else throw new Error('snapshotEnsembleCallback: the optimizer has no learning rate to set');
    this.learningRates.push(lr);
  }

  /** Takes a snapshot when the iteration ends a cycle. */
  override async onBatchEnd(): Promise<void> {
    this.iteration++;
    if (!this.snapshotAt.has(this.iteration)) return;
    const index = ++this.taken;
    if (this.options.keepInMemory ?? true) {
      this.snapshots.push(this.model.getWeights().map((w) => tf.keep(w.clone())));
    }
    await this.options.onSnapshot?.(index, this.model, { iteration: this.iteration, learningRate: this.learningRates.at(-1)! });
  }

  /** Releases the snapshot weights held in memory. */
  dispose(): void {
    for (const weights of this.snapshots) tf.dispose(weights);
    this.snapshots.length = 0;
  }

  private stepsFromParams(): number {
    const { epochs, initialEpoch, samples, steps, batchSize } = this.params as {
      epochs?: number;
      initialEpoch?: number;
      samples?: number;
      steps?: number;
      batchSize?: number;
    };
    const perEpoch = steps ?? (samples != null && batchSize != null ? Math.ceil(samples / batchSize) : undefined);
    if (epochs == null || perEpoch == null) {
      throw new Error('snapshotEnsembleCallback: cannot derive the number of iterations from fit(); pass totalSteps');
    }
    return (epochs - (initialEpoch ?? 0)) * perEpoch;
  }
}

/** A callback for a model's own fit(): the paper's Eq. 2 every batch and a snapshot at the end of every cycle. */
export function snapshotEnsembleCallback(options: SnapshotEnsembleCallbackOptions): SnapshotEnsembleCallback {
  return new SnapshotEnsembleCallback(options);
}

import { modelOutputs, type ModelOutputs } from '../models/userModel.js';

export { modelOutputs, type ModelOutputs };

/**
 * The ensemble's class probabilities for x: the mean over the last m snapshots of the model's class probabilities,
 * softmax(model(x)) for a model that outputs logits, model(x) itself for one that ends in a softmax. Which one is
 * found from the model's output layer (modelOutputs); `outputs` overrides it. The model's own weights are restored
 * afterwards.
 */
export function predictSnapshotEnsemble(
  model: tfl.LayersModel,
  snapshots: readonly tf.Tensor[][],
  x: tf.Tensor,
  { last = snapshots.length, outputs = modelOutputs(model) }: { last?: number; outputs?: ModelOutputs } = {},
): tf.Tensor2D {
  if (!Number.isInteger(last) || last < 1 || last > snapshots.length) {
    throw new RangeError(`last must be an integer in 1..${snapshots.length}, got ${last}`);
  }
  const original = model.getWeights().map((w) => w.clone());
  try {
    let sum: tf.Tensor2D | undefined;
    for (const weights of snapshots.slice(snapshots.length - last)) {
      model.setWeights(weights);
      const probs = tf.tidy(() => {
        const y = model.predict(x) as tf.Tensor2D;
        return outputs === 'logits' ? tf.softmax(y) : y;
      });
      if (sum === undefined) sum = probs;
      else {
        const next = tf.add(sum, probs) as tf.Tensor2D;
        tf.dispose([sum, probs]);
        sum = next;
      }
    }
    const mean = tf.div(sum!, last) as tf.Tensor2D;
    sum!.dispose();
    return mean;
  } finally {
    model.setWeights(original);
    tf.dispose(original);
  }
}

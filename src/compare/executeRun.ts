import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { distillationObjective, type DistillationObjective } from '../training/distillation.js';
import { exampleShape, type ImageSet } from '../data/dataset.js';
import { predictProbabilities } from '../models/predict.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { buildModel } from '../models/registry.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import type { Reporter } from '../util/reporter.js';
import { SgdOptimizer } from '../training/sgd.js';
import { updateBatchNorm, WeightAverage } from '../training/swa.js';
import { forEachSwagSample, SwagCollector } from '../training/swag.js';
import { DivergenceError, trainLoop } from '../training/trainLoop.js';
import { Rng } from '../util/rng.js';
import type { RunSpec } from './plan.js';
import type { RunInfo } from '../schema/compare.js';
import type { Augmentation, Normalization } from '../schema/data.js';
import type { EpochSummary } from '../schema/training.js';

export interface RunData {
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  numClasses: number;
  normalization: Normalization;
  augmentation: Augmentation | null;
}

export interface RunSettings {
  model: string;
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/** A member taken from a run: where, and its softmax outputs on the test and validation images. */
export interface RunMember {
  iteration: number;
  epoch: number;
  learningRate: number;
  test: ProbabilityMatrix;
  validation: ProbabilityMatrix | null;
}

export interface ExecutedRun {
  info: RunInfo;
  members: Map<number, RunMember>;
  /** SWAG's members: the S weight samples drawn at the end of the run, in order (empty for other runs). */
  samples: RunMember[];
  /** The weights of each member, by iteration, when spec.keepWeights (the caller disposes them). */
  weights: Map<number, tf.Tensor[]>;
}

/**
 * Trains one planned run with the one training loop and collects its members: the weights after each of
 * spec.snapshotAt (via onSnapshot), or, for SWA, the average of the weights at the end of every epoch from
 * spec.swa.startEpoch on (via onEpochEnd), with batch norm re-estimated on the training images; for SWAG, S weight
 * samples from the moments of those same iterates, each with its batch norm re-estimated.
 */
export async function executeRun(
  spec: RunSpec,
  settings: RunSettings,
  data: RunData,
  reporter?: Reporter,
  shouldStop?: () => boolean,
  teacherWeights: readonly tf.Tensor[][] = [],
): Promise<ExecutedRun> {
  const rng = new Rng(spec.seed);
  const inputShape = exampleShape(data.train);
  const model = buildModel(settings.model, { inputShape, numClasses: data.numClasses, dropout: spec.dropout }, rng.nextUint32());
  // a student's teachers: the same network with the members' weights
  const teachers: tfl.LayersModel[] = teacherWeights.map((weights) => {
    const teacher = buildModel(settings.model, { inputShape, numClasses: data.numClasses }, 0);
    teacher.setWeights(weights);
    return teacher;
  });
  const objective: DistillationObjective | undefined = spec.distill === undefined ? undefined : distillationObjective(teachers, spec.distill);
  const weights = new Map<number, tf.Tensor[]>();
  let keepWeights = false;
  const optimizer = new SgdOptimizer({
    learningRate: 0,
    momentum: settings.momentum,
    nesterov: settings.nesterov,
    weightDecay: settings.weightDecay,
  });
  const average = spec.swa === null ? null : new WeightAverage(model);
  const swagSpec = spec.swag ?? null;
  const swag = swagSpec === null ? null : new SwagCollector(model, swagSpec.rank);
  const members = new Map<number, RunMember>();
  const samples: RunMember[] = [];
  const predict = () => ({
    test: predictProbabilities(model, data.test, data.normalization, data.numClasses),
    validation: data.validation === null ? null : predictProbabilities(model, data.validation, data.normalization, data.numClasses),
  });
  // what the run is, as its record says whatever happens to it
  const described = { id: spec.id, seed: spec.seed, dropout: spec.dropout, epochs: spec.epochs, schedule: spec.schedule };
  const started = performance.now();
  // kept here as well as in the loop's result, so that a run that diverges still shows its loss curve
  const history: EpochSummary[] = [];
  try {
    const result = await trainLoop({
      model,
      optimizer,
      train: data.train,
      numClasses: data.numClasses,
      normalization: data.normalization,
      augmentation: data.augmentation,
      batchSize: settings.batchSize,
      epochs: spec.epochs,
      schedule: scheduleFromConfig(spec.schedule),
      snapshotAt: spec.snapshotAt,
      rng,
      ...(objective === undefined ? {} : { objective }),
      ...(reporter === undefined ? {} : { reporter }),
      ...(shouldStop === undefined ? {} : { shouldStop, checkpointEvery: 0 }),
      hooks: {
        onSnapshot: ({ iteration, epoch, learningRate }) => {
          members.set(iteration, { iteration, epoch, learningRate, ...predict() });
          if (spec.keepWeights === true) weights.set(iteration, model.getWeights().map((w) => tf.clone(w)));
        },
        onEpochEnd: (summary) => {
          history.push(summary);
          if (average !== null && summary.epoch >= spec.swa!.startEpoch) average.update();
          if (swag !== null && summary.epoch >= swagSpec!.startEpoch) swag.update();
        },
      },
    });
    const iterations = result.learningRates.length;
    let swa: RunInfo['swa'] = null;
    if (average !== null) {
      average.applyTo();
      const batchNormBatches = updateBatchNorm(model, data.train, data.normalization);
      swa = { startEpoch: spec.swa!.startEpoch, averaged: average.count, batchNormBatches };
      members.set(iterations, { iteration: iterations, epoch: spec.epochs, learningRate: result.learningRates.at(-1)!, ...predict() });
    }
    let swagInfo: RunInfo['swag'] = null;
    if (swag !== null) {
      const draws = { samples: swagSpec!.samples, seed: spec.seed };
      forEachSwagSample(model, swag.moments, draws, data.train, data.normalization, () =>
        samples.push({ iteration: iterations, epoch: spec.epochs, learningRate: result.learningRates.at(-1)!, ...predict() }),
      );
      swagInfo = { startEpoch: swagSpec!.startEpoch, collected: swag.moments.count, rank: swag.moments.deviations.length, samples: samples.length };
    }
    keepWeights = true;
    return {
      info: {
        ...described,
        iterations,
        snapshotAt: [...members.keys()],
        swa,
        swag: swagInfo,
        seconds: result.seconds,
        history: result.epochs,
        error: null,
        ...(spec.distill === undefined ? {} : { distill: spec.distill }),
      },
      members,
      samples,
      weights,
    };
  } catch (e) {
    if (!(e instanceof DivergenceError)) throw e;
    // a diverged run is a result too (too large a learning rate for this model): record it and go on
    return {
      info: {
        ...described,
        iterations: e.iteration,
        // its members are dropped: no row averages a run that diverged
        snapshotAt: [],
        swa: null,
        swag: null,
        seconds: (performance.now() - started) / 1000,
        history,
        error: e.message,
      },
      members: new Map(),
      samples: [],
      weights: new Map(),
    };
  } finally {
    objective?.dispose();
    teachers.forEach((t) => t.dispose());
    if (!keepWeights) for (const w of weights.values()) tf.dispose(w);
    average?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

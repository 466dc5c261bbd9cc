import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_AUGMENTATION, FASHION_MNIST_NORMALIZATION, type Normalization } from '../data/batch.js';
import type { Dataset } from '../data/dataset.js';
import { evaluateEnsemble, type EnsembleEvaluation } from '../ensemble/evaluate.js';
import { predictProbabilities } from '../ensemble/predict.js';
import { fileSystem } from '../io/fileSystemHandler.js';
import {
  RUN_FORMAT,
  RUN_FORMAT_VERSION,
  SNAPSHOTS_DIR,
  runJsonPath,
  snapshotPath,
  writeRunRecord,
  type RunRecord,
  type TrainConfig,
} from '../io/runRecord.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { buildModel } from '../models/registry.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Reporter } from './progress.js';
import { SgdOptimizer } from './sgd.js';
import { planSnapshotCosine } from './snapshotPlan.js';
import { iterationsPerEpoch, trainLoop } from './trainLoop.js';

/** The paper's settings, with a budget that fits the embedded Fashion-MNIST in about ten minutes on two cores. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: 'cnn',
  dropout: 0,
  dataDir: null,
  trainSize: null,
  testSize: null,
  epochs: 6,
  batchSize: 64,
  cycles: 3,
  lr0: 0.1,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
  augment: true,
  seed: 1,
};

export interface SnapshotRunOptions {
  config: TrainConfig;
  dataset: Dataset;
  /** Run directory to create. */
  outDir: string;
  /** Replace a run already in outDir (its run.json and snapshots). */
  overwrite?: boolean;
  /** Evaluate every snapshot on the test set as it is taken (default true). */
  evaluate?: boolean;
  normalization?: Normalization;
  reporter?: Reporter;
}

export interface SnapshotRunResult {
  runDir: string;
  record: RunRecord;
  evaluation: EnsembleEvaluation | null;
  /** Each snapshot's softmax outputs on the test set, in snapshot order (null when not evaluated). */
  testProbabilities: ProbabilityMatrix[] | null;
}

/** Makes sure outDir can take a new run: refuses one that holds a run unless overwrite, and then removes only that run. */
export function prepareRunDir(outDir: string, overwrite: boolean): void {
  if (existsSync(outDir)) {
    const holdsRun = existsSync(runJsonPath(outDir)) || existsSync(path.join(outDir, SNAPSHOTS_DIR));
    if (holdsRun && !overwrite) throw new UserError(`${outDir} already holds a run; choose another --out or pass --overwrite`);
    if (holdsRun) {
      rmSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true, force: true });
      rmSync(runJsonPath(outDir), { force: true });
    }
  }
  mkdirSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true });
}

function checkConfig(config: TrainConfig): void {
  const positive: (keyof TrainConfig)[] = ['epochs', 'batchSize', 'cycles'];
  for (const key of positive) {
    const v = config[key] as number;
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${key} must be a positive integer, got ${v}`);
  }
  if (!(config.lr0 > 0) || !Number.isFinite(config.lr0)) throw new UserError(`lr0 must be a positive number, got ${config.lr0}`);
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${config.dropout}`);
  if (!Number.isInteger(config.seed)) throw new UserError(`seed must be an integer, got ${config.seed}`);
}

/**
 * Trains one network with the cyclic cosine schedule and saves a snapshot at the end of every cycle: the
 * Snapshot Ensemble method end to end, recorded in outDir/run.json with the snapshots under outDir/snapshots/.
 */
export async function trainSnapshotEnsemble(options: SnapshotRunOptions): Promise<SnapshotRunResult> {
  const { config, dataset, outDir, reporter } = options;
  checkConfig(config);
  const normalization = options.normalization ?? FASHION_MNIST_NORMALIZATION;
  const perEpoch = iterationsPerEpoch(dataset.train.count, config.batchSize);
  const totalSteps = config.epochs * perEpoch;
  const plan = planSnapshotCosine(totalSteps, config.cycles, config.lr0);
  plan.notes.forEach((n) => reporter?.warn?.(n));
  prepareRunDir(outDir, options.overwrite ?? false);
  reporter?.info?.(
    `training ${config.model} on ${dataset.name} (${dataset.train.count} images, test ${dataset.test.count}) on ${tf.getBackend()}: ` +
      `${config.epochs} epochs = ${totalSteps} iterations in ${config.cycles} cycles of ${plan.snapshotAt[0]}, lr0 ${config.lr0}, ` +
      `batch ${config.batchSize}; run directory ${outDir}`,
  );

  const inputShape: [number, number, number] = [dataset.train.height, dataset.train.width, dataset.train.channels];
  const augmentation = config.augment ? DEFAULT_AUGMENTATION : null;
  const record: RunRecord = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    status: 'running',
    error: null,
    createdAt: new Date().toISOString(),
    finishedAt: null,
    backend: tf.getBackend(),
    config,
    data: {
      name: dataset.name,
      trainExamples: dataset.train.count,
      testExamples: dataset.test.count,
      inputShape,
      numClasses: dataset.numClasses,
      classNames: [...dataset.classNames],
      normalization,
      augmentation,
    },
    schedule: plan.schedule,
    iterationsPerEpoch: perEpoch,
    totalSteps,
    snapshots: [],
    history: { epochs: [], learningRate: [], loss: [] },
    seconds: null,
    evaluation: null,
  };
  writeRunRecord(outDir, record);

  const rng = new Rng(config.seed);
  const model = buildModel(config.model, { inputShape, numClasses: dataset.numClasses, dropout: config.dropout }, rng.nextUint32());
  const optimizer = new SgdOptimizer({
    learningRate: config.lr0,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
  });
  const testProbabilities: ProbabilityMatrix[] = [];
  const evaluate = options.evaluate ?? true;

  try {
    const result = await trainLoop({
      model,
      optimizer,
      train: dataset.train,
      numClasses: dataset.numClasses,
      normalization,
      augmentation,
      batchSize: config.batchSize,
      epochs: config.epochs,
      schedule: scheduleFromConfig(plan.schedule),
      snapshotAt: plan.snapshotAt,
      rng,
      ...(reporter === undefined ? {} : { reporter }),
      hooks: {
        onSnapshot: async ({ index, iteration, epoch, learningRate }) => {
          const sha256 = await saveSnapshot(model, path.join(outDir, snapshotPath(index)));
          let test = null;
          if (evaluate) {
            const probs = predictProbabilities(model, dataset.test, normalization, dataset.numClasses);
            testProbabilities.push(probs);
            test = classificationMetrics(probs, dataset.test.labels);
          }
          record.snapshots.push({ index, iteration, epoch, learningRate, path: snapshotPath(index), sha256, test });
          writeRunRecord(outDir, record);
          reporter?.info?.(
            `snapshot ${index} saved at iteration ${iteration} (lr ${learningRate.toExponential(2)})` +
              (test === null ? '' : `: test error ${(100 * test.error).toFixed(2)}%`),
          );
        },
        onEpochEnd: (summary) => {
          record.history.epochs.push(summary);
        },
      },
    });
    record.history.learningRate = result.learningRates;
    record.history.loss = result.losses;
    record.seconds = result.seconds;
    record.evaluation = evaluate ? evaluateEnsemble(testProbabilities, dataset.test.labels, 'mean') : null;
    record.status = 'completed';
    record.finishedAt = new Date().toISOString();
    writeRunRecord(outDir, record);
    return { runDir: outDir, record, evaluation: record.evaluation, testProbabilities: evaluate ? testProbabilities : null };
  } catch (e) {
    record.status = 'failed';
    record.error = e instanceof Error ? e.message : String(e);
    record.finishedAt = new Date().toISOString();
    writeRunRecord(outDir, record);
    throw e;
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** Saves the model's current weights as a snapshot directory; returns the sha256 of its files. */
export async function saveSnapshot(model: tfl.LayersModel, dir: string): Promise<Record<string, string>> {
  const handler = fileSystem(dir);
  await model.save(handler);
  return handler.lastSaved!.sha256;
}

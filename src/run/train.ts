import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { engineThreads } from '../backend/backends.js';
import { DEFAULT_AUGMENTATION } from '../data/batch.js';
import { exampleShape, type Dataset } from '../data/dataset.js';
import { holdOutValidation } from '../data/validationSplit.js';
import { makeOutputDir } from '../io/outputDir.js';
import { checkModelInput, checkModelName } from '../models/registry.js';
import { isModelFile } from '../models/userModel.js';
import type { Normalization } from '../schema/data.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, type MemberPlan, type RunRecord, type TrainConfig } from '../schema/run.js';
import { swaStartEpoch } from '../schedules/swa.js';
import { cycleLengthHint } from '../training/budgetHint.js';
import { sgdConfigProblem } from '../training/sgd.js';
import { planCycles, type SnapshotPlan } from '../training/snapshotPlan.js';
import { iterationsPerEpoch, type TrainingObjective } from '../training/trainLoop.js';
import { UserError } from '../util/errors.js';
import { datasetNormalization, datasetSource } from './runData.js';
import { checkRunDir, clearRunDir, INITIAL_MODEL_DIR, saveSnapshot } from './runDirectory.js';
import { acquireRunLock } from './runLock.js';
import { buildRunModel, initialUserModel } from './runModel.js';
import { writeRunRecord } from './runRecord.js';

import { runTraining, type RunControl, type SnapshotRunResult } from './runTraining.js';

export type { RunControl, SnapshotRunResult };

export interface SnapshotRunOptions extends RunControl {
  config: TrainConfig;
  /** The examples: config.trainSize and testSize already applied; the last config.valSize training examples are held out here. */
  dataset: Dataset;
  /** Run directory to create. */
  outDir: string;
  /** Replace a run already in outDir (its run.json, snapshots and checkpoint). */
  overwrite?: boolean;
  /** Default: the dataset's statistics (Fashion-MNIST's for IDX files; computed from examples given in memory). */
  normalization?: Normalization;
  /**
   * A model the caller built (or loaded), to train instead of config.model: it must output logits (one unit for
   * regression). It is copied (into RUN_DIR/initial-model/) and left as it is; config.init 'fresh' re-initialises
   * the copy from the seed.
   */
  model?: tfl.LayersModel;
  /**
   * Another schedule and other snapshot points than config's (a comparison's run): its last snapshot point must be
   * the run's last iteration, unless SWA or SWAG give the run its members.
   */
  plan?: SnapshotPlan;
  /** SWA and SWAG for a run with its own plan (default: config.swag's SWAG, no SWA). */
  members?: MemberPlan;
  /** The loss, when it is not the task's (a distillation: config.distill says what it is). */
  objective?: TrainingObjective;
}

function checkConfig(config: TrainConfig, userModel: boolean): void {
  const positive: (keyof TrainConfig)[] = ['epochs', 'batchSize', 'cycles'];
  for (const key of positive) {
    const v = config[key] as number;
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${key} must be a positive integer, got ${v}`);
  }
  if (!(config.lr0 > 0) || !Number.isFinite(config.lr0)) throw new UserError(`lr0 must be a positive number, got ${config.lr0}`);
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new UserError(`dropout must be in [0, 1), got ${config.dropout}`);
  if (!Number.isInteger(config.seed)) throw new UserError(`seed must be an integer, got ${config.seed}`);
  const sgd = sgdConfigProblem(config);
  if (sgd !== null) throw new UserError(sgd);
  if (!isModelFile(config.model) && !userModel) checkModelName(config.model);
}

/** The schedule and snapshot points of `train`'s configuration (Eq. 2, SGDR, cyclic, FGE or SWAG). */
function planFor(config: TrainConfig, trainExamples: number): SnapshotPlan {
  const perEpoch = iterationsPerEpoch(trainExamples, config.batchSize);
  return planCycles({
    iterationsPerEpoch: perEpoch,
    ...(config.fge === undefined ? {} : { fge: config.fge }),
    ...(config.swag === undefined ? {} : { swag: config.swag }),
    schedule: config.schedule ?? 'snapshot',
    totalSteps: config.epochs * perEpoch,
    cycles: config.cycles,
    lr0: config.lr0,
    lrMin: config.lrMin ?? 0,
    tMult: config.tMult ?? 1,
  });
}


/** The training and validation examples of a dataset: its last valSize training examples held out. */
function splitValidation(dataset: Dataset, valSize: number): { dataset: Dataset; validation: Dataset['train'] | null } {
  const { train, validation } = holdOutValidation(dataset.train, valSize);
  return { dataset: { ...dataset, train }, validation };
}

/**
 * Trains one network with the cyclic cosine schedule and saves a snapshot at the end of every cycle: the
 * Snapshot Ensembles method end to end, recorded in outDir/run.json with the snapshots under outDir/snapshots/
 * and a checkpoint under outDir/checkpoint/ from which resumeSnapshotEnsemble continues.
 */
export async function trainSnapshotEnsemble(options: SnapshotRunOptions): Promise<SnapshotRunResult> {
  const { outDir, reporter } = options;
  const { dataset, validation } = splitValidation(options.dataset, options.config.valSize);
  const userModel = options.model !== undefined || isModelFile(options.config.model);
  const config: TrainConfig = userModel ? { ...options.config, init: options.config.init ?? 'from-file' } : options.config;
  checkConfig(config, options.model !== undefined);
  // examples given in memory are normalised with their own statistics, and the run records that they were
  const normalization = options.normalization ?? datasetNormalization(dataset);
  const task = dataset.task ?? 'classification';
  const images = exampleShape(dataset.train).length === 3;
  if (config.swag !== undefined && task === 'regression') {
    throw new UserError('--schedule swag trains classification runs (its samples are evaluated by their class probabilities); use snapshot, sgdr, cyclic or fge for regression');
  }
  const plan = options.plan ?? planFor(config, dataset.train.count);
  const members: MemberPlan = options.members ?? {
    swa: null,
    swag: config.swag === undefined ? null : { startEpoch: swaStartEpoch(config.epochs, config.swag.start), rank: config.swag.rank, samples: config.swag.samples },
  };
  const perEpoch = iterationsPerEpoch(dataset.train.count, config.batchSize);
  const totalSteps = config.epochs * perEpoch;
  const collects = members.swa !== null || members.swag !== null;
  if (plan.snapshotAt.length === 0 ? !collects : plan.snapshotAt.at(-1) !== totalSteps && !collects) {
    throw new UserError(`the plan's last snapshot is at iteration ${plan.snapshotAt.at(-1)} but the run has ${totalSteps}`);
  }
  checkRunDir(outDir, options.overwrite ?? false);
  // A user's model that does not fit the data is refused before anything is written.
  if (!userModel) checkModelInput(config.model, exampleShape(dataset.train));
  const initial = userModel ? await initialUserModel(config, dataset, options.model, reporter) : null;
  try {
    makeOutputDir(outDir);
  } catch (e) {
    if (initial?.owned === true) initial.model.dispose();
    throw e;
  }
  const release = acquireRunLock(outDir, options.lock);
  try {
    checkRunDir(outDir, options.overwrite ?? false);
    clearRunDir(outDir);
    plan.notes.forEach((n) => reporter?.warn?.(n));
    // the hint is for an ensemble of cycles the user chose: not for FGE's or SWAG's members (close by design), a
    // distilled student (one cycle), or a plan the caller made (compare warns once for all its runs)
    const ensembleOfCycles = options.plan === undefined && config.fge === undefined && config.swag === undefined && config.distill === undefined;
    const hint = ensembleOfCycles ? cycleLengthHint(plan.snapshotAt, perEpoch) : null;
    if (hint !== null) reporter?.warn?.(hint);
    const record: RunRecord = {
      format: RUN_FORMAT,
      version: RUN_FORMAT_VERSION,
      status: 'running',
      error: null,
      createdAt: new Date().toISOString(),
      finishedAt: null,
      backend: tf.getBackend(),
      threads: engineThreads(),
      ...(options.report === undefined ? {} : { report: options.report }),
      config,
      data: {
        name: dataset.name,
        trainExamples: dataset.train.count,
        testExamples: dataset.test.count,
        inputShape: [dataset.train.height, dataset.train.width, dataset.train.channels],
        numClasses: dataset.numClasses,
        classNames: [...dataset.classNames],
        ...(images ? {} : { exampleShape: exampleShape(dataset.train) }),
        normalization,
        values: dataset.train.images instanceof Uint8Array ? 'bytes' : 'numbers',
        augmentation: config.augment && images ? DEFAULT_AUGMENTATION : null,
        source: datasetSource(dataset),
        task,
        ...(dataset.targetNormalization === undefined ? {} : { targetNormalization: dataset.targetNormalization }),
      },
      schedule: plan.schedule,
      snapshotAt: plan.snapshotAt,
      ...(collects ? { members } : {}),
      iterationsPerEpoch: perEpoch,
      totalSteps,
      snapshots: [],
      history: { epochs: [], learningRate: [], loss: [] },
      seconds: null,
      evaluation: null,
    };
    writeRunRecord(outDir, record);
    const memberWords =
      members.swag !== null
        ? `SWAG moments from the end of epoch ${members.swag.startEpoch}`
        : members.swa !== null
          ? `SWA from the end of epoch ${members.swa.startEpoch}${plan.snapshotAt.length > 0 ? `, snapshots after iterations ${plan.snapshotAt.join(', ')}` : ''}`
          : `snapshots after iterations ${plan.snapshotAt.join(', ')}`;
    reporter?.info?.(
      `training ${options.model === undefined ? config.model : `model '${options.model.name}'`} on ${dataset.name} ` +
        `(${dataset.train.count} ${images ? 'images' : 'rows'}${validation === null ? '' : `, validation ${validation.count}`}, test ${dataset.test.count}${task === 'regression' ? ', regression' : ''}) on ${tf.getBackend()}: ` +
        `${config.epochs} epochs = ${totalSteps} iterations, ${memberWords}, lr0 ${config.lr0}, batch ${config.batchSize}; run directory ${outDir}`,
    );
    if (initial !== null) await saveSnapshot(initial.model, path.join(outDir, INITIAL_MODEL_DIR));
    const { model, rng } = await buildRunModel(config, dataset, outDir);
    return await runTraining({ runDir: outDir, record, dataset, validation, model, rng, control: options, objective: options.objective });
  } finally {
    if (initial?.owned === true) initial.model.dispose();
    release();
  }
}

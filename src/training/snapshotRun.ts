import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_AUGMENTATION } from '../data/batch.js';
import { exampleShape, type Dataset } from '../data/dataset.js';
import { engineThreads } from '../backend/backends.js';
import { datasetNormalization, datasetSource, loadRunDataset, withoutValidation, type RunDataOptions } from '../run/runData.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { evaluateRegressionEnsemble } from '../metrics/evaluateRegression.js';
import { predictProbabilities, predictValues } from '../models/predict.js';
import { removeTemporaries } from '../io/atomicWrite.js';
import { readCheckpoint, removeCheckpoint, restoreCheckpoint, writeCheckpoint } from '../run/checkpoint.js';
import { fileSystem } from '../io/fileSystemHandler.js';
import { makeOutputDir } from '../io/outputDir.js';
import { acquireRunLock, type RunLockOptions } from '../run/runLock.js';
import { readRunRecord, runJsonPath, snapshotPath, writeRunRecord } from '../run/runRecord.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import { readSwagMoments, writeSwagMoments } from '../run/swagState.js';
import { swaStartEpoch } from '../schedules/swa.js';
import { forEachSwagSample, SwagCollector, type SwagMoments } from './swag.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { regressionMetrics, rootMeanSquaredError, type GaussianMember } from '../metrics/regression.js';
import { buildModel, checkModelInput, checkModelName } from '../models/registry.js';
import { checkUserModel, isModelFile, loadUserModel, reinitialized, withLogitsOutput } from '../models/userModel.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import { firstLine, secondTfjsCopy, UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Reporter } from '../util/reporter.js';
import { SgdOptimizer, sgdConfigProblem } from './sgd.js';
import { cycleLengthHint } from './budgetHint.js';
import { planCycles, type SnapshotPlan } from './snapshotPlan.js';
import { epochOfIteration, iterationsPerEpoch, TrainingInterrupted, trainLoop, type TrainingObjective } from './trainLoop.js';
import type { Normalization } from '../schema/data.js';
import type { LoopState } from '../schema/training.js';
import type { RunRecord, TrainConfig } from '../schema/run.js';
import { RUN_FORMAT, RUN_FORMAT_VERSION, SNAPSHOTS_DIR } from '../schema/run.js';

/**
 * The paper's settings, with a budget that trains the embedded Fashion-MNIST in about ten minutes on two cores with
 * the native engine (about 850 images/s): 9 epochs in M = 3 cycles of 2,814 iterations, over the cycle length
 * at which the ensemble starts to pay (budgetHint.ts).
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: 'cnn',
  dropout: 0,
  dataDir: null,
  trainSize: null,
  testSize: null,
  epochs: 9,
  batchSize: 64,
  cycles: 3,
  lr0: 0.1,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 1e-4,
  augment: true,
  seed: 1,
};

/** How a training process is run, as opposed to what it trains (TrainConfig). */
export interface RunControl {
  /** Evaluate every snapshot on the test set as it is taken (default true). */
  evaluate?: boolean;
  /** Write a checkpoint every this many epochs (default 1; 0 = only when stopped). */
  checkpointEvery?: number;
  /** Asked after every iteration; when it returns true, training stops with a checkpoint (TrainingInterrupted). */
  shouldStop?: () => boolean;
  reporter?: Reporter;
  /** Who takes the run directory's lock, and which holders count as gone (a queue's earlier attempt of the job). */
  lock?: RunLockOptions;
  /** Recorded in run.json, for a command that trains or resumes it: whether it writes report.html at the end. */
  report?: boolean;
}

export interface SnapshotRunOptions extends RunControl {
  config: TrainConfig;
  dataset: Dataset;
  /** Run directory to create. */
  outDir: string;
  /** Replace a run already in outDir (its run.json, snapshots and checkpoint). */
  overwrite?: boolean;
  /** Default: the dataset's statistics (Fashion-MNIST's for IDX files). */
  normalization?: Normalization;
  /**
   * A model the caller built (or loaded), to train instead of config.model: it must output logits (one unit for
   * regression). It is copied (into RUN_DIR/initial-model/) and left as it is; config.init 'fresh' re-initialises
   * the copy from the seed.
   */
  model?: tfl.LayersModel;
  /**
   * Another schedule and other snapshot points than the paper's (default: planSnapshotCosine from the config). Its
   * last snapshot point must be the run's last iteration.
   */
  plan?: SnapshotPlan;
  /** The loss, when it is not cross-entropy on the labels (a distillation: config.distill says what it is). */
  objective?: TrainingObjective;
}

export interface SnapshotRunResult {
  runDir: string;
  record: RunRecord;
  evaluation: RunRecord['evaluation'];
  /** Each snapshot's softmax outputs on the test set, in snapshot order (null when not evaluated). */
  testProbabilities: ProbabilityMatrix[] | null;
}

/** Checks that outDir can take a new run: refuses one that holds a run unless overwrite. */
function checkRunDir(outDir: string, overwrite: boolean): void {
  const holdsRun = existsSync(runJsonPath(outDir)) || existsSync(path.join(outDir, SNAPSHOTS_DIR));
  if (holdsRun && !overwrite) throw new UserError(`${outDir} already holds a run; choose another --out or pass --overwrite`);
}

/** Removes a previous run from outDir (only the files a run writes). Call with the lock held. */
function clearRunDir(outDir: string): void {
  rmSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true, force: true });
  removeCheckpoint(outDir);
  removeTemporaries(outDir);
  rmSync(runJsonPath(outDir), { force: true });
  rmSync(path.join(outDir, INITIAL_MODEL_DIR), { recursive: true, force: true });
}

/** Where a user's model is kept as it started (architecture and weights), for the run and its resumption. */
export const INITIAL_MODEL_DIR = 'initial-model';

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

function planFor(config: TrainConfig, trainExamples: number): SnapshotPlan {
  const perEpoch = iterationsPerEpoch(trainExamples, config.batchSize);
  const totalSteps = config.epochs * perEpoch;
  return planCycles({
    iterationsPerEpoch: perEpoch,
    ...(config.fge === undefined ? {} : { fge: config.fge }),
    ...(config.swag === undefined ? {} : { swag: config.swag }),
    schedule: config.schedule ?? 'snapshot',
    totalSteps,
    cycles: config.cycles,
    lr0: config.lr0,
    lrMin: config.lrMin ?? 0,
    tMult: config.tMult ?? 1,
  });
}

/**
 * The model of a run, built with the weights (and dropout seeds) its seed gives, and the generator that follows.
 * A user's model is read from RUN_DIR/initial-model/, where the run stored it as it started.
 */
export async function buildRunModel(config: TrainConfig, dataset: Dataset, runDir: string): Promise<{ model: tfl.LayersModel; rng: Rng }> {
  const rng = new Rng(config.seed);
  const seed = rng.nextUint32();
  if (config.init !== undefined) return { model: await loadUserModel(path.join(runDir, INITIAL_MODEL_DIR, 'model.json')), rng };
  const inputShape = exampleShape(dataset.train);
  const model = buildModel(config.model, { inputShape, numClasses: dataset.numClasses, dropout: config.dropout }, seed);
  return { model, rng };
}

/**
 * A user's model (given, or read from config.model's file) as the run starts, after checking that it fits the
 * data: re-initialised from the seed when config.init is 'fresh'. `owned` says whether the caller disposes it.
 */
async function initialUserModel(config: TrainConfig, dataset: Dataset, given?: tfl.LayersModel, reporter?: Reporter): Promise<{ model: tfl.LayersModel; owned: boolean }> {
  if (given !== undefined && !(given instanceof tfl.LayersModel)) throw new UserError(secondTfjsCopy(`model '${(given as { name?: string }).name ?? '?'}'`));
  const name = given === undefined ? config.model : `model '${given.name}'`;
  const loaded = given ?? (await loadUserModel(config.model));
  // a softmax at the output would be applied twice (the loss takes logits): train the model without it
  const logits = await withLogitsOutput(loaded);
  if (logits !== null) {
    reporter?.warn?.(`${name}: the output layer '${logits.layer}' applies a softmax; training the model without it (its logits), as snapshot-ensembles applies the softmax itself`);
    if (given === undefined) loaded.dispose();
  }
  const source = logits?.model ?? loaded;
  const ownsSource = given === undefined || logits !== null;
  try {
    checkUserModel(source, exampleShape(dataset.train), dataset.numClasses, name);
  } catch (e) {
    if (ownsSource) source.dispose();
    throw e;
  }
  if (config.init !== 'fresh') return { model: source, owned: ownsSource };
  try {
    return { model: await reinitialized(source, new Rng(config.seed).nextUint32()), owned: true };
  } finally {
    if (ownsSource) source.dispose();
  }
}

function newOptimizer(config: TrainConfig): SgdOptimizer {
  return new SgdOptimizer({ learningRate: config.lr0, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay });
}

/**
 * Trains one network with the cyclic cosine schedule and saves a snapshot at the end of every cycle: the
 * Snapshot Ensembles method end to end, recorded in outDir/run.json with the snapshots under outDir/snapshots/
 * and a checkpoint under outDir/checkpoint/ from which resumeSnapshotEnsemble continues.
 */
export async function trainSnapshotEnsemble(options: SnapshotRunOptions): Promise<SnapshotRunResult> {
  const { outDir, reporter } = options;
  const dataset = withoutValidation(options.dataset, options.config.valSize);
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
  const totalSteps = config.epochs * iterationsPerEpoch(dataset.train.count, config.batchSize);
  if (plan.snapshotAt.length === 0 ? config.swag === undefined : plan.snapshotAt.at(-1) !== totalSteps) {
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
    mkdirSync(path.join(outDir, SNAPSHOTS_DIR), { recursive: true });
    plan.notes.forEach((n) => reporter?.warn?.(n));
    // the hint is for an ensemble of cycles the user chose: not for FGE's or SWAG's members (close by design), a
    // distilled student (one cycle), or a plan the caller made (compare warns once for all its runs)
    const ensembleOfCycles = options.plan === undefined && config.fge === undefined && config.swag === undefined && config.distill === undefined;
    const hint = ensembleOfCycles ? cycleLengthHint(plan.snapshotAt, iterationsPerEpoch(dataset.train.count, config.batchSize)) : null;
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
      iterationsPerEpoch: iterationsPerEpoch(dataset.train.count, config.batchSize),
      totalSteps,
      snapshots: [],
      history: { epochs: [], learningRate: [], loss: [] },
      seconds: null,
      evaluation: null,
    };
    writeRunRecord(outDir, record);
    reporter?.info?.(
      `training ${options.model === undefined ? config.model : `model '${options.model.name}'`} on ${dataset.name} ` +
        `(${dataset.train.count} ${images ? 'images' : 'rows'}, test ${dataset.test.count}${task === 'regression' ? ', regression' : ''}) on ${tf.getBackend()}: ` +
        `${config.epochs} epochs = ${totalSteps} iterations, ` +
        (config.swag === undefined ? `snapshots after iterations ${plan.snapshotAt.join(', ')}` : `SWAG moments from the end of epoch ${swagStartOf(config)}`) +
        `, lr0 ${config.lr0}, ` +
        `batch ${config.batchSize}; run directory ${outDir}`,
    );
    if (initial !== null) await saveSnapshot(initial.model, path.join(outDir, INITIAL_MODEL_DIR));
    const { model, rng } = await buildRunModel(config, dataset, outDir);
    return await runTraining({ runDir: outDir, record, dataset, model, rng, plan, control: options, objective: options.objective });
  } finally {
    if (initial?.owned === true) initial.model.dispose();
    release();
  }
}

/**
 * Continues a run from its checkpoint: the same weights, momentum buffers, data order, generator state and traces,
 * so the run ends with the same snapshots as one that was never interrupted. Snapshots the interrupted process took
 * after its last checkpoint are taken again (identically).
 */
export async function resumeSnapshotEnsemble(runDir: string, control: RunControl & RunDataOptions = {}, objective?: TrainingObjective): Promise<SnapshotRunResult> {
  const before = readRunRecord(runDir); // a one-line error for a directory that is not a run, before a lock is written into it
  if (before.config.distill !== undefined && objective === undefined) {
    throw new UserError(`${runDir} is a distilled student; resume it with: snapshot-ensembles distill --resume ${runDir}`);
  }
  const release = acquireRunLock(runDir, control.lock);
  try {
    // read under the lock: a process that held it may have finished the run in the meantime
    const record = readRunRecord(runDir);
    if (record.status === 'completed') throw new UserError(`${runDir}: the run has already completed; nothing to resume`);
    const checkpoint = readCheckpoint(runDir);
    const dataset = await loadRunDataset(record, control);
    const plan: SnapshotPlan = { schedule: record.schedule, snapshotAt: record.snapshotAt, notes: [] };
    const { model, rng } = await buildRunModel(record.config, dataset, runDir);
    const resumeAt = checkpoint.loop.iteration;
    removeTemporaries(runDir);
    removeTemporaries(path.join(runDir, SNAPSHOTS_DIR));
    record.snapshots = record.snapshots.filter((s) => s.iteration <= resumeAt);
    // Snapshots after the checkpoint are taken again. Remove them as they are on disk, not as run.json lists them: a
    // process killed between saving a snapshot and recording it leaves a directory that run.json does not know.
    const kept = new Set(record.snapshots.map((s) => s.path));
    mkdirSync(path.join(runDir, SNAPSHOTS_DIR), { recursive: true });
    for (const name of readdirSync(path.join(runDir, SNAPSHOTS_DIR))) {
      if (/^\d+$/.test(name) && !kept.has(snapshotPath(Number(name)))) rmSync(path.join(runDir, SNAPSHOTS_DIR, name), { recursive: true, force: true });
    }
    record.status = 'running';
    record.error = null;
    record.finishedAt = null;
    record.backend = tf.getBackend();
    record.threads = engineThreads();
    if (control.report !== undefined) record.report = control.report;
    writeRunRecord(runDir, record);
    control.reporter?.info?.(
      `resuming ${runDir} at iteration ${resumeAt + 1} of ${record.totalSteps} ` +
        `(epoch ${epochOfIteration(resumeAt + 1, record.iterationsPerEpoch)} of ${record.config.epochs})`,
    );
    return await runTraining({ runDir, record, dataset, model, rng, plan, control, checkpoint, objective });
  } finally {
    release();
  }
}

interface TrainingJob {
  runDir: string;
  record: RunRecord;
  dataset: Dataset;
  model: tfl.LayersModel;
  rng: Rng;
  plan: SnapshotPlan;
  control: RunControl;
  checkpoint?: ReturnType<typeof readCheckpoint>;
  objective?: TrainingObjective | undefined;
}

/** Copies the loop's traces into the record. */
function recordHistory(record: RunRecord, loop: { epochs: LoopState['epochs']; learningRates: number[]; losses: number[] }): void {
  record.history = { epochs: loop.epochs, learningRate: loop.learningRates, loss: loop.losses };
}

async function runTraining(job: TrainingJob): Promise<SnapshotRunResult> {
  const { runDir, record, dataset, model, rng, plan, control } = job;
  const { reporter } = control;
  const normalization = record.data.normalization;
  const optimizer = newOptimizer(record.config);
  const evaluate = control.evaluate ?? true;
  const regression = record.data.task === 'regression';
  const target = record.data.targetNormalization ?? { mean: 0, std: 1 };
  const testProbabilities = new Map<number, ProbabilityMatrix>();
  const testValues = new Map<number, Float32Array>();
  // A process that exits during training (process.exit, e.g. on a second Ctrl-C) says so in run.json; it runs
  // before the lock's own exit handler, so the record is written under the lock.
  const markExited = () => {
    if (record.status !== 'running') return;
    record.status = 'interrupted';
    record.error = 'the process exited before training ended; resume continues from the last checkpoint';
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
  };
  process.prependListener('exit', markExited);
  const swagOptions = record.config.swag;
  const swagStart = swagOptions === undefined ? 0 : swagStartOf(record.config);
  try {
    if (job.checkpoint !== undefined) restoreCheckpoint(job.checkpoint, model, optimizer);
    const swag = swagOptions === undefined ? null : new SwagCollector(model, swagOptions.rank, resumedSwagMoments(job, swagStart));
    const saveSwag = (iteration: number) => {
      if (swag !== null && swag.moments.count > 0) record.swag = writeSwagMoments(runDir, swag.moments, swagStart, iteration);
    };
    const result = await trainLoop({
      model,
      optimizer,
      train: dataset.train,
      numClasses: dataset.numClasses,
      normalization,
      ...(regression ? { task: 'regression' as const, targetNormalization: target } : {}),
      augmentation: record.data.augmentation,
      batchSize: record.config.batchSize,
      epochs: record.config.epochs,
      schedule: scheduleFromConfig(plan.schedule),
      snapshotAt: plan.snapshotAt,
      rng,
      ...(job.objective === undefined ? {} : { objective: job.objective }),
      checkpointEvery: control.checkpointEvery ?? 1,
      ...(control.shouldStop === undefined ? {} : { shouldStop: control.shouldStop }),
      ...(reporter === undefined ? {} : { reporter }),
      ...(job.checkpoint === undefined ? {} : { resume: job.checkpoint.loop }),
      hooks: {
        onSnapshot: async ({ index, iteration, epoch, learningRate }) => {
          const sha256 = await saveSnapshot(model, path.join(runDir, snapshotPath(index)));
          let test = null;
          const saved = { index, iteration, epoch, learningRate, path: snapshotPath(index), sha256 };
          if (regression) {
            const noiseVariance = rootMeanSquaredError(predictValues(model, dataset.train, normalization, target), dataset.train.labels) ** 2;
            let regressionTest = null;
            if (evaluate) {
              const values = predictValues(model, dataset.test, normalization, target);
              testValues.set(index, values);
              regressionTest = regressionMetrics(values, new Float64Array(values.length).fill(noiseVariance), dataset.test.labels);
            }
            record.snapshots.push({ ...saved, test: null, noiseVariance, regressionTest });
            writeRunRecord(runDir, record);
            reporter?.info?.(
              `snapshot ${index} saved at iteration ${iteration} (lr ${learningRate.toExponential(2)})` +
                (regressionTest === null ? '' : `: test RMSE ${regressionTest.rmse.toPrecision(4)}`),
            );
            return;
          }
          if (evaluate) {
            const probs = predictProbabilities(model, dataset.test, normalization, dataset.numClasses);
            testProbabilities.set(index, probs);
            test = classificationMetrics(probs, dataset.test.labels);
          }
          record.snapshots.push({ ...saved, test });
          writeRunRecord(runDir, record);
          reporter?.info?.(
            `snapshot ${index} saved at iteration ${iteration} (lr ${learningRate.toExponential(2)})` +
              (test === null ? '' : `: test error ${(100 * test.error).toFixed(2)}%`),
          );
        },
        onEpochEnd: ({ epoch }) => {
          if (swag !== null && epoch >= swagStart) swag.update();
        },
        onCheckpoint: (state) => {
          writeCheckpoint(runDir, state, model, optimizer);
          saveSwag(state.iteration);
          recordHistory(record, state);
          record.seconds = state.seconds;
          writeRunRecord(runDir, record);
        },
      },
    });
    recordHistory(record, result);
    record.seconds = result.seconds;
    saveSwag(result.learningRates.length);
    const members: ProbabilityMatrix[] = [];
    if (evaluate && swag !== null) {
      // the members evaluate and report draw from the saved moments with the default samples and seed
      forEachSwagSample(model, swag.moments, { samples: swagOptions!.samples, seed: record.config.seed }, dataset.train, normalization, () =>
        members.push(predictProbabilities(model, dataset.test, normalization, dataset.numClasses)),
      );
      record.evaluation = evaluateEnsemble(members, dataset.test.labels, 'mean', members.map((_, i) => i + 1));
    } else if (evaluate && regression) {
      const gaussians: GaussianMember[] = [];
      for (const s of record.snapshots) {
        const mean = testValues.get(s.index) ?? (await reloaded(runDir, s, (m) => predictValues(m, dataset.test, normalization, target)));
        gaussians.push({ mean, noiseVariance: s.noiseVariance! });
      }
      record.regressionEvaluation = evaluateRegressionEnsemble(gaussians, dataset.test.labels, record.snapshots.map((s) => s.index));
    } else if (evaluate) {
      for (const s of record.snapshots) {
        members.push(testProbabilities.get(s.index) ?? (await reloaded(runDir, s, (m) => predictProbabilities(m, dataset.test, normalization, dataset.numClasses))));
      }
      record.evaluation = evaluateEnsemble(members, dataset.test.labels, 'mean', record.snapshots.map((s) => s.index));
    }
    record.status = 'completed';
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
    removeCheckpoint(runDir);
    return { runDir, record, evaluation: record.evaluation, testProbabilities: evaluate && !regression ? members : null };
  } catch (e) {
    const interrupted = e instanceof TrainingInterrupted;
    record.status = interrupted ? 'interrupted' : 'failed';
    record.error = firstLine(e);
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
    throw e;
  } finally {
    process.off('exit', markExited);
    optimizer.dispose();
    model.dispose();
  }
}

/** The epoch from whose end a SWAG run collects its moments. */
export function swagStartOf(config: TrainConfig): number {
  return swaStartEpoch(config.epochs, config.swag!.start);
}

/**
 * The SWAG moments a resumed run continues with: none before its start epoch, otherwise those saved with its
 * checkpoint (refused when run.json's moments were saved at another iteration, after a crash between the two writes).
 */
function resumedSwagMoments(job: TrainingJob, startEpoch: number): SwagMoments | undefined {
  const { checkpoint, record, runDir } = job;
  if (checkpoint === undefined) return undefined;
  const loop = checkpoint.loop;
  const completedEpochs = loop.batch === record.iterationsPerEpoch ? loop.epoch : loop.epoch - 1;
  if (completedEpochs < startEpoch) return undefined;
  const saved = record.swag;
  if (saved == null || saved.savedAt !== loop.iteration) {
    throw new UserError(
      `${runDir}: the SWAG moments were saved at iteration ${saved?.savedAt ?? 'none'} but the checkpoint is at iteration ${loop.iteration}; the run cannot be resumed`,
    );
  }
  return readSwagMoments(runDir, saved);
}

/** What `apply` computes with a snapshot saved by an earlier process of the same run. */
async function reloaded<T>(runDir: string, snapshot: RunRecord['snapshots'][number], apply: (model: tfl.LayersModel) => T): Promise<T> {
  const model = await loadSnapshotModel(runDir, snapshot);
  try {
    return apply(model);
  } finally {
    model.dispose();
  }
}

/** Saves the model's current weights as a snapshot directory; returns the sha256 of its files. */
export async function saveSnapshot(model: tfl.LayersModel, dir: string): Promise<Record<string, string>> {
  const handler = fileSystem(dir);
  await model.save(handler);
  return handler.lastSaved!.sha256;
}

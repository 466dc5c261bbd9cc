import type * as tfl from '@tensorflow/tfjs-layers';
import { type Dataset } from '../data/dataset.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { type RunRecord, type TrainConfig } from '../schema/run.js';
import { SgdOptimizer } from '../training/sgd.js';
import { taskHead } from '../training/taskHead.js';
import { TrainingInterrupted, type TrainingObjective } from '../training/trainLoop.js';
import { firstLine, UserError } from '../util/errors.js';
import type { Reporter } from '../util/reporter.js';
import type { Rng } from '../util/rng.js';
import { removeCheckpoint, restoreCheckpoint, type Checkpoint } from './checkpoint.js';
import { DirectorySink } from './directorySink.js';
import { driveRun } from './driver.js';
import { markExitWhileRunning } from './runDirectory.js';
import { type RunLockOptions } from './runLock.js';
import { runMemberPlan, runTask, writeRunRecord } from './runRecord.js';
import { readSwagMoments } from './swagState.js';

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

/** A trained (or resumed) run: its directory, its record and its members' evaluation. */
export interface SnapshotRunResult {
  runDir: string;
  record: RunRecord;
  evaluation: RunRecord['evaluation'];
  /** Each member's softmax outputs on the test set, in order (null for regression or when not evaluated). */
  testProbabilities: ProbabilityMatrix[] | null;
}

function newOptimizer(config: TrainConfig): SgdOptimizer {
  return new SgdOptimizer({ learningRate: config.lr0, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay });
}

export interface TrainingJob {
  runDir: string;
  record: RunRecord;
  /** The training split (validation held out) and the test split. */
  dataset: Dataset;
  validation: Dataset['train'] | null;
  model: tfl.LayersModel;
  rng: Rng;
  control: RunControl;
  checkpoint?: Checkpoint;
  objective?: TrainingObjective | undefined;
}

/**
 * The SWAG moments a resumed run continues with: none before its start epoch, otherwise those saved with its
 * checkpoint (refused when run.json's moments were saved at another iteration, after a crash between the two writes).
 */
function resumedSwagMoments(job: TrainingJob) {
  const { checkpoint, record, runDir } = job;
  const startEpoch = runMemberPlan(record).swag?.startEpoch;
  if (checkpoint === undefined || startEpoch === undefined) return null;
  const loop = checkpoint.loop;
  const completedEpochs = loop.batch === record.iterationsPerEpoch ? loop.epoch : loop.epoch - 1;
  if (completedEpochs < startEpoch) return null;
  const saved = record.swag;
  if (saved == null || saved.savedAt !== loop.iteration) {
    throw new UserError(
      `${runDir}: the SWAG moments were saved at iteration ${saved?.savedAt ?? 'none'} but the checkpoint is at iteration ${loop.iteration}; the run cannot be resumed`,
    );
  }
  return readSwagMoments(runDir, saved);
}

export async function runTraining(job: TrainingJob): Promise<SnapshotRunResult> {
  const { runDir, record, dataset, model, rng, control } = job;
  const normalization = record.data.normalization;
  const optimizer = newOptimizer(record.config);
  const head = taskHead(runTask(record), dataset.numClasses, record.data.targetNormalization);
  const unmark = markExitWhileRunning(runDir, record);
  try {
    if (job.checkpoint !== undefined) restoreCheckpoint(job.checkpoint, model, optimizer);
    const plan = runMemberPlan(record);
    const sink = new DirectorySink({
      runDir,
      record,
      model,
      optimizer,
      train: dataset.train,
      validation: job.validation,
      test: dataset.test,
      normalization,
      head,
      evaluate: control.evaluate ?? true,
      ...(control.reporter === undefined ? {} : { reporter: control.reporter }),
    });
    const result = await driveRun({
      spec: { epochs: record.config.epochs, schedule: record.schedule, snapshotAt: record.snapshotAt, swa: plan.swa, swag: plan.swag, seed: record.config.seed },
      model,
      optimizer,
      rng,
      batchSize: record.config.batchSize,
      data: { train: dataset.train, normalization, augmentation: record.data.augmentation },
      head,
      sink,
      control: {
        checkpointEvery: control.checkpointEvery ?? 1,
        ...(control.shouldStop === undefined ? {} : { shouldStop: control.shouldStop }),
        ...(control.reporter === undefined ? {} : { reporter: control.reporter }),
      },
      ...(job.objective === undefined ? {} : { objective: job.objective }),
      ...(job.checkpoint === undefined ? {} : { resume: { loop: job.checkpoint.loop, collectors: { swa: job.checkpoint.swa, swag: resumedSwagMoments(job) } } }),
    });
    record.history = { epochs: result.loop.epochs, learningRate: result.loop.learningRates, loss: result.loop.losses };
    record.seconds = result.loop.seconds;
    if (result.swa !== null) record.swa = result.swa;
    const testProbabilities = await sink.evaluateMembers();
    record.status = 'completed';
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
    removeCheckpoint(runDir);
    return { runDir, record, evaluation: record.evaluation, testProbabilities };
  } catch (e) {
    const interrupted = e instanceof TrainingInterrupted;
    record.status = interrupted ? 'interrupted' : 'failed';
    record.error = firstLine(e);
    record.finishedAt = new Date().toISOString();
    writeRunRecord(runDir, record);
    throw e;
  } finally {
    unmark();
    optimizer.dispose();
    model.dispose();
  }
}

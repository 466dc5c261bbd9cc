
import type { Dataset, ImageSet } from '../data/dataset.js';
import { readRunRecord, runTask } from '../run/runRecord.js';
import { checkRunExamples, runTestSet } from '../run/runData.js';
import { lastSnapshots, loadSnapshotModel } from '../run/snapshots.js';
import type { GaussianMember } from '../metrics/regression.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import type { Reporter } from '../util/reporter.js';
import { UserError } from '../util/errors.js';

import { evaluateEnsemble } from '../metrics/evaluate.js';
import { evaluateRegressionEnsemble } from '../metrics/evaluateRegression.js';
import { predictProbabilities, predictValues } from '../models/predict.js';
import { isSwagRun, swagProbabilities, type SwagDrawOptions } from './swagRun.js';
import type { Normalization } from '../schema/data.js';
import type { CombineRule, EnsembleEvaluation, RegressionEvaluation } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';

/** Which members evaluateRun combines, how, and on which test examples. */
export interface EvaluateRunOptions {
  /** Use only the last m snapshots (default: all). */
  last?: number;
  combine?: CombineRule;
  /** Evaluate on this data directory's (or CSV file's) test split instead of the run's. */
  dataDir?: string;
  /**
   * The run's examples given again: needed for a run trained on a dataset given in memory (its test split is
   * evaluated; a SWAG run's batch norms are re-estimated on its training split).
   */
  dataset?: Dataset;
  /** Use the first N test examples instead of the run's choice. */
  testSize?: number;
  /** A SWAG run's samples S and the seed of their draws (default: the run's). */
  swag?: SwagDrawOptions;
  reporter?: Reporter;
}

/** What every evaluation of a run says about the run itself, classification or regression. */
export interface RunFacts {
  runDir: string;
  testExamples: number;
  /** The run's status in run.json: anything but 'completed' means these are the results of an unfinished run. */
  status: RunRecord['status'];
  /** Snapshots the run has taken, and the number its schedule plans. */
  snapshotsTaken: number;
  snapshotsPlanned: number;
}

/** What evaluateRun finds, tagged by the run's task. */
export type RunEvaluation = ClassificationRunEvaluation | RegressionRunEvaluation;

export interface ClassificationRunEvaluation extends EnsembleEvaluation, RunFacts {}

export { runTestSet };

function runFacts(runDir: string, record: RunRecord, test: ImageSet): RunFacts {
  return { runDir, testExamples: test.count, status: record.status, snapshotsTaken: record.snapshots.length, snapshotsPlanned: record.snapshotAt.length };
}

/**
 * One line saying that a run has not finished and what that means for its results, or null for a completed run.
 * Pure: from the status and snapshot counts of its run.json.
 */
export function unfinishedRunNote(runDir: string, run: Pick<RunEvaluation, 'status' | 'snapshotsTaken' | 'snapshotsPlanned'>): string | null {
  const taken = `${run.snapshotsTaken} of ${run.snapshotsPlanned} snapshots taken`;
  switch (run.status) {
    case 'completed':
      return null;
    case 'interrupted':
      return `the run was interrupted (${taken}): these are the results of an unfinished run; continue it with: snapshot-ensembles train --resume ${runDir}`;
    case 'running':
      return `the run has not finished (${taken}; run.json says running: it is still training, or its process was killed): these are the results of an unfinished run`;
    case 'failed':
      return `the run failed (${taken}): these are the results of the snapshots taken before it failed`;
  }
}

export interface RegressionRunEvaluation extends RegressionEvaluation, RunFacts {}

/** Refuses a SWAG run's draw options (--swag-samples, --swag-seed) for a run that holds snapshots. */
export function refuseSwagDraws(runDir: string, swag: SwagDrawOptions | undefined): void {
  if (swag !== undefined && (swag.samples !== undefined || swag.seed !== undefined)) {
    throw new UserError(`--swag-samples and --swag-seed apply to SWAG runs; ${runDir} holds snapshots`);
  }
}

/**
 * Softmax outputs of each of a run's members on a set of images: its snapshots (the last m, or all), or for a SWAG run
 * its S weight samples.
 */
export async function snapshotProbabilities(
  runDir: string,
  record: RunRecord,
  images: ImageSet,
  last?: number,
  swag?: SwagDrawOptions,
  dataset?: Dataset,
): Promise<{ indices: number[]; probabilities: ProbabilityMatrix[] }> {
  if (isSwagRun(record)) {
    if (last !== undefined) throw new UserError(`--last applies to snapshots; ${runDir} is a SWAG run, whose members are --swag-samples weight samples`);
    checkRunExamples(record, images, 'the test set');
    return swagProbabilities(runDir, record, images, { ...swag, ...(dataset === undefined ? {} : { dataset }) });
  }
  refuseSwagDraws(runDir, swag);
  const snapshots = lastSnapshots(record, runDir, last);
  checkRunExamples(record, images, 'the test set');
  const normalization: Normalization = record.data.normalization;
  const probabilities: ProbabilityMatrix[] = [];
  for (const snapshot of snapshots) {
    const model = await loadSnapshotModel(runDir, snapshot);
    try {
      probabilities.push(predictProbabilities(model, images, normalization, record.data.numClasses));
    } finally {
      model.dispose();
    }
  }
  return { indices: snapshots.map((s) => s.index), probabilities };
}

/** Each of a regression run's snapshots (the last m, or all) as a Gaussian member: its predictions on a set and its noise variance. */
export async function snapshotGaussians(
  runDir: string,
  record: RunRecord,
  examples: ImageSet,
  last?: number,
): Promise<{ indices: number[]; members: GaussianMember[] }> {
  const snapshots = lastSnapshots(record, runDir, last);
  checkRunExamples(record, examples, 'the test set');
  const target = record.data.targetNormalization ?? { mean: 0, std: 1 };
  const members: GaussianMember[] = [];
  for (const snapshot of snapshots) {
    if (snapshot.noiseVariance === undefined) throw new UserError(`${runDir}: snapshot ${snapshot.index} has no noise variance in run.json (not a regression run?)`);
    const model = await loadSnapshotModel(runDir, snapshot);
    try {
      members.push({ mean: predictValues(model, examples, record.data.normalization, target), noiseVariance: snapshot.noiseVariance });
    } finally {
      model.dispose();
    }
  }
  return { indices: snapshots.map((s) => s.index), members };
}

/**
 * Loads a run's members and evaluates each and every last-m ensemble on the test set, as its task says: for a
 * classifier, error, NLL, ECE and Brier score and the members' diversity (task 'classification'); for a
 * regression, RMSE, MAE and the Gaussian NLL of each member and of the mixture of the last m (task 'regression').
 */
export async function evaluateRun(runDir: string, options: EvaluateRunOptions = {}): Promise<RunEvaluation> {
  const record = readRunRecord(runDir);
  const test = await runTestSet(record, options);
  if (runTask(record) === 'regression') {
    if (options.combine !== undefined && options.combine !== 'mean') throw new UserError(`--combine ${options.combine} combines class probabilities; a regression ensemble is the mixture of its members' Gaussians`);
    refuseSwagDraws(runDir, options.swag);
    const { indices, members } = await snapshotGaussians(runDir, record, test, options.last);
    return { ...runFacts(runDir, record, test), ...evaluateRegressionEnsemble(members, test.labels, indices) };
  }
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, test, options.last, options.swag, options.dataset);
  return {
    ...runFacts(runDir, record, test),
    ...evaluateEnsemble(probabilities, test.labels, options.combine ?? 'mean', indices),
  };
}

import type { Normalization } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import { EMBEDDED_FASHION_MNIST_DIR, loadTestSplit } from '../data/loadIdxDataset.js';
import { readRunRecord, type RunRecord } from '../io/runRecord.js';
import { lastSnapshots, loadSnapshotModel } from '../io/snapshots.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { UserError } from '../util/errors.js';
import type { CombineRule } from './combine.js';
import { evaluateEnsemble, type EnsembleEvaluation } from './evaluate.js';
import { predictProbabilities } from './predict.js';
import { isSwagRun, swagProbabilities, type SwagDrawOptions } from './swagRun.js';

export interface EvaluateRunOptions {
  /** Use only the last m snapshots (default: all). */
  last?: number;
  combine?: CombineRule;
  /** Evaluate on this data directory's test split instead of the run's. */
  dataDir?: string;
  /** Use the first N test examples instead of the run's choice. */
  testSize?: number;
  /** A SWAG run's samples S and the seed of their draws (default: the run's). */
  swag?: SwagDrawOptions;
}

export interface RunEvaluation extends EnsembleEvaluation {
  runDir: string;
  testExamples: number;
  /** The run's status in run.json: anything but 'completed' means these are the results of an unfinished run. */
  status: RunRecord['status'];
  /** Snapshots the run has taken, and the number its schedule plans. */
  snapshotsTaken: number;
  snapshotsPlanned: number;
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

/** The test split a run was evaluated on (or an override). */
export function runTestSet(record: RunRecord, options: { dataDir?: string; testSize?: number } = {}): ImageSet {
  const dir = options.dataDir ?? record.config.dataDir ?? EMBEDDED_FASHION_MNIST_DIR;
  const size = options.testSize ?? record.config.testSize ?? undefined;
  return loadTestSplit(dir, size, record.data.numClasses);
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
): Promise<{ indices: number[]; probabilities: ProbabilityMatrix[] }> {
  const [h, w, c] = record.data.inputShape;
  if (images.height !== h || images.width !== w || images.channels !== c) {
    throw new UserError(`images are ${images.height}x${images.width}x${images.channels} but the run's models take ${h}x${w}x${c}`);
  }
  if (isSwagRun(record)) {
    if (last !== undefined) throw new UserError(`--last applies to snapshots; ${runDir} is a SWAG run, whose members are --swag-samples weight samples`);
    return swagProbabilities(runDir, record, images, swag);
  }
  if (swag !== undefined && (swag.samples !== undefined || swag.seed !== undefined)) {
    throw new UserError(`--swag-samples and --swag-seed apply to SWAG runs; ${runDir} holds snapshots`);
  }
  const snapshots = lastSnapshots(record, runDir, last);
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

/** Loads a run's snapshots and evaluates each and every last-m ensemble on the test set. */
export async function evaluateRun(runDir: string, options: EvaluateRunOptions = {}): Promise<RunEvaluation> {
  const record = readRunRecord(runDir);
  const test = runTestSet(record, options);
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, test, options.last, options.swag);
  return {
    runDir,
    testExamples: test.count,
    status: record.status,
    snapshotsTaken: record.snapshots.length,
    snapshotsPlanned: record.snapshotAt.length,
    ...evaluateEnsemble(probabilities, test.labels, options.combine ?? 'mean', indices),
  };
}

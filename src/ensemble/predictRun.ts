import { readPredictionInputs } from '../data/predictionInputs.js';
import { combine } from '../metrics/combine.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { combineGaussians } from '../metrics/regression.js';
import { readRunRecord, runDataSource, runTask } from '../run/runRecord.js';
import type { CombineRule } from '../schema/metrics.js';
import { UserError } from '../util/errors.js';
import { refuseSwagDraws, snapshotGaussians, snapshotProbabilities } from './evaluateRun.js';
import type { SwagDrawOptions } from './swagRun.js';

/** A classifier's prediction: the ensemble's class probabilities, one row per input. */
export interface ClassificationPrediction {
  task: 'classification';
  /** The inputs: an image file, file#index in an IDX file, or file:line of a CSV file. */
  names: string[];
  classNames: string[];
  probabilities: ProbabilityMatrix;
  /** Snapshot numbers (SWAG: sample numbers) of the members used. */
  members: number[];
}

/** A regression's prediction: per input, the ensemble's mean, its standard deviation (noise and spread) and the members' spread. */
export interface RegressionPrediction {
  task: 'regression';
  names: string[];
  /** The target column's name. */
  target: string;
  mean: number[];
  std: number[];
  spread: number[];
  members: number[];
}

/** What predictRun gives, tagged by the run's task. */
export type RunPrediction = ClassificationPrediction | RegressionPrediction;

/** Which members predictRun combines, and how. */
export interface PredictRunOptions {
  /** The last m snapshots (default all). */
  last?: number;
  /** How a classifier's members are combined (default mean); a regression's are the mixture of their Gaussians. */
  combine?: CombineRule;
  /** A SWAG run's samples and the seed of their draws. */
  swag?: SwagDrawOptions;
}

/**
 * The ensemble of a run's last m snapshots (default all) applied to inputs read as the run's data source reads them:
 * IDX or image files (resized for an image-folder run), or the rows of CSV files.
 */
export async function predictRun(runDir: string, files: readonly string[], options: PredictRunOptions = {}): Promise<RunPrediction> {
  const record = readRunRecord(runDir);
  if (runDataSource(record).kind === 'memory' && record.data.exampleShape !== undefined) {
    throw new UserError(`${runDir}: the run was trained on a table given in memory, whose columns it does not know; predict in the library (predictSnapshotEnsemble) on arrays of its features`);
  }
  const inputs = await readPredictionInputs(runDataSource(record), record.data.inputShape, files);
  if (runTask(record) === 'regression') {
    if (options.combine !== undefined && options.combine !== 'mean') throw new UserError(`--combine ${options.combine} combines class probabilities; a regression ensemble is the mixture of its members' Gaussians`);
    refuseSwagDraws(runDir, options.swag);
    const { indices, members } = await snapshotGaussians(runDir, record, inputs.images, options.last);
    const c = combineGaussians(members);
    return {
      task: 'regression',
      names: inputs.names,
      target: record.data.classNames[0] ?? 'prediction',
      mean: Array.from(c.mean),
      std: Array.from(c.variance, Math.sqrt),
      spread: Array.from(c.spread),
      members: indices,
    };
  }
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, inputs.images, options.last, options.swag);
  return { task: 'classification', names: inputs.names, classNames: record.data.classNames, probabilities: combine(probabilities, options.combine ?? 'mean'), members: indices };
}

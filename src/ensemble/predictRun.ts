import { readPredictionInputs } from '../data/predictionInputs.js';
import { readRunRecord, runDataSource, runTask } from '../run/runRecord.js';
import { combineGaussians } from '../metrics/regression.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { UserError } from '../util/errors.js';
import { combine } from '../metrics/combine.js';
import { refuseSwagDraws, snapshotGaussians, snapshotProbabilities } from './evaluateRun.js';
import type { SwagDrawOptions } from './swagRun.js';
import type { CombineRule } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';

export interface RunPrediction {
  names: string[];
  classNames: string[];
  /** The ensemble's class probabilities, one row per image. */
  probabilities: ProbabilityMatrix;
  /** Snapshot numbers of the members used. */
  members: number[];
}

export interface RegressionPrediction {
  names: string[];
  /** The target column's name. */
  target: string;
  /** The ensemble's prediction (mean of the members'), its standard deviation (noise and spread) and the members' spread, per input. */
  mean: number[];
  std: number[];
  spread: number[];
  members: number[];
}

async function inputsFor(runDir: string, files: readonly string[], task: 'classification' | 'regression'): Promise<{ record: RunRecord; inputs: Awaited<ReturnType<typeof readPredictionInputs>> }> {
  const record = readRunRecord(runDir);
  if (runTask(record) !== task) throw new UserError(`${runDir}: a ${runTask(record)} run`);
  if (runDataSource(record).kind === 'memory' && record.data.exampleShape !== undefined) {
    throw new UserError(`${runDir}: the run was trained on a table given in memory, whose columns it does not know; predict in the library (predictSnapshotEnsemble) on arrays of its features`);
  }
  return { record, inputs: await readPredictionInputs(runDataSource(record), record.data.inputShape, files) };
}

/**
 * The ensemble of a run's last m snapshots (default all) applied to inputs read as the run's data source reads
 * them: IDX or image files, or the rows of CSV files.
 */
export async function predictRun(
  runDir: string,
  files: readonly string[],
  options: { last?: number; combine?: CombineRule; swag?: SwagDrawOptions } = {},
): Promise<RunPrediction> {
  const { record, inputs } = await inputsFor(runDir, files, 'classification');
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, inputs.images, options.last, options.swag);
  return {
    names: inputs.names,
    classNames: record.data.classNames,
    probabilities: combine(probabilities, options.combine ?? 'mean'),
    members: indices,
  };
}

/** A regression run's ensemble prediction, with its uncertainty, for every row of the CSV files given. */
export async function predictRegressionRun(
  runDir: string,
  files: readonly string[],
  options: { last?: number; swag?: SwagDrawOptions } = {},
): Promise<RegressionPrediction> {
  const { record, inputs } = await inputsFor(runDir, files, 'regression');
  refuseSwagDraws(runDir, options.swag);
  const { indices, members } = await snapshotGaussians(runDir, record, inputs.images, options.last);
  const c = combineGaussians(members);
  return {
    names: inputs.names,
    target: record.data.classNames[0] ?? 'prediction',
    mean: Array.from(c.mean),
    std: Array.from(c.variance, Math.sqrt),
    spread: Array.from(c.spread),
    members: indices,
  };
}

import { readImageFiles } from '../io/imageFiles.js';
import { readRunRecord } from '../io/runRecord.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { combine, type CombineRule } from './combine.js';
import { snapshotProbabilities } from './evaluateRun.js';
import type { SwagDrawOptions } from './swagRun.js';

export interface RunPrediction {
  names: string[];
  classNames: string[];
  /** The ensemble's class probabilities, one row per image. */
  probabilities: ProbabilityMatrix;
  /** Snapshot numbers of the members used. */
  members: number[];
}

/** The ensemble of a run's last m snapshots (default all) applied to images read from IDX or PNG files. */
export async function predictRun(
  runDir: string,
  files: readonly string[],
  options: { last?: number; combine?: CombineRule; swag?: SwagDrawOptions } = {},
): Promise<RunPrediction> {
  const record = readRunRecord(runDir);
  const { names, images } = readImageFiles(files, record.data.inputShape);
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, images, options.last, options.swag);
  return {
    names,
    classNames: record.data.classNames,
    probabilities: combine(probabilities, options.combine ?? 'mean'),
    members: indices,
  };
}

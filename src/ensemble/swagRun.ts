import type { Dataset, ImageSet } from '../data/dataset.js';

import { readSwagMoments } from '../run/swagState.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { loadRunDataset } from '../run/runData.js';
import { buildRunModel } from '../run/runModel.js';
import { forEachSwagSample } from '../training/swag.js';
import { UserError } from '../util/errors.js';
import { predictProbabilities } from '../models/predict.js';
import type { RunRecord } from '../schema/run.js';

/** S and the seed of a SWAG run's draws; by default the run's --swag-samples and its seed (what training evaluated). */
export interface SwagDrawOptions {
  samples?: number;
  seed?: number;
}

/** Whether a run's members are SWAG samples rather than snapshots. */
export function isSwagRun(record: RunRecord): boolean {
  return record.config.swag !== undefined;
}

/**
 * Softmax outputs of S weight samples of a SWAG run on a set of images: the moments read back from the run directory
 * (checksums verified), each sample's batch-norm statistics re-estimated on the run's training images.
 */
export async function swagProbabilities(
  runDir: string,
  record: RunRecord,
  images: ImageSet,
  options: SwagDrawOptions & { dataset?: Dataset } = {},
): Promise<{ indices: number[]; probabilities: ProbabilityMatrix[] }> {
  if (record.swag == null) throw new UserError(`${runDir}: the SWAG run holds no moments yet (status ${record.status})`);
  const samples = options.samples ?? record.config.swag?.samples ?? 10;
  const seed = options.seed ?? record.config.seed;
  if (!Number.isInteger(samples) || samples < 1) throw new UserError(`--swag-samples must be a positive integer, got ${samples}`);
  const moments = readSwagMoments(runDir, record.swag);
  const dataset = options.dataset ?? (await loadRunDataset(record));
  const { model } = await buildRunModel(record.config, dataset, runDir);
  const probabilities: ProbabilityMatrix[] = [];
  try {
    forEachSwagSample(model, moments, { samples, seed }, dataset.train, record.data.normalization, () =>
      probabilities.push(predictProbabilities(model, images, record.data.normalization, record.data.numClasses)),
    );
  } finally {
    model.dispose();
  }
  return { indices: probabilities.map((_, i) => i + 1), probabilities };
}

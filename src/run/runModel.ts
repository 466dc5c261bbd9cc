import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { exampleShape, type Dataset } from '../data/dataset.js';
import { buildModel } from '../models/registry.js';
import { checkUserModel, loadUserModel, reinitialized, withLogitsOutput } from '../models/userModel.js';
import type { TrainConfig } from '../schema/run.js';
import { secondTfjsCopy, UserError } from '../util/errors.js';
import type { Reporter } from '../util/reporter.js';
import { Rng } from '../util/rng.js';
import { INITIAL_MODEL_DIR } from './runDirectory.js';

/**
 * The model of a run, built with the weights (and dropout seeds) its seed gives, and the generator that follows.
 * A user's model is read from RUN_DIR/initial-model/, where the run stored it as it started.
 */
export async function buildRunModel(config: TrainConfig, dataset: Pick<Dataset, 'train' | 'numClasses'>, runDir: string): Promise<{ model: tfl.LayersModel; rng: Rng }> {
  const rng = new Rng(config.seed);
  const seed = rng.nextUint32();
  if (config.init !== undefined) return { model: await loadUserModel(path.join(runDir, INITIAL_MODEL_DIR, 'model.json')), rng };
  const inputShape = exampleShape(dataset.train);
  const model = buildModel(config.model, { inputShape, numClasses: dataset.numClasses, dropout: config.dropout }, seed);
  return { model, rng };
}

/**
 * A user's model (given, or read from config.model's file) as the run starts, after checking that it fits the data:
 * without the softmax its output applies (said once), re-initialised from the seed when config.init is 'fresh'.
 * `owned` says whether the caller disposes it.
 */
export async function initialUserModel(
  config: TrainConfig,
  dataset: Pick<Dataset, 'train' | 'numClasses'>,
  given?: tfl.LayersModel,
  reporter?: Reporter,
): Promise<{ model: tfl.LayersModel; owned: boolean }> {
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

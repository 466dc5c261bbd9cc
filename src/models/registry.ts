import type * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { cnn } from './cnn.js';
import { resnet } from './resnet.js';
import type { ModelOptions } from './types.js';

type Builder = (options: ModelOptions, rng: Rng) => tfl.LayersModel;

const BUILDERS: Record<string, Builder> = {
  cnn,
  resnet20: (options, rng) => resnet(20, options, rng),
};

export function modelNames(): string[] {
  return Object.keys(BUILDERS);
}

/** Builds a named model with weights initialised from `seed`. */
export function buildModel(name: string, options: ModelOptions, seed: number): tfl.LayersModel {
  const builder = BUILDERS[name];
  if (builder === undefined) throw new UserError(`unknown model '${name}' (expected one of ${modelNames().join(', ')})`);
  return builder(options, new Rng(seed));
}

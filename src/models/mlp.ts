import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { batchNormalization } from './batchNorm.js';
import { BATCH_NORM, classifier, denseInit, maybeDropout } from './layers.js';
import type { ModelOptions } from './types.js';

export interface MlpShape {
  /** Units of every hidden layer. */
  width: number;
  /** Number of hidden layers. */
  depth: number;
  /** Batch norm between each hidden layer's dense map and its ReLU. */
  batchNorm: boolean;
}

/** The problem with an MLP's shape, or null when it can be built. */
export function mlpProblem({ width, depth }: MlpShape): string | null {
  if (!(Number.isInteger(width) && width >= 1 && width <= 65536)) return `width must be in 1..65536, got ${width}`;
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= 64)) return `depth must be in 1..64, got ${depth}`;
  return null;
}

/**
 * A multi-layer perceptron for tables (and flattened images): `depth` hidden layers of `width` units, each
 * dense -> (batch norm) -> ReLU -> (dropout at the --dropout rate), then a dense layer to the logits (or to the one
 * output of a regression). Dense layers are initialised as PyTorch's nn.Linear (denseInit).
 */
export function mlp({ width, depth, batchNorm }: MlpShape, { inputShape, numClasses, dropout = 0 }: ModelOptions, rng: Rng): tfl.LayersModel {
  const input = tfl.input({ shape: [...inputShape], name: 'features' });
  let x: tfl.SymbolicTensor = inputShape.length > 1 ? (tfl.layers.flatten({ name: 'flatten' }).apply(input) as tfl.SymbolicTensor) : input;
  for (let i = 1; i <= depth; i++) {
    x = tfl.layers
      .dense({ name: `dense${i}`, units: width, useBias: !batchNorm, kernelInitializer: denseInit(rng), ...(batchNorm ? {} : { biasInitializer: denseInit(rng) }) })
      .apply(x) as tfl.SymbolicTensor;
    if (batchNorm) x = batchNormalization({ name: `dense${i}_bn`, ...BATCH_NORM }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({ name: `dense${i}_relu` }).apply(x) as tfl.SymbolicTensor;
    x = maybeDropout(x, dropout, `dropout${i}`, rng);
  }
  const suffix = batchNorm ? '-bn' : '';
  return tfl.model({ name: `mlp-${width}x${depth}${suffix}`, inputs: input, outputs: classifier(x, numClasses, rng) });
}

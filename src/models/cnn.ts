import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { classifier, convBn, denseInit, maybeDropout } from './layers.js';
import type { ModelOptions } from './types.js';

/**
 * The reference CNN: conv3x3(32)-BN-ReLU x2, maxpool 2, conv3x3(64)-BN-ReLU x2, maxpool 2, dense(128)-ReLU,
 * dense(classes). Convolutions use 'same' padding and no bias. Outputs logits.
 */
export function cnn({ inputShape, numClasses, dropout = 0 }: ModelOptions, rng: Rng): tfl.LayersModel {
  const input = tfl.input({ shape: [...inputShape], name: 'image' });
  let x = convBn(input, { name: 'block1a', filters: 32, rng });
  x = convBn(x, { name: 'block1b', filters: 32, rng });
  x = tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
  x = convBn(x, { name: 'block2a', filters: 64, rng });
  x = convBn(x, { name: 'block2b', filters: 64, rng });
  x = tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .dense({ name: 'fc', units: 128, activation: 'relu', kernelInitializer: denseInit(rng) })
    .apply(x) as tfl.SymbolicTensor;
  x = maybeDropout(x, dropout, 'dropout', rng);
  return tfl.model({ name: 'cnn', inputs: input, outputs: classifier(x, numClasses, rng) });
}

import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { classifier, convBn, maybeDropout } from './layers.js';
import type { ModelOptions } from './types.js';

/**
 * A basic residual block (He et al. 2016): conv3x3-BN-ReLU, conv3x3-BN, plus the shortcut, then ReLU.
 * Where the shape changes, the shortcut is a 1x1 convolution + BN (option B of the paper).
 */
function basicBlock(input: tfl.SymbolicTensor, name: string, filters: number, strides: number, rng: Rng): tfl.SymbolicTensor {
  const inFilters = input.shape[input.shape.length - 1];
  let x = convBn(input, { name: `${name}_a`, filters, strides, rng });
  x = convBn(x, { name: `${name}_b`, filters, relu: false, rng });
  const shortcut =
    strides !== 1 || inFilters !== filters
      ? convBn(input, { name: `${name}_shortcut`, filters, kernelSize: 1, strides, relu: false, rng })
      : input;
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([x, shortcut]) as tfl.SymbolicTensor;
  return tfl.layers.reLU({ name: `${name}_relu` }).apply(sum) as tfl.SymbolicTensor;
}

/** Why a ResNet depth is not 6n + 2 (n >= 1), or null when it is. */
export function resnetDepthProblem(depth: number): string | null {
  return (depth - 2) % 6 === 0 && depth >= 8 ? null : `ResNet depth must be 6n + 2 with n >= 1, got ${depth}`;
}

/**
 * The CIFAR-style ResNet of depth 6n + 2 (He et al. 2016, section 4.2): a 3x3 convolution with 16 filters, then
 * 3 stages of n basic blocks with 16, 32, 64 filters (stride 2 at the start of stages 2 and 3), global average
 * pooling and a dense classifier. depth 20 gives resnet20. Outputs logits.
 */
export function resnet(depth: number, { inputShape, numClasses, dropout = 0 }: ModelOptions, rng: Rng): tfl.LayersModel {
  const problem = resnetDepthProblem(depth);
  if (problem !== null) throw new RangeError(problem);
  const n = (depth - 2) / 6;
  const input = tfl.input({ shape: [...inputShape], name: 'image' });
  let x = convBn(input, { name: 'stem', filters: 16, rng });
  [16, 32, 64].forEach((filters, stage) => {
    for (let b = 0; b < n; b++) {
      const strides = stage > 0 && b === 0 ? 2 : 1;
      x = basicBlock(x, `stage${stage + 1}_block${b + 1}`, filters, strides, rng);
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  x = maybeDropout(x, dropout, 'dropout', rng);
  return tfl.model({ name: `resnet${depth}`, inputs: input, outputs: classifier(x, numClasses, rng) });
}

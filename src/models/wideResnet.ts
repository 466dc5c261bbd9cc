import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { bnRelu, conv, poolAndClassify } from './layers.js';
import type { ModelOptions } from './types.js';

/**
 * A pre-activation wide basic block (Zagoruyko & Komodakis 2016, "Wide Residual Networks", block B(3,3)):
 * BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus the shortcut. Where the shape changes the shortcut is a bias-free 1x1
 * convolution of the pre-activated input, as in the authors' code; otherwise it is the identity.
 */
function wideBlock(input: tfl.SymbolicTensor, name: string, filters: number, strides: number, rng: Rng): tfl.SymbolicTensor {
  const inFilters = input.shape[input.shape.length - 1];
  const preActivated = bnRelu(input, `${name}_pre`);
  let x = conv(preActivated, { name: `${name}_a_conv`, filters, strides, rng });
  x = bnRelu(x, `${name}_b`);
  x = conv(x, { name: `${name}_b_conv`, filters, rng });
  const projects = strides !== 1 || inFilters !== filters;
  const shortcut = projects ? conv(preActivated, { name: `${name}_shortcut_conv`, filters, kernelSize: 1, strides, rng }) : input;
  return tfl.layers.add({ name: `${name}_add` }).apply([x, shortcut]) as tfl.SymbolicTensor;
}

/** Why WRN-depth-widen cannot be built (depth must be 6n + 4, widen an integer >= 1), or null when it can. */
export function wideResnetProblem(depth: number, widen: number): string | null {
  if ((depth - 4) % 6 !== 0 || depth < 10) return `Wide ResNet depth must be 6n + 4 with n >= 1, got ${depth}`;
  if (!Number.isInteger(widen) || widen < 1) return `Wide ResNet widening factor must be an integer >= 1, got ${widen}`;
  return null;
}

/**
 * WRN-d-k: depth d = 6n + 4 and widening factor k. A 3x3 convolution with 16 filters, then 3 stages of n wide
 * blocks with 16k, 32k, 64k filters (stride 2 at the start of stages 2 and 3), a final BN-ReLU, global average
 * pooling and a dense classifier. wrn-28-10 is the paper's CIFAR network (36.5M parameters). Outputs logits.
 */
export function wideResnet(depth: number, widen: number, { inputShape, numClasses, dropout = 0 }: ModelOptions, rng: Rng): tfl.LayersModel {
  const problem = wideResnetProblem(depth, widen);
  if (problem !== null) throw new RangeError(problem);
  const n = (depth - 4) / 6;
  const input = tfl.input({ shape: [...inputShape], name: 'image' });
  let x = conv(input, { name: 'stem_conv', filters: 16, rng });
  [16, 32, 64].forEach((base, stage) => {
    for (let b = 0; b < n; b++) {
      x = wideBlock(x, `stage${stage + 1}_block${b + 1}`, base * widen, stage > 0 && b === 0 ? 2 : 1, rng);
    }
  });
  x = bnRelu(x, 'final');
  return tfl.model({ name: `wrn-${depth}-${widen}`, inputs: input, outputs: poolAndClassify(x, numClasses, dropout, rng) });
}

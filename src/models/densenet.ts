import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { bnRelu, conv, poolAndClassify } from './layers.js';
import type { ModelOptions } from './types.js';

/** Bottleneck layer of DenseNet-BC: BN-ReLU-conv1x1(4k)-BN-ReLU-conv3x3(k), concatenated onto its input. */
function bottleneckLayer(input: tfl.SymbolicTensor, name: string, growth: number, rng: Rng): tfl.SymbolicTensor {
  let x = conv(bnRelu(input, `${name}_a`), { name: `${name}_a_conv`, filters: 4 * growth, kernelSize: 1, rng });
  x = conv(bnRelu(x, `${name}_b`), { name: `${name}_b_conv`, filters: growth, rng });
  return tfl.layers.concatenate({ name: `${name}_concat`, axis: -1 }).apply([input, x]) as tfl.SymbolicTensor;
}

/** Transition layer: BN-ReLU-conv1x1 to floor(compression * channels), then 2x2 average pooling. */
function transition(input: tfl.SymbolicTensor, name: string, filters: number, rng: Rng): tfl.SymbolicTensor {
  const x = conv(bnRelu(input, name), { name: `${name}_conv`, filters, kernelSize: 1, rng });
  return tfl.layers.averagePooling2d({ name: `${name}_pool`, poolSize: 2, strides: 2 }).apply(x) as tfl.SymbolicTensor;
}

/**
 * DenseNet-BC for CIFAR-sized images (Huang, Liu, van der Maaten, Weinberger 2017): a 3x3 convolution with 2k
 * filters, three dense blocks of n = (depth - 4) / 6 bottleneck layers each adding k channels, transitions with
 * compression 0.5 between them, a final BN-ReLU, global average pooling and a dense classifier. densenet40 is
 * depth 40, k = 12 (6 bottleneck layers per block); depth 100, k = 12 is the paper's 0.8M-parameter DenseNet-BC.
 * Outputs logits.
 */
export function densenetBC(depth: number, growth: number, { inputShape, numClasses, dropout = 0 }: ModelOptions, rng: Rng): tfl.LayersModel {
  if ((depth - 4) % 6 !== 0 || depth < 10) throw new RangeError(`DenseNet-BC depth must be 6n + 4 with n >= 1, got ${depth}`);
  const n = (depth - 4) / 6;
  const input = tfl.input({ shape: [...inputShape], name: 'image' });
  let channels = 2 * growth;
  let x = conv(input, { name: 'stem_conv', filters: channels, rng });
  for (let block = 1; block <= 3; block++) {
    for (let layer = 1; layer <= n; layer++) x = bottleneckLayer(x, `block${block}_layer${layer}`, growth, rng);
    channels += n * growth;
    if (block < 3) {
      channels = Math.floor(channels / 2);
      x = transition(x, `transition${block}`, channels, rng);
    }
  }
  x = bnRelu(x, 'final');
  return tfl.model({ name: `densenet${depth}`, inputs: input, outputs: poolAndClassify(x, numClasses, dropout, rng) });
}

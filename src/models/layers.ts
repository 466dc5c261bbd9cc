import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../util/rng.js';
import { batchNormalization } from './batchNorm.js';
import { SteppedDropout } from './dropout.js';

/** Batch-norm settings matching PyTorch's defaults (momentum 0.1 there is 1 - 0.9 here; eps 1e-5). */
export const BATCH_NORM = { momentum: 0.9, epsilon: 1e-5 } as const;

/** Seeded He-normal initialiser (He et al. 2015), the usual choice for ReLU convolutions. */
type Initializer = ReturnType<typeof tfl.initializers.heNormal>;

export function heNormal(rng: Rng): Initializer {
  return tfl.initializers.heNormal({ seed: rng.nextUint32() });
}

/**
 * Seeded initialiser for dense layers as PyTorch's nn.Linear does it: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), that is
 * variance scaling with scale 1/3. Smaller than Glorot's for wide inputs, which keeps the first steps at
 * learning rate 0.1 to 0.2 (the paper's) from blowing up the logits.
 */
export function denseInit(rng: Rng): Initializer {
  return tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: rng.nextUint32() });
}

export interface ConvBnReluOptions {
  name: string;
  filters: number;
  kernelSize?: number;
  strides?: number;
  relu?: boolean;
  rng: Rng;
}

/** conv (no bias, 'same' padding) -> batch norm -> optional ReLU, with stable layer names for saved weights. */
export function convBn(input: tfl.SymbolicTensor, { name, filters, kernelSize = 3, strides = 1, relu = true, rng }: ConvBnReluOptions): tfl.SymbolicTensor {
  let x = tfl.layers
    .conv2d({
      name: `${name}_conv`,
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: heNormal(rng),
    })
    .apply(input) as tfl.SymbolicTensor;
  x = batchNormalization({ name: `${name}_bn`, ...BATCH_NORM }).apply(x) as tfl.SymbolicTensor;
  if (relu) x = tfl.layers.reLU({ name: `${name}_relu` }).apply(x) as tfl.SymbolicTensor;
  return x;
}

/** Dropout before the classifier, when rate > 0. */
export function maybeDropout(x: tfl.SymbolicTensor, rate: number, name: string, rng: Rng): tfl.SymbolicTensor {
  if (rate <= 0) return x;
  return new SteppedDropout({ name, rate, seed: rng.nextUint32() }).apply(x) as tfl.SymbolicTensor;
}

export function classifier(x: tfl.SymbolicTensor, numClasses: number, rng: Rng, name = 'logits'): tfl.SymbolicTensor {
  return tfl.layers
    .dense({ name, units: numClasses, kernelInitializer: denseInit(rng) })
    .apply(x) as tfl.SymbolicTensor;
}

/** batch norm -> ReLU, the pre-activation unit of Wide ResNets and DenseNets. */
export function bnRelu(input: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  const x = batchNormalization({ name: `${name}_bn`, ...BATCH_NORM }).apply(input) as tfl.SymbolicTensor;
  return tfl.layers.reLU({ name: `${name}_relu` }).apply(x) as tfl.SymbolicTensor;
}

export interface ConvOptions {
  name: string;
  filters: number;
  kernelSize?: number;
  strides?: number;
  rng: Rng;
}

/** A bias-free convolution with 'same' padding and He-normal initialisation. */
export function conv(input: tfl.SymbolicTensor, { name, filters, kernelSize = 3, strides = 1, rng }: ConvOptions): tfl.SymbolicTensor {
  return tfl.layers
    .conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: heNormal(rng) })
    .apply(input) as tfl.SymbolicTensor;
}

/** Global average pooling, optional dropout, and the dense classifier: the head every residual and dense net shares. */
export function poolAndClassify(x: tfl.SymbolicTensor, numClasses: number, dropout: number, rng: Rng): tfl.SymbolicTensor {
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  return classifier(maybeDropout(pooled, dropout, 'dropout', rng), numClasses, rng);
}

import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, isEmpty, output } from './tensors.js';

export type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/**
 * TF.js's pooling geometry and the 12 numbers the addon takes, or null for an empty or not 4-D input or output, and
 * for a 1x1 window whose output has the input's shape, which the cpu kernels pass on unchanged whatever the padding
 * and strides say (so the native backend does too).
 */
export function poolGeometry(xShape: number[], attrs: PoolAttrs): { outShape: number[]; shape: number[] } | null {
  if (xShape.length !== 4 || isEmpty(xShape)) return null;
  const info = backend_util.computePool2DInfo(xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const outShape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (isEmpty(outShape)) return null;
  if (info.filterHeight === 1 && info.filterWidth === 1 && util.arraysEqual(xShape, outShape)) return null;
  const shape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
  return { outShape, shape };
}

/**
 * Whether the addon's max-pooling gradient takes a window of fh x fw: it keeps each channel's winning position in the
 * window as an int32, and refuses windows of 2^31 positions or more (the cpu kernel runs them).
 */
export function maxPoolGradTakes(fh: number, fw: number): boolean {
  return fh * fw < 2 ** 31;
}

/** MaxPool, AvgPool and their gradients (NHWC, no dilation), with the cpu backend's rules (native/src/pool.cc). */
export function poolKernels(addon: NativeAddon): KernelConfig[] {
  const forward = (isMax: boolean) =>
    nativeKernel<PoolAttrs>(addon, isMax ? 'MaxPool' : 'AvgPool', ({ addon, backend, inputs, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      const v = floatInputs(backend, { x });
      const g = poolGeometry(x!.shape, attrs);
      if (v === null || g === null) return null;
      return output(backend, g.outShape, (out) => addon.pool(g.shape, v.x, out, isMax));
    });
  const maxGrad = nativeKernel<PoolAttrs>(addon, 'MaxPoolGrad', ({ addon, backend, inputs, attrs }) => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { dy, input });
    const g = poolGeometry(input!.shape, attrs);
    if (v === null || g === null || !util.arraysEqual(dy!.shape, g.outShape) || !maxPoolGradTakes(g.shape[4]!, g.shape[5]!)) return null;
    return output(backend, input!.shape, (dx) => addon.maxPoolGrad(g.shape, v.dy, v.input, dx));
  });
  const avgGrad = nativeKernel<PoolAttrs>(addon, 'AvgPoolGrad', ({ addon, backend, inputs, attrs }) => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { dy });
    const g = poolGeometry(input!.shape, attrs);
    if (v === null || g === null || !util.arraysEqual(dy!.shape, g.outShape)) return null;
    return output(backend, input!.shape, (dx) => addon.avgPoolGrad(g.shape, v.dy, dx));
  });
  return [forward(true), forward(false), maxGrad, avgGrad];
}

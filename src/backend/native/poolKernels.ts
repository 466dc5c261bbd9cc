import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { allFloat32, output, valuesOf } from './tensors.js';

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function poolGeometry(xShape: number[], attrs: PoolAttrs): { info: backend_util.Conv2DInfo; shape: number[] } {
  const info = backend_util.computePool2DInfo(xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const shape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
  return { info, shape };
}

/** MaxPool, AvgPool and their gradients (NHWC, no dilation), with the cpu backend's rules (native/src/pool.cc). */
export function poolKernels(addon: NativeAddon): KernelConfig[] {
  const forward = (isMax: boolean) =>
    nativeKernel<PoolAttrs>(addon, isMax ? 'MaxPool' : 'AvgPool', ({ addon, backend, inputs, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      if (!allFloat32(x) || x!.shape.length !== 4) return null;
      const { info, shape } = poolGeometry(x!.shape, attrs);
      return output(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], (out) => addon.pool(shape, valuesOf(backend, x!), out, isMax));
    });
  const maxGrad = nativeKernel<PoolAttrs>(addon, 'MaxPoolGrad', ({ addon, backend, inputs, attrs }) => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(dy, input)) return null;
    const { shape } = poolGeometry(input!.shape, attrs);
    return output(backend, [...input!.shape], (dx) => addon.maxPoolGrad(shape, valuesOf(backend, dy!), valuesOf(backend, input!), dx));
  });
  const avgGrad = nativeKernel<PoolAttrs>(addon, 'AvgPoolGrad', ({ addon, backend, inputs, attrs }) => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(dy)) return null;
    const { shape } = poolGeometry(input!.shape, attrs);
    return output(backend, [...input!.shape], (dx) => addon.avgPoolGrad(shape, valuesOf(backend, dy!), dx));
  });
  return [forward(true), forward(false), maxGrad, avgGrad];
}

import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { allFloat32, output, valuesOf } from './tensors.js';

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
};

/** The 17 numbers the addon's convolutions take, from TF.js's own convolution geometry. */
function geometry(info: backend_util.Conv2DInfo): number[] {
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  // TF.js pads 'same' with the odd pixel at the bottom/right; oneDNN wants the right padding that makes the output
  // size exact, which is what remains after the top/left padding.
  const bottom = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1 - inHeight - padInfo.top;
  const right = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1 - inWidth - padInfo.left;
  return [batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels, outHeight, outWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo.top, padInfo.left, bottom, right];
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): backend_util.Conv2DInfo | null {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** oneDNN's convolutions: forward (Conv2D, and FusedConv2D with a per-channel bias and linear or ReLU activation),
 * and both gradients. Activations NHWC, filters HWIO. */
export function convKernels(addon: NativeAddon): KernelConfig[] {
  const forward = (fused: boolean) =>
    nativeKernel<ConvAttrs>(addon, fused ? 'FusedConv2D' : 'Conv2D', ({ addon, backend, inputs, attrs }) => {
      const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
      const activation = attrs.activation ?? 'linear';
      if (!allFloat32(x, filter, bias) || preluActivationWeights != null) return null;
      if (activation !== 'linear' && activation !== 'relu') return null;
      const info = convInfo(x!.shape, filter!.shape, attrs);
      if (info === null || (bias != null && bias.shape.reduce((a, b) => a * b, 1) !== info.outChannels)) return null;
      return output(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], (out) =>
        addon.conv2dForward(geometry(info), valuesOf(backend, x!), valuesOf(backend, filter!), bias == null ? null : valuesOf(backend, bias), out, activation === 'relu'),
      );
    });
  const backpropInput = nativeKernel<ConvAttrs>(addon, 'Conv2DBackpropInput', ({ addon, backend, inputs, attrs }) => {
    const { dy, filter } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(dy, filter)) return null;
    const info = convInfo(attrs.inputShape!, filter!.shape, attrs);
    if (info === null) return null;
    return output(backend, [...attrs.inputShape!], (dx) => addon.conv2dBackwardData(geometry(info), valuesOf(backend, dy!), valuesOf(backend, filter!), dx));
  });
  const backpropFilter = nativeKernel<ConvAttrs>(addon, 'Conv2DBackpropFilter', ({ addon, backend, inputs, attrs }) => {
    const { x, dy } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(x, dy)) return null;
    const info = convInfo(x!.shape, attrs.filterShape!, attrs);
    if (info === null) return null;
    return output(backend, [...attrs.filterShape!], (dw) => addon.conv2dBackwardWeights(geometry(info), valuesOf(backend, x!), valuesOf(backend, dy!), dw));
  });
  return [forward(false), forward(true), backpropInput, backpropFilter];
}

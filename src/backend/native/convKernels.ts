import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, isChannelVector, isEmpty, output } from './tensors.js';

export type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
};

/**
 * The 17 numbers the addon's convolutions take, from TF.js's own convolution geometry, or null when oneDNN cannot
 * express it. TF.js pads 'same' with the odd pixel at the bottom/right; oneDNN wants the right padding that makes
 * the output size exact, which is what remains after the top/left padding. That is negative when the stride skips
 * the last rows, and oneDNN takes it down to 1 - stride; TF.js's numeric padding can skip more (it sizes both axes
 * with the filter's height), which the cpu kernel then computes.
 */
function geometry(info: backend_util.Conv2DInfo): number[] | null {
  const { batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const bottom = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1 - inHeight - padInfo.top;
  const right = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1 - inWidth - padInfo.left;
  if (padInfo.top < 0 || padInfo.left < 0 || bottom + strideHeight <= 0 || right + strideWidth <= 0) return null;
  return [batchSize, inHeight, inWidth, inChannels, filterHeight, filterWidth, outChannels, outHeight, outWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo.top, padInfo.left, bottom, right];
}

/** TF.js's geometry of an NHWC convolution and the addon's numbers for it, or null for what the native kernels
 * leave to the cpu ones (NCHW, an empty tensor, a shape that is not 4-D, a geometry oneDNN cannot express). */
export function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): { info: backend_util.Conv2DInfo; shape: number[] } | null {
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || xShape.length !== 4 || filterShape.length !== 4) return null;
  if (isEmpty(xShape) || isEmpty(filterShape)) return null;
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (info.outHeight <= 0 || info.outWidth <= 0 || info.inChannels !== filterShape[2]) return null;
  const shape = geometry(info);
  return shape === null ? null : { info, shape };
}

const outShape = (info: backend_util.Conv2DInfo): number[] => [info.batchSize, info.outHeight, info.outWidth, info.outChannels];

/** oneDNN's convolutions: forward (Conv2D, and FusedConv2D with a per-channel bias and linear or ReLU activation),
 * and both gradients. Activations NHWC, filters HWIO. */
export function convKernels(addon: NativeAddon): KernelConfig[] {
  const forward = (fused: boolean) =>
    nativeKernel<ConvAttrs>(addon, fused ? 'FusedConv2D' : 'Conv2D', ({ addon, backend, inputs, attrs }) => {
      const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
      const activation = attrs.activation ?? 'linear';
      const v = floatInputs(backend, { x, filter }, { bias });
      if (v === null || preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu')) return null;
      const g = convInfo(x!.shape, filter!.shape, attrs);
      if (g === null || (bias != null && !isChannelVector(bias.shape, g.info.outChannels))) return null;
      return output(backend, outShape(g.info), (out) => addon.conv2dForward(g.shape, v.x, v.filter, v.bias, out, activation === 'relu'));
    });
  const backpropInput = nativeKernel<ConvAttrs>(addon, 'Conv2DBackpropInput', ({ addon, backend, inputs, attrs }) => {
    const { dy, filter } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { dy, filter });
    if (v === null) return null;
    const g = convInfo(attrs.inputShape!, filter!.shape, attrs);
    if (g === null || !util.arraysEqual(dy!.shape, outShape(g.info))) return null;
    return output(backend, attrs.inputShape!, (dx) => addon.conv2dBackwardData(g.shape, v.dy, v.filter, dx));
  });
  const backpropFilter = nativeKernel<ConvAttrs>(addon, 'Conv2DBackpropFilter', ({ addon, backend, inputs, attrs }) => {
    const { x, dy } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x, dy });
    if (v === null) return null;
    const g = convInfo(x!.shape, attrs.filterShape!, attrs);
    if (g === null || !util.arraysEqual(dy!.shape, outShape(g.info))) return null;
    return output(backend, attrs.filterShape!, (dw) => addon.conv2dBackwardWeights(g.shape, v.x, v.dy, dw));
  });
  return [forward(false), forward(true), backpropInput, backpropFilter];
}

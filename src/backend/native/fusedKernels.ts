import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNELS } from '../fusedKernelNames.js';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, isChannelVector, output, outputArray, outputTensor } from './tensors.js';

const lastAxis = (t: TensorInfo): number => t.shape[t.shape.length - 1] ?? 0;

/**
 * FusedBatchNorm (the affine map), and our fused kernels: batch-norm statistics and gradient, one SGD step. Our own
 * kernels have no cpu twin to decline to: on inputs they do not take they throw (nativeKernel says which).
 */
export function fusedKernels(addon: NativeAddon): KernelConfig[] {
  const affine = nativeKernel<{ varianceEpsilon: number }>(addon, 'FusedBatchNorm', ({ addon, backend, inputs, attrs }) => {
    const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined>;
    const v = floatInputs(backend, { x, mean, variance }, { offset, scale });
    if (v === null) return null;
    const c = lastAxis(x!);
    const fits = (t: TensorInfo | undefined) => t == null || isChannelVector(t.shape, c) || isChannelVector(t.shape, 1);
    if (c === 0 || ![mean, variance, offset, scale].every(fits)) return null;
    return output(backend, x!.shape, (out) => addon.batchNormAffine(v.x, out, c, v.mean, v.variance, v.offset, v.scale, attrs.varianceEpsilon));
  });
  const moments = nativeKernel(addon, FUSED_KERNELS.batchNormMoments, ({ addon, backend, inputs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x });
    if (v === null) return null;
    const c = lastAxis(x!);
    const [mean, variance] = [outputArray(backend, [c]), outputArray(backend, [c])];
    addon.batchNormMoments(v.x, c, mean, variance);
    return [outputTensor(backend, [c], mean), outputTensor(backend, [c], variance)];
  });
  const grad = nativeKernel<{ epsilon: number }>(addon, FUSED_KERNELS.batchNormGrad, ({ addon, backend, inputs, attrs }) => {
    const { dy, x, mean, variance, gamma } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { dy, x, mean, variance, gamma });
    if (v === null) return null;
    const c = lastAxis(x!);
    const [dx, dgamma, dbeta] = [outputArray(backend, x!.shape), outputArray(backend, [c]), outputArray(backend, [c])];
    addon.batchNormGrad(v.dy, v.x, c, v.mean, v.variance, v.gamma, attrs.epsilon, dx, dgamma, dbeta);
    return [outputTensor(backend, x!.shape, dx), outputTensor(backend, [c], dgamma), outputTensor(backend, [c], dbeta)];
  });
  type SgdAttrs = { learningRate: number; momentum: number; weightDecay: number; nesterov: boolean };
  const sgd = nativeKernel<SgdAttrs>(addon, FUSED_KERNELS.sgdStep, ({ addon, backend, inputs, attrs }) => {
    const { w, grad, buffer } = inputs as Record<string, TensorInfo | undefined>;
    const v = floatInputs(backend, { w, grad }, { buffer });
    if (v === null) return null;
    const next = outputArray(backend, w!.shape);
    const nextBuffer = attrs.momentum > 0 ? outputArray(backend, w!.shape) : null;
    addon.sgdStep(v.w, v.grad, v.buffer, next, nextBuffer, attrs.learningRate, attrs.momentum, attrs.weightDecay, attrs.nesterov);
    const tensors = [outputTensor(backend, w!.shape, next)];
    if (nextBuffer !== null) tensors.push(outputTensor(backend, w!.shape, nextBuffer));
    return tensors;
  });
  return [affine, moments, grad, sgd];
}

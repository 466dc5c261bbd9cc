import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNELS } from '../fusedKernelNames.js';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { allFloat32, output, valuesOf } from './tensors.js';

const lastAxis = (t: TensorInfo): number => t.shape[t.shape.length - 1]!;

/** FusedBatchNorm (the affine map), and our fused kernels: batch-norm statistics and gradient, one SGD step. */
export function fusedKernels(addon: NativeAddon): KernelConfig[] {
  const affine = nativeKernel<{ varianceEpsilon: number }>(addon, 'FusedBatchNorm', ({ addon, backend, inputs, attrs }) => {
    const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined>;
    if (!allFloat32(x, mean, variance, offset, scale)) return null;
    const c = lastAxis(x!);
    const fits = (t: TensorInfo | undefined) => t == null || t.shape.reduce((a, b) => a * b, 1) === c || t.shape.reduce((a, b) => a * b, 1) === 1;
    if (![mean, variance, offset, scale].every(fits)) return null;
    const v = (t: TensorInfo | undefined) => (t == null ? null : valuesOf(backend, t));
    return output(backend, [...x!.shape], (out) =>
      addon.batchNormAffine(valuesOf(backend, x!), out, c, v(mean), v(variance), v(offset), v(scale), attrs.varianceEpsilon),
    );
  });
  const moments = nativeKernel(addon, FUSED_KERNELS.batchNormMoments, ({ addon, backend, inputs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const c = lastAxis(x!);
    const mean = output(backend, [c]);
    const variance = output(backend, [c]);
    addon.batchNormMoments(valuesOf(backend, x!), c, valuesOf(backend, mean), valuesOf(backend, variance));
    return [mean, variance];
  });
  const grad = nativeKernel<{ epsilon: number }>(addon, FUSED_KERNELS.batchNormGrad, ({ addon, backend, inputs, attrs }) => {
    const { dy, x, mean, variance, gamma } = inputs as Record<string, TensorInfo>;
    const c = lastAxis(x!);
    const dx = output(backend, [...x!.shape]);
    const dgamma = output(backend, [c]);
    const dbeta = output(backend, [c]);
    const v = (t: TensorInfo) => valuesOf(backend, t);
    addon.batchNormGrad(v(dy!), v(x!), c, v(mean!), v(variance!), v(gamma!), attrs.epsilon, v(dx), v(dgamma), v(dbeta));
    return [dx, dgamma, dbeta];
  });
  type SgdAttrs = { learningRate: number; momentum: number; weightDecay: number; nesterov: boolean };
  const sgd = nativeKernel<SgdAttrs>(addon, FUSED_KERNELS.sgdStep, ({ addon, backend, inputs, attrs }) => {
    const { w, grad, buffer } = inputs as Record<string, TensorInfo | undefined>;
    const next = output(backend, [...w!.shape]);
    const nextBuffer = attrs.momentum > 0 ? output(backend, [...w!.shape]) : null;
    addon.sgdStep(
      valuesOf(backend, w!),
      valuesOf(backend, grad!),
      buffer == null ? null : valuesOf(backend, buffer),
      valuesOf(backend, next),
      nextBuffer === null ? null : valuesOf(backend, nextBuffer),
      attrs.learningRate,
      attrs.momentum,
      attrs.weightDecay,
      attrs.nesterov,
    );
    return nextBuffer === null ? [next] : [next, nextBuffer];
  });
  return [affine, moments, grad, sgd];
}

import { getBackend, getKernel } from '@tensorflow/tfjs-core';

/**
 * Kernels of our own that a backend may provide to run a whole step of a layer or optimizer at once (the native
 * backend does). Callers check `hasFusedKernel` and otherwise compose stock ops, so every backend gives the same
 * results within float32 rounding.
 */
export const FUSED_KERNELS = {
  /** x [n, c] -> [mean [c], variance [c]] (biased), the batch statistics of batch norm. */
  batchNormMoments: 'SnapshotEnsemblesBatchNormMoments',
  /** dy, x [n, c], mean, variance, gamma [c]; attrs epsilon -> [dx, dgamma, dbeta], batch norm's closed-form gradient. */
  batchNormGrad: 'SnapshotEnsemblesBatchNormGrad',
  /** w, grad[, buffer]; attrs learningRate, momentum, weightDecay, nesterov -> [w'] or [w', buffer'], one SGD step. */
  sgdStep: 'SnapshotEnsemblesSgdStep',
} as const;

/** Whether the active backend has the fused kernel. */
export function hasFusedKernel(name: string): boolean {
  return getKernel(name, getBackend()) !== undefined;
}

import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, isChannelVector, output } from './tensors.js';

type MatMulAttrs = { transposeA: boolean; transposeB: boolean; activation?: string };

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** BatchMatMul and _FusedMatMul (per-column bias, linear or ReLU) through oneDNN's sgemm; the leading (batch) axes
 * of either side may be all 1 (broadcast) or equal to the other side's. Empty matrices go to the cpu kernels. */
export function matMulKernels(addon: NativeAddon): KernelConfig[] {
  const make = (fused: boolean) =>
    nativeKernel<MatMulAttrs>(addon, fused ? '_FusedMatMul' : 'BatchMatMul', ({ addon, backend, inputs, attrs }) => {
      const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
      const activation = attrs.activation ?? 'linear';
      const v = floatInputs(backend, { a, b }, { bias });
      if (v === null || preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu')) return null;
      const { transposeA, transposeB } = attrs;
      const ra = a!.shape.length, rb = b!.shape.length;
      if (ra < 2 || rb < 2) return null;
      const m = transposeA ? a!.shape[ra - 1]! : a!.shape[ra - 2]!;
      const k = transposeA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!;
      const kb = transposeB ? b!.shape[rb - 1]! : b!.shape[rb - 2]!;
      const n = transposeB ? b!.shape[rb - 2]! : b!.shape[rb - 1]!;
      if (k !== kb || m === 0 || n === 0 || k === 0) return null;
      const batchShapeA = a!.shape.slice(0, -2), batchShapeB = b!.shape.slice(0, -2);
      const batchA = product(batchShapeA), batchB = product(batchShapeB);
      if (batchA === 0 || batchB === 0 || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
      if (bias != null && !isChannelVector(bias.shape, n)) return null;
      const outBatch = backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
      if (product(outBatch) !== Math.max(batchA, batchB)) return null;
      return output(backend, [...outBatch, m, n], (out) =>
        addon.batchMatMul(v.a, v.b, out, [batchA, batchB, m, n, k], transposeA, transposeB, v.bias, activation === 'relu'),
      );
    });
  return [make(false), make(true)];
}

import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, output } from './tensors.js';

/** Op codes of native/src/reduce.cc (enum Reduction). */
const REDUCTIONS: Record<string, number> = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 };

/**
 * [outer, reduced, inner] for reducing `axes` of `shape` when they are one contiguous block, else null (the cpu
 * kernel then transposes; our models reduce over leading, trailing or spatial blocks only).
 */
export function reductionDims(shape: number[], axes: number[]): [number, number, number] | null {
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const first = sorted[0] ?? 0, last = sorted[sorted.length - 1] ?? -1;
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return [prod(0, first), prod(first, last + 1), prod(last + 1, shape.length)];
}

/** Sum, Mean, Max, Min and Prod over any contiguous, non-empty block of axes, and Softmax over the last axis. */
export function reduceKernels(addon: NativeAddon): KernelConfig[] {
  const reductions = Object.entries(REDUCTIONS).map(([name, op]) =>
    nativeKernel<{ axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean }>(addon, name, ({ addon, backend, inputs, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      const v = floatInputs(backend, { x });
      if (v === null) return null;
      // Max and Min name their axes reductionIndices; Sum, Mean and Prod name them axis.
      const axes = util.parseAxisParam((attrs.axis ?? attrs.reductionIndices)!, x!.shape);
      const dims = reductionDims(x!.shape, axes);
      if (dims === null || dims[1] === 0) return null;
      const [outShape] = backend_util.computeOutAndReduceShapes(x!.shape, axes);
      const shape = attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      return output(backend, shape, (out) => addon.reduce(op, v.x, out, dims));
    }),
  );
  const softmax = nativeKernel<{ dim: number }>(addon, 'Softmax', ({ addon, backend, inputs, attrs }) => {
    const { logits } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { logits });
    const rank = logits!.shape.length;
    if (v === null || rank === 0 || (attrs.dim !== -1 && attrs.dim !== rank - 1) || logits!.shape[rank - 1] === 0) return null;
    return output(backend, logits!.shape, (out) => addon.softmax(v.logits, out, logits!.shape[rank - 1]!));
  });
  return [...reductions, softmax];
}

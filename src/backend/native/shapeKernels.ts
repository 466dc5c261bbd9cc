import { backend_util, slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { allFloat32, output, valuesOf } from './tensors.js';

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** Transpose, Concat, SplitV, Slice and PadV2 on float32 tensors (the copies that DenseNet and ResNet shortcuts make). */
export function shapeKernels(addon: NativeAddon): KernelConfig[] {
  const transpose = nativeKernel<{ perm: number[] }>(addon, 'Transpose', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(x) || x!.shape.length === 0 || product(x!.shape) === 0) return null;
    const shape = attrs.perm.map((p) => x!.shape[p]!);
    return output(backend, shape, (out) => addon.transpose(valuesOf(backend, x!), x!.shape, attrs.perm, out));
  });
  const concat = nativeKernel<{ axis: number }>(addon, 'Concat', ({ addon, backend, inputs, attrs }) => {
    const tensors = (inputs as unknown as TensorInfo[]).filter((t) => product(t.shape) > 0);
    if (tensors.length < 2 || !allFloat32(...tensors)) return null;
    const axis = util.parseAxisParam(attrs.axis, tensors[0]!.shape)[0]!;
    const shape = backend_util.computeOutShape(tensors.map((t) => t.shape), axis);
    const outer = product(shape.slice(0, axis));
    const widths = tensors.map((t) => product(t.shape.slice(axis)));
    return output(backend, shape, (out) => addon.concat(tensors.map((t) => valuesOf(backend, t)), widths, outer, out));
  });
  const split = nativeKernel<{ numOrSizeSplits: number | number[]; axis: number }>(addon, 'SplitV', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(x)) return null;
    const axis = util.parseAxisParam(attrs.axis, x!.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x!, attrs.numOrSizeSplits, axis);
    const outer = product(x!.shape.slice(0, axis));
    const inner = product(x!.shape.slice(axis + 1));
    const outs = sizes.map((s) => {
      const shape = [...x!.shape];
      shape[axis] = s;
      return output(backend, shape);
    });
    addon.split(valuesOf(backend, x!), sizes.map((s) => s * inner), outer, outs.map((o) => valuesOf(backend, o)));
    return outs;
  });
  const slice = nativeKernel<{ begin: number | number[]; size: number | number[] }>(addon, 'Slice', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(x) || x!.shape.length === 0) return null;
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size) as [number[], number[]];
    if (product(size) === 0) return null;
    const zeros = size.map(() => 0);
    return output(backend, size, (out) => addon.window(valuesOf(backend, x!), x!.shape, begin, out, size, zeros, size, 0));
  });
  const pad = nativeKernel<{ paddings: [number, number][]; constantValue: number }>(addon, 'PadV2', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    if (!allFloat32(x) || x!.shape.length === 0 || product(x!.shape) === 0) return null;
    const shape = x!.shape.map((d, i) => attrs.paddings[i]![0] + d + attrs.paddings[i]![1]);
    const before = attrs.paddings.map((p) => p[0]);
    const zeros = x!.shape.map(() => 0);
    return output(backend, shape, (out) => addon.window(valuesOf(backend, x!), x!.shape, zeros, out, shape, before, x!.shape, attrs.constantValue));
  });
  return [transpose, concat, split, slice, pad];
}

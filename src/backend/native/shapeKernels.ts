import { backend_util, slice_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, floatValues, isEmpty, output, outputArray, outputTensor } from './tensors.js';

const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

/** Transpose, Concat, SplitV, Slice and PadV2 on float32 tensors (the copies that DenseNet and ResNet shortcuts make). */
export function shapeKernels(addon: NativeAddon): KernelConfig[] {
  const transpose = nativeKernel<{ perm: number[] }>(addon, 'Transpose', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x });
    if (v === null || x!.shape.length === 0 || isEmpty(x!.shape)) return null;
    const shape = attrs.perm.map((p) => x!.shape[p]!);
    return output(backend, shape, (out) => addon.transpose(v.x, x!.shape, attrs.perm, out));
  });
  const concat = nativeKernel<{ axis: number }>(addon, 'Concat', ({ addon, backend, inputs, attrs }) => {
    const all = inputs as unknown as TensorInfo[];
    const axis = util.parseAxisParam(attrs.axis, all[0]!.shape)[0]!;
    backend_util.assertParamsConsistent(all.map((t) => t.shape), axis); // throws, as the cpu kernel does
    const tensors = all.filter((t) => !isEmpty(t.shape));
    const values = tensors.map((t) => floatValues(backend, t));
    if (tensors.length < 2 || values.some((v) => v === null)) return null;
    const shape = backend_util.computeOutShape(tensors.map((t) => t.shape), axis);
    const outer = product(shape.slice(0, axis));
    const widths = tensors.map((t) => product(t.shape.slice(axis)));
    return output(backend, shape, (out) => addon.concat(values as Float32Array[], widths, outer, out));
  });
  const split = nativeKernel<{ numOrSizeSplits: number | number[]; axis: number }>(addon, 'SplitV', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x });
    if (v === null || x!.shape.length === 0) return null;
    const axis = util.parseAxisParam(attrs.axis, x!.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x!, attrs.numOrSizeSplits, axis);
    const outer = product(x!.shape.slice(0, axis));
    const inner = product(x!.shape.slice(axis + 1));
    const shapes = sizes.map((s) => x!.shape.map((d, i) => (i === axis ? s : d)));
    const arrays = shapes.map((shape) => outputArray(backend, shape));
    addon.split(v.x, sizes.map((s) => s * inner), outer, arrays);
    return shapes.map((shape, i) => outputTensor(backend, shape, arrays[i]!));
  });
  const slice = nativeKernel<{ begin: number | number[]; size: number | number[] }>(addon, 'Slice', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x });
    if (v === null || x!.shape.length === 0) return null;
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size) as [number[], number[]];
    if (isEmpty(size)) return null;
    slice_util.assertParamsValid(x as never, begin, size);
    const zeros = size.map(() => 0);
    return output(backend, size, (out) => addon.window(v.x, x!.shape, begin, out, size, zeros, size, 0));
  });
  const pad = nativeKernel<{ paddings: [number, number][]; constantValue: number }>(addon, 'PadV2', ({ addon, backend, inputs, attrs }) => {
    const { x } = inputs as Record<string, TensorInfo>;
    const v = floatInputs(backend, { x });
    if (v === null || x!.shape.length === 0 || isEmpty(x!.shape)) return null;
    const shape = x!.shape.map((d, i) => attrs.paddings[i]![0] + d + attrs.paddings[i]![1]);
    const before = attrs.paddings.map((p) => p[0]);
    const zeros = x!.shape.map(() => 0);
    return output(backend, shape, (out) => addon.window(v.x, x!.shape, zeros, out, shape, before, x!.shape, attrs.constantValue));
  });
  return [transpose, concat, split, slice, pad];
}

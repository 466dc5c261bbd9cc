import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { floatInputs, output } from './tensors.js';

/** Op codes of native/src/elementwise.cc (enum Unary, enum Binary), by TF.js kernel name. */
const UNARY: Record<string, number> = { Relu: 0, Step: 1, Square: 2, Rsqrt: 3, Sqrt: 4, Exp: 5, Log: 6, Neg: 7, Floor: 8, Abs: 9, Sigmoid: 10, Tanh: 11, Relu6: 12 };
const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };

/** Float32 unary maps and broadcasting binary maps (other dtypes go to the cpu kernels). */
export function elementwiseKernels(addon: NativeAddon): KernelConfig[] {
  const unary = Object.entries(UNARY).map(([name, op]) =>
    nativeKernel<{ alpha?: number }>(addon, name, ({ addon, backend, inputs, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      const v = floatInputs(backend, { x });
      if (v === null) return null;
      return output(backend, x!.shape, (out) => addon.unary(op, v.x, out, attrs.alpha ?? 0));
    }),
  );
  const binary = Object.entries(BINARY).map(([name, op]) =>
    nativeKernel(addon, name, ({ addon, backend, inputs }) => {
      const { a, b } = inputs as Record<string, TensorInfo>;
      const v = floatInputs(backend, { a, b });
      if (v === null) return null;
      const shape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      return output(backend, shape, (out) => addon.binary(op, v.a, a!.shape, v.b, b!.shape, out, shape));
    }),
  );
  return [...unary, ...binary];
}

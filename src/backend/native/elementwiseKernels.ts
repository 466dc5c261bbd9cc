import { backend_util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { nativeKernel } from './kernel.js';
import { allFloat32, output, valuesOf } from './tensors.js';

/** Op codes of native/src/elementwise.cc (enum Unary, enum Binary), by TF.js kernel name. */
const UNARY: Record<string, number> = { Relu: 0, Step: 1, Square: 2, Rsqrt: 3, Sqrt: 4, Exp: 5, Log: 6, Neg: 7, Floor: 8, Abs: 9, Sigmoid: 10, Tanh: 11, Relu6: 12 };
const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };

/** Float32 unary maps and broadcasting binary maps (other dtypes go to the cpu kernels). */
export function elementwiseKernels(addon: NativeAddon): KernelConfig[] {
  const unary = Object.entries(UNARY).map(([name, op]) =>
    nativeKernel<{ alpha?: number }>(addon, name, ({ addon, backend, inputs, attrs }) => {
      const { x } = inputs as Record<string, TensorInfo>;
      if (!allFloat32(x)) return null;
      return output(backend, [...x!.shape], (out) => addon.unary(op, valuesOf(backend, x!), out, attrs.alpha ?? 0));
    }),
  );
  const binary = Object.entries(BINARY).map(([name, op]) =>
    nativeKernel(addon, name, ({ addon, backend, inputs }) => {
      const { a, b } = inputs as Record<string, TensorInfo>;
      if (!allFloat32(a, b) || a!.dtype !== 'float32') return null;
      const shape = backend_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
      return output(backend, shape, (out) => addon.binary(op, valuesOf(backend, a!), a!.shape, valuesOf(backend, b!), b!.shape, out, shape));
    }),
  );
  return [...unary, ...binary];
}

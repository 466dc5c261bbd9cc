import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** The float32 values that the backend holds for a tensor (tensors live in JS memory, as on the cpu backend). */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** A new tensor of the given shape whose values the caller fills (a native kernel writes into them). */
export function output(backend: MathBackendCPU, shape: number[], fill?: (values: Float32Array) => void): TensorInfo {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill?.(values);
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** True when every tensor is float32 (the native kernels' one type; others go to the cpu kernels). */
export function allFloat32(...tensors: (TensorInfo | undefined | null)[]): boolean {
  return tensors.every((t) => t == null || (t.dtype as DataType) === 'float32');
}

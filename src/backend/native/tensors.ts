import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BufferPool } from './bufferPool.js';

/** The float32 values that the backend holds for a tensor (tensors live in JS memory, as on the cpu backend). */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/**
 * A new tensor of the given shape whose values the caller fills: a native kernel writes every element (on the
 * native backend the array may be a recycled one, holding old values).
 */
export function output(backend: MathBackendCPU, shape: number[], fill?: (values: Float32Array) => void): TensorInfo {
  const length = shape.reduce((a, b) => a * b, 1);
  const pool = (backend as { pool?: BufferPool }).pool;
  const values = pool === undefined ? new Float32Array(length) : pool.take(length);
  fill?.(values);
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** True when every tensor is float32 (the native kernels' one type; others go to the cpu kernels). */
export function allFloat32(...tensors: (TensorInfo | undefined | null)[]): boolean {
  return tensors.every((t) => t == null || (t.dtype as DataType) === 'float32');
}

import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BufferPool } from './bufferPool.js';

/**
 * The float32 values a native kernel reads for a tensor, or null when it cannot read them (the kernel then declines
 * and the cpu backend's kernel runs): a tensor that is not float32 (int32, bool, complex64, string), or whose storage
 * does not hold one number per element.
 *
 * The dtype alone does not say what the storage is: the cpu backend's Cast from int32 or bool to float32 loses
 * nothing, so it hands the same Int32Array or Uint8Array on under the new dtype. Such values are copied into a
 * Float32Array here (exactly, as the cpu kernels read them), never reinterpreted.
 */
export function floatValues(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32' || !backend.data.has(t.dataId)) return null;
  const values: unknown = backend.data.get(t.dataId).values;
  const size = util.sizeFromShape(t.shape);
  if (values instanceof Float32Array) return values.length === size ? values : null;
  if (isNumberArray(values) && values.length === size) return Float32Array.from(values);
  return null;
}

type NumberArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

function isNumberArray(values: unknown): values is NumberArray {
  return ArrayBuffer.isView(values) && !(values instanceof DataView) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array);
}

/**
 * The float32 values of a kernel's inputs, by name: each required one must be readable (floatValues), each optional
 * one absent (null) or readable. null when one is not, so that the kernel declines:
 *   const v = floatInputs(backend, { x, filter }, { bias }); if (v === null) return null;
 */
export function floatInputs<R extends string, O extends string = never>(
  backend: MathBackendCPU,
  required: Record<R, TensorInfo | null | undefined>,
  optional?: Record<O, TensorInfo | null | undefined>,
): (Record<R, Float32Array> & Record<O, Float32Array | null>) | null {
  const read: Record<string, Float32Array | null> = {};
  for (const [name, t] of Object.entries<TensorInfo | null | undefined>(required)) {
    const values = t == null ? null : floatValues(backend, t);
    if (values === null) return null;
    read[name] = values;
  }
  for (const [name, t] of Object.entries<TensorInfo | null | undefined>(optional ?? ({} as Record<O, null>))) {
    const values = t == null ? null : floatValues(backend, t);
    if (t != null && values === null) return null;
    read[name] = values;
  }
  return read as Record<R, Float32Array> & Record<O, Float32Array | null>;
}

/** Whether any axis of the shape is 0 (the native kernels leave empty tensors to the cpu kernels). */
export function isEmpty(shape: readonly number[]): boolean {
  return shape.some((d) => d === 0);
}

/**
 * A new array for an output of the given shape, which the native kernel then fills: every element is written (on
 * the native backend the array may be a recycled one, holding old values).
 */
export function outputArray(backend: MathBackendCPU, shape: readonly number[]): Float32Array {
  const length = util.sizeFromShape([...shape]);
  const pool = (backend as { pool?: BufferPool }).pool;
  return pool === undefined ? new Float32Array(length) : pool.take(length);
}

/** The float32 tensor holding `values` (an outputArray the kernel has filled). */
export function outputTensor(backend: MathBackendCPU, shape: readonly number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo([...shape], 'float32', values);
}

/** A new float32 tensor of the given shape whose values `fill` writes (an addon call): outputArray, then outputTensor. */
export function output(backend: MathBackendCPU, shape: readonly number[], fill: (values: Float32Array) => void): TensorInfo {
  const values = outputArray(backend, shape);
  fill(values);
  return outputTensor(backend, shape, values);
}

/** Whether a tensor of this shape holds one value per channel of the last axis ([c], [1, 1, c], ...). */
export function isChannelVector(shape: readonly number[], channels: number): boolean {
  return util.sizeFromShape([...shape]) === channels && (channels === 1 || shape[shape.length - 1] === channels);
}

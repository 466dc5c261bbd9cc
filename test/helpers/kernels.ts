import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs a kernel on a backend with inputs copied there; returns the (first) output's values. */
export async function onBackend(backend: 'wasm' | 'cpu', kernel: string, inputs: Record<string, tf.Tensor>, attrs: object): Promise<Float32Array> {
  await tf.setBackend(backend);
  const copies: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) copies[k] = tf.tensor(v.dataSync(), v.shape);
  const result = tf.engine().runKernel(kernel, copies, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(result) ? result : [result];
  const values = (await outputs[0]!.data()) as Float32Array;
  tf.dispose([...outputs, ...Object.values(copies)]);
  return values;
}

/** max |a - b| / max |b|: the error relative to the reference's scale (float32 summation order differs). */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

import * as tf from '@tensorflow/tfjs-core';
import { locate } from '../../native/locate-dnnl.cjs';
import { loadNativeAddon } from '../../src/backend/native/addon.js';

/** Whether the native addon loads here; when oneDNN is installed it must (a missing build is a failure, not a skip). */
export const nativeLoad = loadNativeAddon();
export const oneDnnInstalled = locate() !== null;
export const nativeSkipReason = nativeLoad.ok ? null : nativeLoad.reason;

/** Runs a kernel on a backend with inputs copied there; returns every output's values and shape. */
export async function runOn(backend: string, kernel: string, inputs: Record<string, tf.Tensor> | tf.Tensor[], attrs: object): Promise<{ values: Float32Array; shape: number[] }[]> {
  await tf.setBackend(backend);
  const copy = (v: tf.Tensor) => tf.tensor(v.dataSync(), v.shape, v.dtype);
  const copies = Array.isArray(inputs) ? inputs.map(copy) : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, copy(v)]));
  const result = tf.engine().runKernel(kernel, copies as never, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(result) ? result : [result];
  const values = outputs.map((o) => ({ values: Float32Array.from(o.dataSync() as ArrayLike<number>), shape: o.shape }));
  tf.dispose([...outputs, ...(Object.values(copies) as tf.Tensor[])]);
  return values;
}

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { affineUint8Range, quantizeWeights } from '../src/deploy/quantize.js';

describe("TF.js's weight quantisation, written our way and read back by tf.io.decodeWeights", () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });
  const specs: tf.io.WeightsManifestEntry[] = [
    { name: 'kernel', shape: [2, 3], dtype: 'float32' },
    { name: 'bias', shape: [3], dtype: 'float32' },
    { name: 'steps', shape: [2], dtype: 'int32' },
  ];
  const kernel = Float32Array.from([-1.5, -0.25, 0, 0.1, 0.75, 2]);
  const bias = Float32Array.from([0, 0, 0]);
  const steps = Int32Array.from([7, -3]);
  const data = new Uint8Array([...new Uint8Array(kernel.buffer), ...new Uint8Array(bias.buffer), ...new Uint8Array(steps.buffer)]).buffer;

  it('uint8: the range includes 0, which stays exact; every weight within half a step; int32 untouched', () => {
    const { scale, min } = affineUint8Range(kernel);
    expect(scale).toBeCloseTo(3.5 / 255, 9);
    expect(Math.round(-min / scale) * scale + min).toBeCloseTo(0, 12);
    const q = quantizeWeights(specs, data, 'uint8');
    expect(q.data.byteLength).toBe(6 + 3 + 8);
    expect(q.specs[1]!.quantization).toEqual({ dtype: 'uint8', scale: 1, min: 0 });
    expect(q.specs[2]!.quantization).toBeUndefined();
    const decoded = tf.io.decodeWeights(q.data, q.specs);
    const k = decoded['kernel']!.dataSync();
    kernel.forEach((w, i) => expect(Math.abs(k[i]! - w)).toBeLessThanOrEqual(scale / 2 + 1e-7));
    expect(k[2]).toBeCloseTo(0, 7);
    expect(Array.from(decoded['bias']!.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(decoded['steps']!.dataSync())).toEqual([7, -3]);
    tf.dispose(Object.values(decoded));
  });

  it('float16: half the bytes, values rounded to the nearest float16', () => {
    const q = quantizeWeights(specs, data, 'float16');
    expect(q.data.byteLength).toBe(12 + 6 + 8);
    const decoded = tf.io.decodeWeights(q.data, q.specs);
    // -1.5, -0.25, 0, 0.75 and 2 are exact in float16; 0.1 becomes 0.0999755859375
    expect(Array.from(decoded['kernel']!.dataSync())).toEqual([-1.5, -0.25, 0, 0.0999755859375, 0.75, 2]);
    expect(Array.from(decoded['steps']!.dataSync())).toEqual([7, -3]);
    tf.dispose(Object.values(decoded));
    expect(() => quantizeWeights(q.specs, q.data, 'uint8')).toThrow(/already quantised/);
  });
});

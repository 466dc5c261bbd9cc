import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { Rng } from '../src/util/rng.js';
import { maxRelativeError, onBackend } from './helpers/kernels.js';

// Worst relative error (max |wasm - cpu| / max |cpu|) seen over all cases of each kernel, printed at the end.
const worst: Record<string, number> = {};
function record(kernel: string, error: number): number {
  worst[kernel] = Math.max(worst[kernel] ?? 0, error);
  return error;
}

interface PoolCase {
  x: [number, number, number, number];
  size: number;
  stride: number;
  pad: 'same' | 'valid';
  /**
   * 'ties': integers in -2..2, windows with negative maxima and ties, which wasm's stock kernel gets wrong;
   * 'relu': max(0, integers in -2..2), windows of zeros and ties after a ReLU, which it gets right;
   * 'normal': Gaussian values.
   */
  values: 'ties' | 'relu' | 'normal';
}

function poolCases(n: number, seed: number): PoolCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const size = 1 + rng.int(3);
    const h = size + rng.int(9);
    return {
      x: [1 + rng.int(3), h, h + rng.int(3), 1 + rng.int(6)] as [number, number, number, number],
      size,
      stride: 1 + rng.int(3),
      pad: rng.next() < 0.5 ? 'same' : 'valid',
      values: (['ties', 'relu', 'normal'] as const)[rng.int(3)]!,
    };
  });
}

interface MatMulCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

function matMulCases(n: number, seed: number): MatMulCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const m = 1 + rng.int(40);
    const k = 1 + rng.int(300);
    // Narrow outputs (<= 8 columns) take the stock kernel, wider ones our transposes.
    const cols = rng.next() < 0.3 ? 1 + rng.int(8) : 9 + rng.int(60);
    const batch = rng.next() < 0.3 ? [1 + rng.int(3)] : [];
    const transposeA = (i & 1) === 1;
    const transposeB = (i & 2) === 2;
    return {
      a: [...batch, ...(transposeA ? [k, m] : [m, k])],
      b: [...batch, ...(transposeB ? [cols, k] : [k, cols])],
      transposeA,
      transposeB,
    };
  });
}

describe('more wasm training kernels match the cpu backend', () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('wasm', { threads: 1 });
  });
  afterAll(() => {
    console.log(`worst relative errors against the cpu backend: ${JSON.stringify(worst)}`);
  });

  it.each(poolCases(36, 21))('MaxPoolGrad %j', async ({ x, size, stride, pad, values }) => {
    const integers = tf.round(tf.randomUniform(x, -2.49, 2.49));
    const input = values === 'ties' ? integers : values === 'relu' ? tf.relu(integers) : tf.randomNormal(x);
    const output = tf.maxPool(input as tf.Tensor4D, size, stride, pad);
    const dy = tf.randomNormal(output.shape);
    const attrs = { filterSize: [size, size], strides: [stride, stride], pad };
    const ours = await onBackend('wasm', 'MaxPoolGrad', { dy, input, output }, attrs);
    const reference = await onBackend('cpu', 'MaxPoolGrad', { dy, input, output }, attrs);
    // The same positions; where windows overlap, float32 sums taken in another order.
    expect(record('MaxPoolGrad', maxRelativeError(ours, reference))).toBeLessThan(1e-6);
    // Where windows do not overlap, the very same numbers (0 and -0 alike: 0 times a negative dy is -0).
    if (stride >= size) expect(Array.from(ours).every((v, i) => v === reference[i])).toBe(true);
    tf.dispose([integers, input, output, dy]);
  });

  it('MaxPoolGrad keeps the gradient of a window whose maximum is negative', async () => {
    const input = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
    const dy = tf.tensor4d([5], [1, 1, 1, 1]);
    const output = tf.maxPool(input, 2, 2, 'valid');
    const ours = await onBackend('wasm', 'MaxPoolGrad', { dy, input, output }, { filterSize: [2, 2], strides: [2, 2], pad: 'valid' });
    expect(Array.from(ours)).toEqual([0, 5, 0, 0]);
  });

  it.each(matMulCases(32, 22))('BatchMatMul %j', async ({ a, b, transposeA, transposeB }) => {
    const ta = tf.randomNormal(a);
    const tb = tf.randomNormal(b);
    const attrs = { transposeA, transposeB };
    const ours = await onBackend('wasm', 'BatchMatMul', { a: ta, b: tb }, attrs);
    const reference = await onBackend('cpu', 'BatchMatMul', { a: ta, b: tb }, attrs);
    expect(record('BatchMatMul', maxRelativeError(ours, reference))).toBeLessThan(1e-5);
    tf.dispose([ta, tb]);
  });
});

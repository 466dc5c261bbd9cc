import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { BufferPool } from '../src/backend/native/bufferPool.js';
import { nativeLoad } from './helpers/native.js';

const N = BufferPool.MIN_LENGTH;

/** Takes an array and has one tensor store it, as a native kernel's output does. */
function stored(pool: BufferPool, length: number): Float32Array {
  const a = pool.take(length);
  pool.retain(a);
  return a;
}

describe('BufferPool', () => {
  it('hands an array out again for the same length once its tensor is gone, and a new one for another length', () => {
    const pool = new BufferPool(1 << 20);
    const a = stored(pool, N);
    pool.release(a);
    expect(pool.heldBytes).toBe(4 * N);
    expect(pool.take(N + 1)).not.toBe(a);
    expect(pool.take(N)).toBe(a);
    expect(pool.heldBytes).toBe(0);
    expect(pool.take(N)).not.toBe(a);
  });

  it('never takes arrays it did not make, or small ones', () => {
    const pool = new BufferPool(1 << 20);
    const user = new Float32Array(N);
    pool.retain(user);
    pool.release(user);
    const small = stored(pool, 16);
    pool.release(small);
    expect(pool.owns(small)).toBe(false);
    expect(pool.owns(user)).toBe(false);
    expect(pool.heldBytes).toBe(0);
  });

  it('keeps an array while any tensor stores it or a view of it, and recycles it once, when the last goes', () => {
    const pool = new BufferPool(1 << 20);
    const a = stored(pool, N);
    const view = a.subarray(N / 2);
    pool.retain(view); // a slice made by a cpu kernel
    pool.retain(a); // a second tensor over the same array (Complex, Real)
    pool.release(a);
    pool.release(a);
    expect(pool.owns(view)).toBe(true);
    expect(pool.heldBytes).toBe(0);
    expect(pool.take(N)).not.toBe(a);
    pool.release(view);
    expect(pool.heldBytes).toBe(4 * N);
    pool.release(view); // a release too many changes nothing
    expect(pool.heldBytes).toBe(4 * N);
    expect(pool.take(N)).toBe(a);
  });

  it('holds at most its cap, and nothing after clear', () => {
    const pool = new BufferPool(4 * N * 2);
    const arrays = [stored(pool, N), stored(pool, N), stored(pool, N)];
    for (const a of arrays) pool.release(a);
    expect(pool.heldBytes).toBe(8 * N);
    pool.clear();
    expect(pool.heldBytes).toBe(0);
    expect(arrays).not.toContain(pool.take(N));
  });

  it('with poison, recycles arrays of any length filled with NaN', () => {
    const pool = new BufferPool(1 << 20, true);
    const a = stored(pool, 3);
    a.set([1, 2, 3]);
    pool.release(a);
    const b = pool.take(3);
    expect(b).toBe(a);
    expect(Array.from(b).every(Number.isNaN)).toBe(true);
  });
});

describe.skipIf(!nativeLoad.ok)('the native backend recycles output arrays', () => {
  it('values read from a tensor stay as read after the tensor is disposed and its array reused', async () => {
    await useBackend('native', { threads: 1 });
    const x = tf.fill([2 * N], 2);
    const y = tf.relu(x);
    const read = y.dataSync();
    const readAsync = await y.data();
    y.dispose();
    const z = tf.neg(x); // same length: takes y's array back from the pool
    expect(z.dataSync()[0]).toBe(-2);
    expect(read[0]).toBe(2);
    expect(readAsync[2 * N - 1]).toBe(2);
    const pool = (tf.backend() as unknown as { pool: BufferPool }).pool;
    expect(pool.heldBytes).toBe(0);
    z.dispose();
    expect(pool.heldBytes).toBe(8 * N);
    tf.dispose(x);
  });

  // The cpu backend's kernels run on our tensors and may store a view of an input's array (Unpack, StridedSlice) or
  // the array itself under another tensor (Complex, Real). Each case: a pooled output x shared that way, x disposed,
  // then a new output of x's length, which would take x's array if the pool looked at x alone and overwrite the
  // tensor that still shares it.
  const sharers: [string, (x: tf.Tensor) => tf.Tensor[], number[]][] = [
    ['unstack (views)', (x) => tf.unstack(x), [2, 2, 2, 2]],
    ['stridedSlice (a view)', (x) => [tf.stridedSlice(x, [1, 0], [3, 2 * N], [1, 1])], [2]],
    ['complex then real (the same array)', (x) => { const c = tf.complex(x, tf.zerosLike(x)); return [tf.real(c), c]; }, [2]],
    ['reshape (the same data)', (x) => [tf.reshape(x, [-1])], [2]],
    ['cast to float32 (the same data)', (x) => [tf.cast(x, 'float32')], [2]],
  ];

  it.each(sharers)('a recycled array is never shared with a live tensor: %s', async (_, share, firsts) => {
    await useBackend('native', { threads: 1 });
    const x = tf.relu(tf.fill([4, 2 * N], 2)); // a native output: its array comes from the pool
    const shares = share(x);
    x.dispose();
    const y = tf.neg(tf.fill([4, 2 * N], 7)); // the same length as x
    expect(shares.slice(0, firsts.length).map((t) => (t.dtype === 'complex64' ? 2 : t.dataSync()[0]))).toEqual(firsts);
    expect(y.dataSync()[0]).toBe(-7);
    const pool = (tf.backend() as unknown as { pool: BufferPool }).pool;
    tf.dispose([...shares, y]);
    expect(pool.heldBytes).toBeGreaterThanOrEqual(2 * 4 * 8 * N); // both arrays back once nothing refers to them
  });
});

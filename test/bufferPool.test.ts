import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { BufferPool } from '../src/backend/native/bufferPool.js';
import { nativeLoad } from './helpers/native.js';

const N = BufferPool.MIN_LENGTH;

describe('BufferPool', () => {
  it('hands a given-back array out again for the same length, and a new one for another length', () => {
    const pool = new BufferPool(1 << 20);
    const a = pool.take(N);
    pool.give(a);
    expect(pool.heldBytes).toBe(4 * N);
    expect(pool.take(N + 1)).not.toBe(a);
    expect(pool.take(N)).toBe(a);
    expect(pool.heldBytes).toBe(0);
    expect(pool.take(N)).not.toBe(a);
  });

  it('never takes arrays it did not make, small ones, or the same array twice', () => {
    const pool = new BufferPool(1 << 20);
    pool.give(new Float32Array(N));
    const small = pool.take(16);
    pool.give(small);
    expect(pool.owns(small)).toBe(false);
    expect(pool.heldBytes).toBe(0);
    const a = pool.take(N);
    pool.give(a);
    pool.give(a);
    expect(pool.heldBytes).toBe(4 * N);
    expect(pool.take(N)).toBe(a);
    expect(pool.take(N)).not.toBe(a);
  });

  it('holds at most its cap, and nothing after clear', () => {
    const pool = new BufferPool(4 * N * 2);
    const arrays = [pool.take(N), pool.take(N), pool.take(N)];
    for (const a of arrays) pool.give(a);
    expect(pool.heldBytes).toBe(8 * N);
    pool.clear();
    expect(pool.heldBytes).toBe(0);
    expect(arrays).not.toContain(pool.take(N));
  });

  it('with poison, recycles arrays of any length filled with NaN', () => {
    const pool = new BufferPool(1 << 20, true);
    const a = pool.take(3);
    a.set([1, 2, 3]);
    pool.give(a);
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
});

import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { SgdOptimizer } from '../src/training/sgd.js';

describe('SgdOptimizer (PyTorch SGD with Nesterov momentum and weight decay)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('follows g = grad + wd w; b = mu b + g; w -= lr (g + mu b) over three steps with changing learning rates', () => {
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'sgd_test_w');
    const opt = new SgdOptimizer({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    const grads = [
      [0.5, 0.25],
      [-1, 2],
      [0.3, 0],
    ];
    const rates = [0.1, 0.05, 0.2];
    // Reference, written out in plain arithmetic.
    const ref = [1, -2];
    const buf = [0, 0];
    grads.forEach((g, step) => {
      opt.setLearningRate(rates[step]!);
      opt.applyGradients({ [w.name]: tf.tensor1d(g) });
      for (let i = 0; i < 2; i++) {
        const gi = g[i]! + 0.01 * ref[i]!;
        buf[i] = step === 0 ? gi : 0.9 * buf[i]! + gi;
        ref[i] = ref[i]! - rates[step]! * (gi + 0.9 * buf[i]!);
      }
      expect(Array.from(w.dataSync())).toEqual(ref.map((v) => expect.closeTo(v, 6)));
    });
    expect(opt.iterations).toBe(3);
    opt.dispose();
    w.dispose();
  });

  it('plain momentum without Nesterov steps by the buffer', () => {
    const w = tf.variable(tf.scalar(1), true, 'sgd_test_plain');
    const opt = new SgdOptimizer({ learningRate: 0.5, momentum: 0.5, nesterov: false, weightDecay: 0 });
    opt.applyGradients({ [w.name]: tf.scalar(1) }); // b = 1, w = 0.5
    opt.applyGradients({ [w.name]: tf.scalar(1) }); // b = 1.5, w = -0.25
    expect(w.dataSync()[0]).toBeCloseTo(-0.25, 6);
    opt.dispose();
    w.dispose();
  });

  it('saves and restores its momentum buffers', async () => {
    const w = tf.variable(tf.tensor1d([1, 2]), true, 'sgd_test_state');
    const a = new SgdOptimizer({ learningRate: 0.1 });
    a.applyGradients({ [w.name]: tf.tensor1d([1, 1]) });
    const state = await a.getWeights();
    const b = new SgdOptimizer({ learningRate: 0.1 });
    await b.setWeights(state);
    const before = w.dataSync().slice();
    a.applyGradients({ [w.name]: tf.tensor1d([0.5, -0.5]) });
    const afterA = w.dataSync().slice();
    w.assign(tf.tensor1d(before));
    b.applyGradients({ [w.name]: tf.tensor1d([0.5, -0.5]) });
    expect(Array.from(w.dataSync())).toEqual(Array.from(afterA));
    expect(b.iterations).toBe(2); // one restored, one new
    a.dispose();
    b.dispose();
    w.dispose();
  });
});
